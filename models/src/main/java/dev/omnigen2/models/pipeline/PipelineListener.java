package dev.omnigen2.models.pipeline;

import dev.omnigen2.sampler.StepListener;

/**
 * Progress of a generation: coarse stages (loading, encoding the prompt, encoding images, decoding) and each
 * denoising step. Methods are called on the generating thread; keep them cheap.
 */
public interface PipelineListener {
    /** A new stage begins ("loading transformer", "encoding prompt", "decoding", …). */
    default void stage(String name) {}

    /** A denoising step finished. */
    default void step(StepListener.StepEvent event) {}

    /** A warning the user should see (e.g. the prompt was truncated). */
    default void warning(String message) {}

    PipelineListener NONE = new PipelineListener() {};
}
