package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A cheap analytic stand-in for the transformer, shaped like it where step caches care: an
 * embedding (identity), a first-layer modulated input that depends on the latents and on t, a
 * costly stack of residual layers pulling the tokens towards a per-pass target image, and an output
 * head turning the stack's output into a velocity. It honours the {@link LayerCache} hook exactly as
 * the real model must.
 */
final class SyntheticTransformer implements VelocityModel {
    private final int layers;
    private final Map<Pass, float[]> targets = new EnumMap<>(Pass.class);
    int stackRuns;

    SyntheticTransformer(int[] shape, int layers) {
        this.layers = layers;
        long n = 1;
        for (int d : shape) n *= d;
        float[] pattern = new float[(int) n];
        for (int k = 0; k < pattern.length; k++) pattern[k] = (float) (0.8 * Math.sin(0.05 * k) * Math.cos(0.013 * k));
        float[] scale = {1.0f, 0.7f, 0.3f};
        for (Pass p : Pass.values()) {
            float[] t = new float[pattern.length];
            for (int k = 0; k < t.length; k++) t[k] = scale[p.ordinal()] * pattern[k];
            targets.put(p, t);
        }
    }

    @Override
    public Tensor velocity(Tensor latents, float t, Pass pass, LayerCache cache) {
        Tensor hidden = latents.copy();                       // "patch embedding"
        float shift = 0.2f + t;                               // "timestep embedding"
        Supplier<Tensor> modulated = () -> {
            Tensor m = Tensor.zeros(hidden.shape());
            for (long k = 0; k < m.numel(); k++) m.setFloat(k, hidden.getFloat(k) * (1 + shift));
            return m;
        };
        float[] target = targets.get(pass);
        UnaryOperator<Tensor> stack = h -> {
            stackRuns++;
            float[] x = h.toFloatArray();
            for (int l = 0; l < layers; l++)
                for (int k = 0; k < x.length; k++)
                    x[k] += 0.25f * (target[k] - x[k]) + 0.01f * (float) Math.tanh(3 * x[k] * shift);
            return Tensor.of(x, h.shape());
        };
        Tensor out = cache.run(hidden, modulated, stack);
        // "output head": the stack's residual; with dx/dt = g·(target − x) part of the noise survives to
        // t = 1, so errors a cache makes on the way stay visible in the result
        Tensor v = Tensor.zeros(latents.shape());
        for (long k = 0; k < v.numel(); k++) v.setFloat(k, 2 * (out.getFloat(k) - hidden.getFloat(k)));
        return v;
    }

    /** PSNR in dB of {@code y} against {@code reference}, peak = the reference's value range. */
    static double psnr(Tensor y, Tensor reference) {
        float[] a = y.toFloatArray(), b = reference.toFloatArray();
        double mse = 0, lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (int k = 0; k < a.length; k++) {
            double d = a[k] - b[k];
            mse += d * d;
            lo = Math.min(lo, b[k]);
            hi = Math.max(hi, b[k]);
        }
        mse /= a.length;
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10((hi - lo) * (hi - lo) / mse);
    }
}
