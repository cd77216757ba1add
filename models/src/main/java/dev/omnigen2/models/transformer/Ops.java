package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.Activations;
import dev.omnigen2.runtime.Elementwise;
import dev.omnigen2.runtime.Tensor;

/**
 * Row-wise elementwise steps of the blocks on F32 token-major tensors; per-sample vectors come from [B, k·D] rows.
 * Each packed segment is one broadcast of a [1, D] row over its rows through the runtime's vectorized
 * {@link Elementwise} kernels; the arithmetic (one float multiply, then one float add) is the scalar definition's.
 */
final class Ops {
    private Ops() {}

    /** x[t, :] *= 1 + mod[sample(t), chunk·D : (chunk+1)·D], in place. */
    static void scaleRows(Tensor x, Packing p, Tensor mod, int chunk) {
        int d = x.size(-1);
        Tensor[] rows = perSample(mod, chunk, d, false);
        for (int s = 0; s < p.segments(); s++) {
            if (p.length(s) == 0) continue;
            Tensor seg = x.slice0(p.offset(s), p.length(s));
            Elementwise.mul(seg, rows[p.sample(s)], seg);
        }
    }

    /**
     * x[t, :] += tanh(mod[sample(t), chunk·D …]) · y[t, :]; with mod null, x += y. Overwrites {@code y} with the
     * gated product (callers pass a scratch buffer).
     */
    static void addGated(Tensor x, Tensor y, Packing p, Tensor mod, int chunk) {
        if (mod == null) {
            Elementwise.add(x, y, x);
            return;
        }
        int d = x.size(-1);
        Tensor[] gates = perSample(mod, chunk, d, true);
        for (int s = 0; s < p.segments(); s++) {
            if (p.length(s) == 0) continue;
            Tensor ys = y.slice0(p.offset(s), p.length(s));
            Elementwise.mul(ys, gates[p.sample(s)], ys);
        }
        Elementwise.add(x, y, x);
    }

    /** Per sample the row [1, D]: 1 + mod[b, chunk] (scale) or tanh(mod[b, chunk]) (gate). */
    private static Tensor[] perSample(Tensor mod, int chunk, int d, boolean gate) {
        int width = mod.size(1);
        Tensor[] rows = new Tensor[mod.size(0)];
        for (int b = 0; b < rows.length; b++) {
            Tensor r = Tensor.zeros(1, d);
            for (int i = 0; i < d; i++) {
                float m = mod.getFloat((long) b * width + (long) chunk * d + i);
                r.setFloat(i, gate ? (float) Math.tanh(m) : 1f + m);
            }
            rows[b] = r;
        }
        return rows;
    }

    /** A new F32 tensor silu(x). */
    static Tensor silu(Tensor x) {
        Tensor out = Tensor.zeros(x.shape());
        Activations.silu(x.toF32(), out);
        return out;
    }
}
