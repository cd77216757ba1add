package dev.omnigen2.sampler;

/**
 * One conditioning of the model at a step, as a label the pipeline maps to its inputs.
 *
 * <p>OmniGen2's guidance evaluates up to three of them per step, at the same latents and time:
 * <ul>
 *   <li>{@link #COND}: the prompt, with the reference images (if any);</li>
 *   <li>{@link #REF}: the negative prompt, with the reference images;</li>
 *   <li>{@link #UNCOND}: the negative prompt, without reference images.</li>
 * </ul>
 */
public enum Pass {
    COND, REF, UNCOND
}
