package dev.omnigen2.runtime;

import java.util.Random;

/**
 * Timing main (not a test) for the attention and convolution kernels at the shapes of issue 3:
 * attention 21 heads × 4352 tokens × hd 120 bidirectional (7 KV heads), 16 heads × 1024 × 128 causal
 * (2 KV heads, Qwen text), conv2d 128→128 3×3 on 512×512. Prints best-of-N GFLOP/s.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/classes:runtime/target/test-classes \
 *     dev.omnigen2.runtime.AttentionConvBench [threads] [reps] [which: all|attn|causal|conv]
 * </pre>
 */
public final class AttentionConvBench {
    public static void main(String[] args) {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        String which = args.length > 2 ? args[2] : "all";
        Parallel.setThreads(threads);
        System.out.println("threads " + threads + ", " + Vectors.describe());
        if (which.equals("all") || which.equals("attn")) attention(21, 7, 4352, 120, false, reps);
        if (which.equals("all") || which.equals("causal")) attention(16, 2, 1024, 128, true, reps);
        if (which.equals("all") || which.equals("conv")) conv(128, 128, 512, 512, 3, 1, reps);
    }

    /** CPU time of the whole process (all threads), to tell own speed from time lost to other processes. */
    static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static Tensor random(Random r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) r.nextGaussian());
        return t;
    }

    static void attention(int h, int kvh, int l, int hd, boolean causal, int reps) {
        Random r = new Random(1);
        Tensor q = random(r, l, h * hd), k = random(r, l, kvh * hd), v = random(r, l, kvh * hd);
        Tensor out = Tensor.zeros(l, h * hd);
        double flops = 4.0 * h * (double) l * l * hd * (causal ? 0.5 : 1.0);
        Attention.Mask m = causal ? Attention.Mask.causal(0) : Attention.Mask.NONE;
        double best = Double.MAX_VALUE, bestCpu = Double.MAX_VALUE;
        int inner = (int) Math.max(1, Math.ceil(20e9 / flops)); // ≥ 20 GFLOP per timing: CPU time ticks are coarse
        flops *= inner;
        for (int i = 0; i < reps + 1; i++) {
            long t0 = System.nanoTime(), c0 = cpu();
            for (int n = 0; n < inner; n++) Attention.forward(q, k, v, out, h, kvh, hd, (float) (1 / Math.sqrt(hd)), m);
            double s = (System.nanoTime() - t0) * 1e-9, c = (cpu() - c0) * 1e-9;
            if (i > 0) { best = Math.min(best, s); bestCpu = Math.min(bestCpu, c); }
            System.out.printf("  attention %dx%dx%d kv%d %s: %.3f s wall, %.3f s cpu (%.1f GFLOP per cpu-second)%n",
                    h, l, hd, kvh, causal ? "causal" : "bidir", s, c, flops / c * 1e-9);
        }
        System.out.printf("attention %d heads x %d tokens x hd %d (kv %d) %s, %d call(s) per timing: best %.3f s, %.1f GFLOP/s wall; %.1f GFLOP per cpu-second%n",
                h, l, hd, kvh, causal ? "causal" : "bidirectional", inner, best, flops / best * 1e-9, flops / bestCpu * 1e-9);
    }

    static void conv(int cin, int cout, int hgt, int wid, int ks, int stride, int reps) {
        Random r = new Random(2);
        Tensor x = random(r, cin, hgt, wid);
        Tensor w = Tensor.allocate(DType.BF16, cout, cin, ks, ks);
        for (long i = 0; i < w.numel(); i++) w.setFloat(i, (float) (r.nextGaussian() * 0.05));
        Tensor b = random(r, cout);
        int p = ks / 2;
        double flops = 2.0 * cout * cin * ks * ks * (double) (hgt / stride) * (wid / stride);
        Conv2d.Packed packed = Conv2d.prepare(w, b); // once, as the VAE does; the output is written in place
        Tensor out = Tensor.zeros(cout, hgt / stride, wid / stride);
        double best = Double.MAX_VALUE, bestCpu = Double.MAX_VALUE;
        for (int i = 0; i < reps + 1; i++) {
            long t0 = System.nanoTime(), c0 = cpu();
            Conv2d.forward(x, packed, stride, p, p, p, p, out);
            double s = (System.nanoTime() - t0) * 1e-9, c = (cpu() - c0) * 1e-9;
            if (i > 0) { best = Math.min(best, s); bestCpu = Math.min(bestCpu, c); }
            System.out.printf("  conv2d %d->%d %dx%d at %dx%d: %.3f s wall, %.3f s cpu (%.1f GFLOP per cpu-second)%n",
                    cin, cout, ks, ks, hgt, wid, s, c, flops / c * 1e-9);
        }
        System.out.printf("conv2d %d->%d %dx%d stride %d at %dx%d (BF16 weights): best %.3f s, %.1f GFLOP/s wall; %.1f GFLOP per cpu-second%n",
                cin, cout, ks, ks, stride, hgt, wid, best, flops / best * 1e-9, flops / bestCpu * 1e-9);
    }
}
