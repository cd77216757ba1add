package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * Scaled dot-product attention {@code softmax(Q·Kᵀ·scale + mask)·V} over token-major tensors:
 * q [Lq, H·hd], k and v [Lk, KVH·hd], out [Lq, H·hd] (F32; other dtypes are converted first). Query head h
 * reads KV head h / (H / KVH) (grouped-query attention; H must be a multiple of KVH).
 *
 * <p>The vector path ({@link FlashAttention}) is tiled with an online softmax: per task it holds a block of
 * query rows, one tile of scores and one block of output accumulators, so memory is O(tile) plus one packed
 * copy of K and V per call, never [heads, Lq, Lk]. The scalar twin (forced with {@code -Domnigen2.vector=scalar})
 * computes one query row at a time with an exact two-pass softmax.
 *
 * <p><b>Fully masked rows:</b> a query row that may see no key at all (every key padded, an empty causal range,
 * …) yields an output row of zeros, never NaN. Upstream frameworks give NaN or an average of masked values
 * there; callers compare such rows only where they are defined.
 *
 * <p>Results do not depend on the thread count (bit-identical); the vector and scalar paths agree to float
 * rounding (different summation orders). Each call packs K and V once (≈ 2 % of a prefill call); calls with at
 * most {@value FlashAttention#FEW_QUERIES} queries and no segments (decode steps) read K and V in place instead.
 */
public final class Attention {
    private Attention() {}

    /**
     * Which keys a query may see.
     *
     * @param causal       query i (at absolute position {@code causalOffset + i}) sees keys j ≤ that position
     * @param causalOffset position of the first query among the keys (the KV-cache length before this call)
     * @param keyValid     per-key validity (padding mask), or null for all valid
     * @param segments     cu_seqlens-style boundaries [0, e1, e2, …, L]: queries and keys attend only within
     *                     their segment (Lq must equal Lk), or null for one segment
     */
    public record Mask(boolean causal, int causalOffset, boolean[] keyValid, int[] segments) {
        public static final Mask NONE = new Mask(false, 0, null, null);

        public static Mask causal(int offset) { return new Mask(true, offset, null, null); }

        public static Mask keys(boolean[] keyValid) { return new Mask(false, 0, keyValid, null); }

        public static Mask segments(int[] cuSeqlens) { return new Mask(false, 0, null, cuSeqlens); }
    }

    public static Tensor forward(Tensor q, Tensor k, Tensor v, int heads, int kvHeads, int headDim, float scale, Mask mask) {
        Tensor out = Tensor.zeros(q.size(0), heads * headDim);
        forward(q, k, v, out, heads, kvHeads, headDim, scale, mask);
        return out;
    }

    public static void forward(Tensor q, Tensor k, Tensor v, Tensor out, int heads, int kvHeads, int headDim,
                               float scale, Mask mask) {
        Mask m = mask == null ? Mask.NONE : mask;
        check(q, k, v, out, heads, kvHeads, headDim, m);
        if (out.dtype() != DType.F32) throw new IllegalArgumentException("attention: output must be F32, got " + out);
        q = q.toF32();
        k = k.toF32();
        v = v.toF32();
        if (Vectors.scalar()) forwardScalar(q, k, v, out, heads, kvHeads, headDim, scale, m);
        else FlashAttention.forward(q, k, v, out, heads, kvHeads, headDim, scale, m, Vectors.floats());
    }

    private static void check(Tensor q, Tensor k, Tensor v, Tensor out, int heads, int kvHeads, int hd, Mask m) {
        if (heads <= 0 || kvHeads <= 0 || hd <= 0 || heads % kvHeads != 0)
            throw new IllegalArgumentException("attention: heads " + heads + " must be a positive multiple of kvHeads "
                    + kvHeads + " (head dim " + hd + ")");
        if (q.rank() != 2 || q.size(1) != heads * hd)
            throw new IllegalArgumentException("attention: q " + q + " must be [Lq, " + heads * hd + "]");
        if (k.rank() != 2 || k.size(1) != kvHeads * hd)
            throw new IllegalArgumentException("attention: k " + k + " must be [Lk, " + kvHeads * hd + "]");
        if (v.rank() != 2 || v.size(0) != k.size(0) || v.size(1) != kvHeads * hd)
            throw new IllegalArgumentException("attention: v " + v + " must match k " + k);
        if (out.numel() != q.numel())
            throw new IllegalArgumentException("attention: out " + out + " must have the shape of q " + q);
        int lq = q.size(0), lk = k.size(0);
        if (m.keyValid() != null && m.keyValid().length != lk)
            throw new IllegalArgumentException("attention: keyValid has " + m.keyValid().length + " entries for " + lk + " keys");
        if (m.causalOffset() < 0) throw new IllegalArgumentException("attention: negative causal offset " + m.causalOffset());
        int[] s = m.segments();
        if (s != null) {
            if (lq != lk) throw new IllegalArgumentException("attention: segments need Lq == Lk, got " + lq + " and " + lk);
            if (s.length < 2 || s[0] != 0 || s[s.length - 1] != lq)
                throw new IllegalArgumentException("attention: segments must run from 0 to " + lq + ", got "
                        + java.util.Arrays.toString(s));
            for (int i = 1; i < s.length; i++)
                if (s[i] < s[i - 1]) throw new IllegalArgumentException("attention: segments must not decrease: "
                        + java.util.Arrays.toString(s));
        }
    }

    /** The key range [lo, hi) query row i may see before the per-key validity mask. */
    static int[] keyRange(Mask m, int i, int lk) {
        int lo = 0, hi = lk;
        int[] s = m.segments();
        if (s != null) {
            for (int g = 0; g + 1 < s.length; g++) if (i >= s[g] && i < s[g + 1]) { lo = s[g]; hi = s[g + 1]; break; }
        }
        if (m.causal()) hi = (int) Math.min(hi, (long) m.causalOffset() + i + 1);
        return new int[] {lo, hi};
    }

    /** Scalar twin: one (row, head) at a time, exact max-subtracted softmax with {@link Math#exp}. */
    static void forwardScalar(Tensor q, Tensor k, Tensor v, Tensor out, int heads, int kvHeads, int headDim,
                              float scale, Mask m) {
        int lq = q.size(0), lk = k.size(0);
        int group = heads / kvHeads;
        MemorySegment qs = q.data(), ks = k.data(), vs = v.data(), os = out.data();
        Parallel.forEach(lq, i -> {
            int[] range = keyRange(m, i, lk);
            int lo = range[0], hi = Math.max(range[0], range[1]);
            float[] scores = new float[hi - lo];
            float[] acc = new float[headDim];
            for (int h = 0; h < heads; h++) {
                int kh = h / group;
                long qo = (long) i * heads * headDim + (long) h * headDim;
                float max = Float.NEGATIVE_INFINITY;
                for (int j = lo; j < hi; j++) {
                    if (m.keyValid() != null && !m.keyValid()[j]) { scores[j - lo] = Float.NEGATIVE_INFINITY; continue; }
                    long ko = (long) j * kvHeads * headDim + (long) kh * headDim;
                    float dot = 0;
                    for (int d = 0; d < headDim; d++) dot += qs.getAtIndex(Tensor.F32, qo + d) * ks.getAtIndex(Tensor.F32, ko + d);
                    scores[j - lo] = dot * scale;
                    max = Math.max(max, scores[j - lo]);
                }
                java.util.Arrays.fill(acc, 0f);
                if (max != Float.NEGATIVE_INFINITY) {
                    float sum = 0;
                    for (int j = lo; j < hi; j++) {
                        if (scores[j - lo] == Float.NEGATIVE_INFINITY) continue;
                        float p = (float) Math.exp(scores[j - lo] - max);
                        sum += p;
                        long vo = (long) j * kvHeads * headDim + (long) kh * headDim;
                        for (int d = 0; d < headDim; d++) acc[d] += p * vs.getAtIndex(Tensor.F32, vo + d);
                    }
                    for (int d = 0; d < headDim; d++) acc[d] /= sum;
                }
                MemorySegment.copy(acc, 0, os, Tensor.F32, qo * 4, headDim);
            }
        });
    }
}
