package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * Rotary position embeddings applied in place to token-major x [L, heads·hd] from per-token tables (build them
 * with {@link RopeTables}). The two pairing conventions differ: Qwen rotates halves (x[i], x[i + hd/2]);
 * OmniGen2 rotates interleaved pairs (x[2m], x[2m+1]). Both paths (vector and scalar twin) compute
 * {@code x0·c − x1·s} and {@code x1·c + x0·s} with separate multiplies and one add, so they agree bit for bit.
 */
public final class Rope {
    private Rope() {}

    /** Qwen's rotate-half: cos, sin [L, hd] (the usual table with both halves equal). */
    public static void rotateHalf(Tensor x, Tensor cos, Tensor sin, int heads, int hd) {
        int l = check(x, cos, sin, heads, hd, hd, "rotateHalf");
        if (Vectors.scalar()) { rotateHalfScalar(x, cos, sin, heads, hd); return; }
        OpKernels k = OpKernels.of(Vectors.floats());
        MemorySegment xs = x.data(), cs = cos.data(), ss = sin.data();
        Norms.forRows(l, heads * hd, t -> {
            for (int h = 0; h < heads; h++) k.ropeHalf(xs, 4L * ((long) t * heads + h) * hd, cs, ss, 4L * t * hd, hd);
        });
    }

    /** Interleaved pairs: cos, sin [L, hd/2]; (x0, x1) → (x0·c − x1·s, x0·s + x1·c). */
    public static void interleaved(Tensor x, Tensor cos, Tensor sin, int heads, int hd) {
        int l = check(x, cos, sin, heads, hd, hd / 2, "interleaved");
        if (Vectors.scalar()) { interleavedScalar(x, cos, sin, heads, hd); return; }
        OpKernels k = OpKernels.of(Vectors.floats());
        MemorySegment xs = x.data(), cs = cos.data(), ss = sin.data();
        int half = hd / 2;
        int per = Math.max(1, Norms.CHUNK / (heads * hd));
        Parallel.forEach((l + per - 1) / per, task -> {
            float[] ce = new float[hd], se = new float[hd];
            for (int t = task * per; t < Math.min(l, (task + 1) * per); t++) {
                for (int m = 0; m < half; m++) {
                    float c = cs.getAtIndex(Tensor.F32, (long) t * half + m), s = ss.getAtIndex(Tensor.F32, (long) t * half + m);
                    ce[2 * m] = c;
                    ce[2 * m + 1] = c;
                    se[2 * m] = -s;
                    se[2 * m + 1] = s;
                }
                for (int h = 0; h < heads; h++) k.ropeInterleaved(xs, 4L * ((long) t * heads + h) * hd, ce, se, hd);
            }
        });
    }

    private static int check(Tensor x, Tensor cos, Tensor sin, int heads, int hd, int tableWidth, String op) {
        if (hd % 2 != 0) throw new IllegalArgumentException("rope " + op + ": head dim " + hd + " must be even");
        if (x.dtype() != DType.F32 || x.rank() != 2 || x.size(1) != heads * hd)
            throw new IllegalArgumentException("rope " + op + ": x " + x + " must be F32 [L, " + heads * hd + "]");
        int l = x.size(0);
        for (Tensor t : new Tensor[] {cos, sin})
            if (t.dtype() != DType.F32 || t.numel() != (long) l * tableWidth)
                throw new IllegalArgumentException("rope " + op + ": table " + t + " must be F32 [" + l + ", " + tableWidth + "]");
        return l;
    }

    // ---- scalar twins ----

    static void rotateHalfScalar(Tensor x, Tensor cos, Tensor sin, int heads, int hd) {
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

    static void interleavedScalar(Tensor x, Tensor cos, Tensor sin, int heads, int hd) {
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
