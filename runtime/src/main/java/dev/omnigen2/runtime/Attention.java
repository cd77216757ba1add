package dev.omnigen2.runtime;

/**
 * Scaled dot-product attention {@code softmax(Q·Kᵀ·scale + mask)·V} over token-major tensors:
 * q [Lq, H·hd], k and v [Lk, KVH·hd], out [Lq, H·hd]. Query head h reads KV head h / (H / KVH).
 * A query row whose keys are all masked yields zeros.
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
        int lq = q.size(0), lk = k.size(0);
        int group = heads / kvHeads;
        Mask m = mask == null ? Mask.NONE : mask;
        Parallel.forEach(lq * heads, task -> {
            int i = task / heads, h = task % heads, kh = h / group;
            int lo = 0, hi = lk;
            if (m.segments() != null) {
                int[] s = m.segments();
                for (int g = 0; g + 1 < s.length; g++) if (i >= s[g] && i < s[g + 1]) { lo = s[g]; hi = s[g + 1]; break; }
            }
            if (m.causal()) hi = Math.min(hi, m.causalOffset() + i + 1);
            long qo = (long) i * heads * headDim + (long) h * headDim;
            float max = Float.NEGATIVE_INFINITY;
            float[] scores = new float[Math.max(0, hi - lo)];
            for (int j = lo; j < hi; j++) {
                if (m.keyValid() != null && !m.keyValid()[j]) { scores[j - lo] = Float.NEGATIVE_INFINITY; continue; }
                long ko = (long) j * kvHeads * headDim + (long) kh * headDim;
                float dot = 0;
                for (int d = 0; d < headDim; d++) dot += q.getFloat(qo + d) * k.getFloat(ko + d);
                scores[j - lo] = dot * scale;
                max = Math.max(max, scores[j - lo]);
            }
            float[] acc = new float[headDim];
            if (max != Float.NEGATIVE_INFINITY) {
                float sum = 0;
                for (int j = lo; j < hi; j++) {
                    float p = (float) Math.exp(scores[j - lo] - max);
                    if (scores[j - lo] == Float.NEGATIVE_INFINITY) p = 0;
                    sum += p;
                    long vo = (long) j * kvHeads * headDim + (long) kh * headDim;
                    for (int d = 0; d < headDim; d++) acc[d] += p * v.getFloat(vo + d);
                }
                for (int d = 0; d < headDim; d++) acc[d] /= sum;
            }
            for (int d = 0; d < headDim; d++) out.setFloat(qo + d, acc[d]);
        });
    }
}
