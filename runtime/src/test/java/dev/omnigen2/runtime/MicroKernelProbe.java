package dev.omnigen2.runtime;

import jdk.incubator.vector.FloatVector;

/** Timing main (not a test): GFLOP per cpu-second of the attention and conv inner kernels on cache-resident data. */
public final class MicroKernelProbe {
    public static void main(String[] args) {
        OpKernels k = OpKernels.of(FloatVector.SPECIES_PREFERRED);
        int vl = k.lanes(), kw = 2 * vl, hd = 120, hdPad = 128, rowsPad = 24, kt = 128;
        float[] qT = new float[rowsPad * hd], kp = new float[4096 / kw * hd * kw], s = new float[rowsPad * kt];
        float[] vp = new float[4096 * hdPad], o = new float[rowsPad * hdPad], mx = new float[rowsPad], sum = new float[rowsPad * 16];
        java.util.Arrays.fill(qT, 0.01f);
        java.util.Arrays.fill(kp, 0.02f);
        java.util.Arrays.fill(vp, 0.03f);
        for (int rep = 0; rep < 5; rep++) {
            long c0 = AttentionConvBench.cpu();
            int iters = 20000;
            for (int i = 0; i < iters; i++) k.scores(qT, kp, s, 0, rowsPad, hd, (i % 32) * kt, kt, kt);
            double sec = (AttentionConvBench.cpu() - c0) * 1e-9;
            System.out.printf("scores: %.1f GFLOP/cpu-s%n", 2.0 * rowsPad * kt * hd * iters / sec * 1e-9);
            c0 = AttentionConvBench.cpu();
            for (int i = 0; i < iters; i++) k.accumulate(s, vp, o, 0, rowsPad, kt, kt, (i % 32) * kt, hdPad, 4096 - 512);
            sec = (AttentionConvBench.cpu() - c0) * 1e-9;
            System.out.printf("accumulate: %.1f GFLOP/cpu-s%n", 2.0 * rowsPad * kt * hdPad * iters / sec * 1e-9);
            c0 = AttentionConvBench.cpu();
            for (int i = 0; i < iters; i++) {
                java.util.Arrays.fill(mx, 0f);
                k.softmaxStep(s, o, mx, sum, 0, rowsPad, rowsPad, kt, kt, hdPad);
            }
            sec = (AttentionConvBench.cpu() - c0) * 1e-9;
            System.out.printf("softmaxStep: %.2f us per tile (vs scores+accumulate %.2f us at 270 GFLOP/s)%n",
                    sec / iters * 1e6, 2.0 * rowsPad * kt * (hd + hdPad) / 270e9 * 1e6);
            // conv tile: 1152 taps
            int taps = 1152;
            int cr = OpKernels.CONV_ROWS;
            float[] band = new float[taps + 64 + 512], bias = new float[cr];
            var arena = java.lang.foreign.Arena.ofAuto();
            var wp = arena.allocate(taps * (long) cr * 4, 64);
            int[] koff = new int[taps];
            for (int t = 0; t < taps; t++) koff[t] = t % 512;
            var seg = arena.allocate(cr * 4096L * 4, 64);
            c0 = AttentionConvBench.cpu();
            int citers = 50000;
            for (int i = 0; i < citers; i++) k.convTile(band, koff, taps, i % 16, wp, 0, bias, 0, seg, 0, 4096 * 4);
            sec = (AttentionConvBench.cpu() - c0) * 1e-9;
            System.out.printf("convTile: %.1f GFLOP/cpu-s%n", 2.0 * cr * kw * taps * citers / sec * 1e-9);
            c0 = AttentionConvBench.cpu();
            for (int i = 0; i < citers; i++) k.convTileBF16(band, koff, taps, i % 16, wp, 0, bias, 0, seg, 0, 4096 * 4);
            sec = (AttentionConvBench.cpu() - c0) * 1e-9;
            System.out.printf("convTileBF16: %.1f GFLOP/cpu-s%n", 2.0 * cr * kw * taps * citers / sec * 1e-9);
        }
    }
}
