package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * The GroupNorm (+ SiLU) of one particular input, reduced to what each element needs: per channel, the value is
 * {@code (x − mean)·a + c} (then SiLU) in vector mode, {@code (x − mean)·inv·w + b} in the scalar twin — exactly
 * what {@link Norms#groupNorm} writes. From {@link Norms#groupNormInput}; a convolution can apply it while it
 * reads its input ({@link Conv2d#forward(Tensor, GroupNormInput, Conv2d.Packed, int, int, int, int, int, boolean, Tensor)}),
 * so the normalised copy of the input never exists.
 */
public final class GroupNormInput {
    final int channels;
    final boolean silu;
    /** Whether the statistics and the formula are the scalar twin's. */
    final boolean scalar;
    /** Per channel: the group mean; vector: a = inv·w, scalar: inv of the group and w separately; the bias. */
    final float[] mean, a, w, c;

    GroupNormInput(boolean scalar, float[] mean, float[] a, float[] w, float[] c, boolean silu) {
        this.scalar = scalar;
        this.channels = mean.length;
        this.mean = mean;
        this.a = a;
        this.w = w;
        this.c = c;
        this.silu = silu;
    }

    public int channels() { return channels; }

    /** norm(x) written into out (both F32 [channels, …] of one size; may be the same tensor), in parallel chunks. */
    void apply(Tensor x, Tensor out) {
        long hw = x.numel() / channels;
        int plane = (int) hw, chunks = (plane + Norms.CHUNK - 1) / Norms.CHUNK;
        OpKernels k = scalar ? null : OpKernels.of(Vectors.floats());
        MemorySegment xs = x.data(), os = out.data();
        Parallel.forEach(channels * chunks, t -> {
            int ch = t / chunks, i = (t % chunks) * Norms.CHUNK;
            long at = 4L * (ch * hw + i);
            apply(k, ch, xs, at, os, at, Math.min(Norms.CHUNK, plane - i));
        });
    }

    /** n elements of channel {@code ch} at byte {@code xo} of x → byte {@code oo} of out (both F32; may be the same). */
    void apply(OpKernels k, int ch, MemorySegment x, long xo, MemorySegment out, long oo, int n) {
        if (!scalar) {
            k.affine(x, xo, out, oo, n, mean[ch], a[ch], c[ch], silu);
            return;
        }
        float m = mean[ch], inv = a[ch], wc = w[ch], b = c[ch];
        for (int i = 0; i < n; i++) {
            float v = (x.getAtIndex(Tensor.F32, xo / 4 + i) - m) * inv * wc + b;
            if (silu) v = Activations.silu(v);
            out.setAtIndex(Tensor.F32, oo / 4 + i, v);
        }
    }
}
