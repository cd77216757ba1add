package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.Tensor;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The encoder's diagonal Gaussian over latents (diffusers' DiagonalGaussianDistribution) for one image: the
 * first half of the moment channels is the mean, the second half the log-variance, clamped to [−30, 20] so
 * that {@code exp} stays finite.
 */
public final class Posterior {
    static final float LOGVAR_MIN = -30f, LOGVAR_MAX = 20f;

    private final Tensor mean, logvar;

    /** From encoder moments [2·C, h, w]. */
    Posterior(Tensor moments) {
        VaeOps.requireF32(moments, "posterior");
        if (moments.rank() != 3 || moments.size(0) % 2 != 0)
            throw new IllegalArgumentException("posterior: moments must be [2*C, h, w], got " + moments);
        int c = moments.size(0) / 2;
        mean = moments.slice0(0, c).copy();
        logvar = moments.slice0(c, c).copy();
        for (long i = 0; i < logvar.numel(); i++)
            logvar.setFloat(i, Math.min(LOGVAR_MAX, Math.max(LOGVAR_MIN, logvar.getFloat(i))));
    }

    /** The mean [C, h, w] (a copy). */
    public Tensor mean() { return mean.copy(); }

    /** The clamped log-variance [C, h, w] (a copy). */
    public Tensor logvar() { return logvar.copy(); }

    /** {@code exp(logvar / 2)} [C, h, w]. */
    public Tensor std() {
        Tensor std = Tensor.zeros(logvar.shape());
        for (long i = 0; i < std.numel(); i++) std.setFloat(i, (float) Math.exp(0.5f * logvar.getFloat(i)));
        return std;
    }

    /** The most likely latent: the mean. Deterministic; what the golden fixtures use. */
    public Tensor mode() { return mean(); }

    /**
     * {@code mean + std · noise} for a standard-normal noise tensor of the latent's shape, e.g. one drawn by a
     * torch-compatible generator to reproduce upstream's {@code latent_dist.sample(generator)}.
     */
    public Tensor sample(Tensor noise) {
        if (!Arrays.equals(noise.shape(), mean.shape()))
            throw new IllegalArgumentException("posterior sample: noise " + noise + " must have the latent shape "
                    + Arrays.toString(mean.shape()));
        Tensor std = std();
        Tensor z = Tensor.zeros(mean.shape());
        for (long i = 0; i < z.numel(); i++) z.setFloat(i, mean.getFloat(i) + std.getFloat(i) * noise.getFloat(i));
        return z;
    }

    /** As {@link #sample(Tensor)} with noise drawn from {@code generator} in [C, h, w] row-major order. */
    public Tensor sample(RandomGenerator generator) {
        Tensor noise = Tensor.zeros(mean.shape());
        for (long i = 0; i < noise.numel(); i++) noise.setFloat(i, (float) generator.nextGaussian());
        return sample(noise);
    }

    public int[] shape() { return mean.shape(); }
}
