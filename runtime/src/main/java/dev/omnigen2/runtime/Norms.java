package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * Normalisations over the last dimension (RMSNorm, LayerNorm) and over channel groups (GroupNorm, optionally
 * fused with SiLU). x and out are F32 and may be the same tensor; weights and biases may be in any float dtype.
 * Each has a scalar twin (used when {@link Vectors#scalar()}); results do not depend on the thread count.
 */
public final class Norms {
    private Norms() {}

    /** Elements per parallel task for row-wise kernels. */
    static final int CHUNK = 1 << 14;

    /** {@code out = x · rsqrt(mean(x²) + eps) · weight}; weight may be null. x and out may be the same tensor. */
    public static void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
        int d = x.size(-1);
        int rows = rowsOf(x, out, d, "rmsNorm");
        if (weight != null && weight.numel() != d) throw new IllegalArgumentException("rmsNorm: weight " + weight + " for rows of " + d);
        if (Vectors.scalar()) { rmsNormScalar(x, weight, eps, out); return; }
        OpKernels k = OpKernels.of(Vectors.floats());
        float[] w = weight == null ? null : weight.toFloatArray();
        MemorySegment xs = x.data(), os = out.data();
        forRows(rows, d, r -> k.rmsNorm(xs, 4L * r * d, os, 4L * r * d, d, w, eps));
    }

    public static Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        Tensor out = Tensor.zeros(x.shape());
        rmsNorm(x, weight, eps, out);
        return out;
    }

    /** {@code out = (x − mean) / sqrt(var + eps) · weight + bias}; weight and bias may be null (no affine). */
    public static void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        int d = x.size(-1);
        int rows = rowsOf(x, out, d, "layerNorm");
        if (weight != null && weight.numel() != d) throw new IllegalArgumentException("layerNorm: weight " + weight + " for rows of " + d);
        if (bias != null && bias.numel() != d) throw new IllegalArgumentException("layerNorm: bias " + bias + " for rows of " + d);
        if (Vectors.scalar()) { layerNormScalar(x, weight, bias, eps, out); return; }
        OpKernels k = OpKernels.of(Vectors.floats());
        float[] w = weight == null ? null : weight.toFloatArray(), b = bias == null ? null : bias.toFloatArray();
        MemorySegment xs = x.data(), os = out.data();
        forRows(rows, d, r -> k.layerNorm(xs, 4L * r * d, os, 4L * r * d, d, w, b, eps));
    }

    public static Tensor layerNorm(Tensor x, Tensor weight, Tensor bias, float eps) {
        Tensor out = Tensor.zeros(x.shape());
        layerNorm(x, weight, bias, eps, out);
        return out;
    }

    /**
     * GroupNorm of one image x [C, H·W] (or [C, H, W]) with {@code groups} channel groups, affine weight and
     * bias [C] (may be null); when {@code silu} is set, SiLU is applied to the result (the fused form).
     * Statistics are accumulated in double across chunks (a group can hold millions of elements).
     */
    public static void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, boolean silu, Tensor out) {
        if (out.numel() != x.numel() || out.dtype() != DType.F32)
            throw new IllegalArgumentException("groupNorm: x " + x + " and out " + out + " must be F32 of one size");
        groupNormInput(x, groups, weight, bias, eps, silu).apply(x, out);
    }

    /**
     * The statistics of {@link #groupNorm} over x, without writing anything: what a consumer needs to normalise
     * x element by element as it reads it (see {@link GroupNormInput}).
     */
    public static GroupNormInput groupNormInput(Tensor x, int groups, Tensor weight, Tensor bias, float eps, boolean silu) {
        int c = x.size(0);
        if (groups <= 0 || c % groups != 0) throw new IllegalArgumentException("groupNorm: " + c + " channels in " + groups + " groups");
        if (x.dtype() != DType.F32) throw new IllegalArgumentException("groupNorm: x " + x + " must be F32");
        if (weight != null && weight.numel() != c || bias != null && bias.numel() != c)
            throw new IllegalArgumentException("groupNorm: weight " + weight + " / bias " + bias + " for " + c + " channels");
        long hw = x.numel() / c;
        if (hw > Integer.MAX_VALUE) throw new IllegalArgumentException("groupNorm: channel plane too large: " + x);
        int cpg = c / groups, plane = (int) hw;
        MemorySegment xs = x.data();
        float[] mean = new float[c], a = new float[c], w = new float[c], b = new float[c];
        for (int ch = 0; ch < c; ch++) {
            w[ch] = weight == null ? 1f : weight.getFloat(ch);
            b[ch] = bias == null ? 0f : bias.getFloat(ch);
        }
        boolean scalar = Vectors.scalar();
        OpKernels k = scalar ? null : OpKernels.of(Vectors.floats());
        Parallel.forEach(groups, g -> {
            float m, inv;
            if (scalar) {
                long o = (long) g * cpg * hw, n = cpg * hw;
                double sum = 0;
                for (long i = 0; i < n; i++) sum += xs.getAtIndex(Tensor.F32, o + i);
                double dm = sum / n;
                double var = 0;
                for (long i = 0; i < n; i++) { double d = xs.getAtIndex(Tensor.F32, o + i) - dm; var += d * d; }
                var /= n;
                inv = (float) (1.0 / Math.sqrt(var + eps));
                m = (float) dm;
            } else {
                double s = 0;
                for (int ch = g * cpg; ch < (g + 1) * cpg; ch++)
                    for (int i = 0; i < plane; i += CHUNK) s += k.sum(xs, 4L * (ch * hw + i), Math.min(CHUNK, plane - i));
                double dm = s / ((double) cpg * hw);
                double v = 0;
                for (int ch = g * cpg; ch < (g + 1) * cpg; ch++)
                    for (int i = 0; i < plane; i += CHUNK)
                        v += k.sumSquaredDeviation(xs, 4L * (ch * hw + i), Math.min(CHUNK, plane - i), (float) dm);
                m = (float) dm;
                inv = (float) (1.0 / Math.sqrt(v / ((double) cpg * hw) + eps));
            }
            for (int ch = g * cpg; ch < (g + 1) * cpg; ch++) {
                mean[ch] = m;
                a[ch] = scalar ? inv : inv * w[ch];
            }
        });
        return new GroupNormInput(scalar, mean, a, w, b, silu);
    }

    private static int rowsOf(Tensor x, Tensor out, int d, String op) {
        if (x.dtype() != DType.F32 || out.dtype() != DType.F32 || out.numel() != x.numel())
            throw new IllegalArgumentException(op + ": x " + x + " and out " + out + " must be F32 of one size");
        return (int) (x.numel() / d);
    }

    /** Runs row(r) for every row, rows grouped into tasks of about {@link #CHUNK} elements. */
    static void forRows(int rows, int d, java.util.function.IntConsumer row) {
        int per = Math.max(1, CHUNK / Math.max(1, d));
        int tasks = (rows + per - 1) / per;
        Parallel.forEach(tasks, t -> {
            for (int r = t * per; r < Math.min(rows, (t + 1) * per); r++) row.accept(r);
        });
    }

    // ---- scalar twins ----

    static void rmsNormScalar(Tensor x, Tensor weight, float eps, Tensor out) {
        int d = x.size(-1);
        int rows = (int) (x.numel() / d);
        Parallel.forEach(rows, r -> {
            long o = (long) r * d;
            float ss = 0;
            for (int i = 0; i < d; i++) { float v = x.getFloat(o + i); ss += v * v; }
            float inv = (float) (1.0 / Math.sqrt(ss / d + eps));
            for (int i = 0; i < d; i++) {
                float v = x.getFloat(o + i) * inv;
                out.setFloat(o + i, weight == null ? v : v * weight.getFloat(i));
            }
        });
    }

    static void layerNormScalar(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
        int d = x.size(-1);
        int rows = (int) (x.numel() / d);
        Parallel.forEach(rows, r -> {
            long o = (long) r * d;
            float mean = 0;
            for (int i = 0; i < d; i++) mean += x.getFloat(o + i);
            mean /= d;
            float var = 0;
            for (int i = 0; i < d; i++) { float c = x.getFloat(o + i) - mean; var += c * c; }
            var /= d;
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            for (int i = 0; i < d; i++) {
                float v = (x.getFloat(o + i) - mean) * inv;
                if (weight != null) v *= weight.getFloat(i);
                if (bias != null) v += bias.getFloat(i);
                out.setFloat(o + i, v);
            }
        });
    }
}
