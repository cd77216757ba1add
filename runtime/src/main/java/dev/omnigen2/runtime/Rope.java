package dev.omnigen2.runtime;

/**
 * Rotary position embeddings applied in place to token-major x [L, heads·hd] from per-token tables.
 * The two pairing conventions differ: Qwen rotates halves (x[i], x[i + hd/2]); OmniGen2 rotates
 * interleaved pairs (x[2m], x[2m+1]).
 */
public final class Rope {
    private Rope() {}

    /** Qwen's rotate-half: cos, sin [L, hd] (the usual table with both halves equal). */
    public static void rotateHalf(Tensor x, Tensor cos, Tensor sin, int heads, int hd) {
        int l = x.size(0), half = hd / 2;
        for (int t = 0; t < l; t++) {
            for (int h = 0; h < heads; h++) {
                long o = (long) t * heads * hd + (long) h * hd;
                for (int i = 0; i < half; i++) {
                    float x0 = x.getFloat(o + i), x1 = x.getFloat(o + i + half);
                    float c0 = cos.getFloat((long) t * hd + i), s0 = sin.getFloat((long) t * hd + i);
                    float c1 = cos.getFloat((long) t * hd + i + half), s1 = sin.getFloat((long) t * hd + i + half);
                    x.setFloat(o + i, x0 * c0 - x1 * s0);
                    x.setFloat(o + i + half, x1 * c1 + x0 * s1);
                }
            }
        }
    }

    /** Interleaved pairs: cos, sin [L, hd/2]; (x0, x1) → (x0·c − x1·s, x0·s + x1·c). */
    public static void interleaved(Tensor x, Tensor cos, Tensor sin, int heads, int hd) {
        int l = x.size(0), half = hd / 2;
        for (int t = 0; t < l; t++) {
            for (int h = 0; h < heads; h++) {
                long o = (long) t * heads * hd + (long) h * hd;
                for (int m = 0; m < half; m++) {
                    float x0 = x.getFloat(o + 2 * m), x1 = x.getFloat(o + 2 * m + 1);
                    float c = cos.getFloat((long) t * half + m), s = sin.getFloat((long) t * half + m);
                    x.setFloat(o + 2 * m, x0 * c - x1 * s);
                    x.setFloat(o + 2 * m + 1, x0 * s + x1 * c);
                }
            }
        }
    }
}
