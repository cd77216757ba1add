package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.Activations;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.MemorySegment;

import static dev.omnigen2.runtime.Tensor.F32;

/** Row-wise elementwise steps of the blocks on F32 token-major tensors; per-sample vectors come from [B, k·D] rows. */
final class Ops {
    private Ops() {}

    /** x[t, :] *= 1 + mod[sample(t), chunk·D : (chunk+1)·D], in place. */
    static void scaleRows(Tensor x, Packing p, Tensor mod, int chunk) {
        int d = x.size(-1);
        int width = mod.size(1);
        MemorySegment xs = x.data(), ms = mod.data();
        forEachRow(p, (t, sample) -> {
            long xo = (long) t * d, mo = (long) sample * width + (long) chunk * d;
            for (int i = 0; i < d; i++) xs.setAtIndex(F32, xo + i, xs.getAtIndex(F32, xo + i) * (1f + ms.getAtIndex(F32, mo + i)));
        });
    }

    /** x[t, :] += tanh(mod[sample(t), chunk·D …]) · y[t, :]; with mod null, x += y. */
    static void addGated(Tensor x, Tensor y, Packing p, Tensor mod, int chunk) {
        int d = x.size(-1);
        MemorySegment xs = x.data(), ys = y.data();
        if (mod == null) {
            Parallel.forEach(x.size(0), t -> {
                long o = (long) t * d;
                for (int i = 0; i < d; i++) xs.setAtIndex(F32, o + i, xs.getAtIndex(F32, o + i) + ys.getAtIndex(F32, o + i));
            });
            return;
        }
        int width = mod.size(1);
        float[][] gates = new float[mod.size(0)][d];
        for (int b = 0; b < gates.length; b++)
            for (int i = 0; i < d; i++) gates[b][i] = (float) Math.tanh(mod.getFloat((long) b * width + (long) chunk * d + i));
        forEachRow(p, (t, sample) -> {
            long o = (long) t * d;
            float[] g = gates[sample];
            for (int i = 0; i < d; i++) xs.setAtIndex(F32, o + i, xs.getAtIndex(F32, o + i) + g[i] * ys.getAtIndex(F32, o + i));
        });
    }

    /** A new F32 tensor silu(x). */
    static Tensor silu(Tensor x) {
        Tensor out = Tensor.zeros(x.shape());
        Activations.silu(x.toF32(), out);
        return out;
    }

    interface RowBody { void accept(int row, int sample); }

    /** Runs body for every packed row with its sample, in parallel over segments' rows. */
    static void forEachRow(Packing p, RowBody body) {
        int n = p.total();
        int[] sampleOf = new int[n];
        for (int s = 0; s < p.segments(); s++)
            for (int t = p.offset(s); t < p.offset(s) + p.length(s); t++) sampleOf[t] = p.sample(s);
        Parallel.forEach(n, t -> body.accept(t, sampleOf[t]));
    }
}
