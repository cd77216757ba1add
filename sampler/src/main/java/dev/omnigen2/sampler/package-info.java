/**
 * OmniGen2's sampler, independent of any model: flow-matching schedulers, classifier-free guidance,
 * step caches and reproducible noise.
 *
 * <ul>
 *   <li>{@link dev.omnigen2.sampler.VelocityModel}: what the sampler needs of a model (velocity at
 *       latents and time under a {@link dev.omnigen2.sampler.Pass}); the step-cache hook it should honour
 *       is {@link dev.omnigen2.sampler.LayerCache}.</li>
 *   <li>{@link dev.omnigen2.sampler.Scheduler}: {@link dev.omnigen2.sampler.FlowMatchEulerScheduler} (the
 *       checkpoint's default) and {@link dev.omnigen2.sampler.DpmSolverMultistepScheduler}
 *       ({@code --scheduler dpmsolver++}), from {@code scheduler_config.json}.</li>
 *   <li>{@link dev.omnigen2.sampler.Guidance}: text and image guidance with a cfg range.</li>
 *   <li>{@link dev.omnigen2.sampler.Sampler}: the denoising loop, with progress events
 *       ({@link dev.omnigen2.sampler.StepListener}), cancellation and optional per-step records.</li>
 *   <li>{@link dev.omnigen2.sampler.StepCache}: {@link dev.omnigen2.sampler.TeaCache},
 *       {@link dev.omnigen2.sampler.TaylorSeer}, or none.</li>
 *   <li>{@link dev.omnigen2.sampler.Rng}: starting noise, PyTorch-CPU-exact
 *       ({@link dev.omnigen2.sampler.TorchCpuGenerator}) or our own counter-based generator.</li>
 * </ul>
 */
package dev.omnigen2.sampler;
