package dev.omnigen2.runtime;

/** Normalisations over the last dimension (RMSNorm, LayerNorm) and over channel groups (GroupNorm). */
public final class Norms {
    private Norms() {}

    /** {@code out = x · rsqrt(mean(x²) + eps) · weight}; weight may be null. x and out may be the same tensor. */
    public static void rmsNorm(Tensor x, Tensor weight, float eps, Tensor out) {
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

    public static Tensor rmsNorm(Tensor x, Tensor weight, float eps) {
        Tensor out = Tensor.zeros(x.shape());
        rmsNorm(x, weight, eps, out);
        return out;
    }

    /** {@code out = (x − mean) / sqrt(var + eps) · weight + bias}; weight and bias may be null. */
    public static void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor out) {
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

    /**
     * GroupNorm of one image x [C, H·W] (or [C, H, W]) with {@code groups} channel groups, affine weight and
     * bias [C] (may be null); when {@code silu} is set, SiLU is applied to the result (the fused form).
     */
    public static void groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, float eps, boolean silu, Tensor out) {
        int c = x.size(0);
        long hw = x.numel() / c;
        int cpg = c / groups;
        Parallel.forEach(groups, g -> {
            long o = (long) g * cpg * hw, n = cpg * hw;
            double mean = 0;
            for (long i = 0; i < n; i++) mean += x.getFloat(o + i);
            mean /= n;
            double var = 0;
            for (long i = 0; i < n; i++) { double d = x.getFloat(o + i) - mean; var += d * d; }
            var /= n;
            float inv = (float) (1.0 / Math.sqrt(var + eps));
            float fm = (float) mean;
            for (int ch = g * cpg; ch < (g + 1) * cpg; ch++) {
                float w = weight == null ? 1f : weight.getFloat(ch), b = bias == null ? 0f : bias.getFloat(ch);
                for (long i = 0; i < hw; i++) {
                    float v = (x.getFloat(ch * hw + i) - fm) * inv * w + b;
                    if (silu) v = Activations.silu(v);
                    out.setFloat(ch * hw + i, v);
                }
            }
        });
    }
}
