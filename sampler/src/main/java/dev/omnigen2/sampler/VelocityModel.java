package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * What the sampler knows of a model: it predicts a velocity for latents at a time, under one
 * conditioning {@link Pass}.
 *
 * <p>Time runs from 0 (pure noise) to 1 (clean image); the velocity {@code v} is such that the clean
 * image is about {@code x + (1 − t)·v}. Latents are F32 {@code [B, C, H, W]} (or {@code [C, H, W]});
 * the returned velocity has the same shape, F32, in a new tensor (the sampler may keep it). The model
 * must not modify {@code latents}.
 *
 * <p>{@code cache} is the hook for step caches ({@link LayerCache}); a model that ignores it still
 * gives exact results, only without the speed-up.
 */
@FunctionalInterface
public interface VelocityModel {

    Tensor velocity(Tensor latents, float t, Pass pass, LayerCache cache);

    /**
     * The velocities of several passes at the same latents and time, in the order of {@code passes}.
     * The default evaluates them one after another; a model that runs faster on a batch (one forward
     * over all passes, padded to the longest sequence) overrides this. Results must equal those of
     * separate {@link #velocity} calls up to float rounding. Each pass keeps its own hook: with a
     * step cache active, a batching model still hands every pass's rows to that pass's hook (it may
     * batch the work before and after the layer stack).
     */
    default List<Tensor> velocities(Tensor latents, float t, List<Pass> passes, List<LayerCache> caches) {
        if (passes.size() != caches.size())
            throw new IllegalArgumentException(passes.size() + " passes but " + caches.size() + " caches");
        List<Tensor> out = new ArrayList<>(passes.size());
        for (int i = 0; i < passes.size(); i++) out.add(velocity(latents, t, passes.get(i), caches.get(i)));
        return out;
    }
}
