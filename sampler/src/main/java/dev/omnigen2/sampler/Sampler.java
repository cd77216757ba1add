package dev.omnigen2.sampler;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * The denoising loop of {@code OmniGen2Pipeline.processing}: for each step, evaluate the passes the
 * guidance needs, combine them, and let the scheduler move the latents.
 *
 * <pre>{@code
 * Sampler sampler = new Sampler(Scheduler.fromConfig(dir.resolve("scheduler/scheduler_config.json")),
 *         Guidance.of(5f, 2f, 0.0, 1.0, hasRefs), Sampler.Options.defaults().withStepCache(new TeaCache()));
 * Sampler.Result r = sampler.sample(model, Rng.TORCH.randn(seed, 1, 16, h / 8, w / 8), 50);
 * }</pre>
 *
 * <p>A sampler is immutable and may run many times (each run takes a fresh scheduler state and a
 * fresh step cache); one run is single-threaded at this level (the model parallelises inside).
 */
public final class Sampler {
    private final Scheduler scheduler;
    private final Guidance guidance;
    private final Options options;

    public Sampler(Scheduler scheduler, Guidance guidance, Options options) {
        this.scheduler = java.util.Objects.requireNonNull(scheduler, "scheduler");
        this.guidance = java.util.Objects.requireNonNull(guidance, "guidance");
        this.options = java.util.Objects.requireNonNull(options, "options");
    }

    public Sampler(Scheduler scheduler, Guidance guidance) {
        this(scheduler, guidance, Options.defaults());
    }

    /**
     * How a run behaves beyond the maths.
     *
     * @param stepCache   TeaCache, TaylorSeer or {@link StepCache#none()}; a fresh copy serves each run
     * @param listener    receives an event after every step
     * @param cancelled   polled before every step; true (or an interrupted thread) ends the run with a
     *                    {@link CancellationException}
     * @param recordSteps keep every step's predictions, guided velocity and latents in the result
     */
    public record Options(StepCache stepCache, StepListener listener, BooleanSupplier cancelled, boolean recordSteps) {
        public Options {
            java.util.Objects.requireNonNull(stepCache, "stepCache");
            java.util.Objects.requireNonNull(listener, "listener");
            java.util.Objects.requireNonNull(cancelled, "cancelled");
        }

        public static Options defaults() {
            return new Options(StepCache.none(), StepListener.NONE, () -> false, false);
        }

        public Options withStepCache(StepCache c) { return new Options(c, listener, cancelled, recordSteps); }
        public Options withListener(StepListener l) { return new Options(stepCache, l, cancelled, recordSteps); }
        public Options withCancellation(BooleanSupplier c) { return new Options(stepCache, listener, c, recordSteps); }
        public Options withRecordSteps(boolean r) { return new Options(stepCache, listener, cancelled, r); }
    }

    /**
     * One recorded step.
     *
     * @param step        step index
     * @param t           time the model was evaluated at
     * @param plan        passes and effective guidance scales
     * @param predictions each pass's velocity
     * @param guided      the combined velocity given to the scheduler
     * @param latents     a copy of the latents after the step
     */
    public record StepRecord(int step, float t, Guidance.Plan plan, Map<Pass, Tensor> predictions,
                             Tensor guided, Tensor latents) {}

    /**
     * What a run produced.
     *
     * @param latents   the final latents (F32, same shape as the initial ones)
     * @param timesteps the run's evaluation times
     * @param steps     per-step records when {@link Options#recordSteps}, else empty
     * @param computed  model passes that ran their layer stack
     * @param skipped   model passes a step cache answered without the layer stack
     * @param seconds   wall-clock seconds of the whole loop
     */
    public record Result(Tensor latents, float[] timesteps, List<StepRecord> steps, int computed, int skipped,
                         double seconds) {}

    /**
     * Denoises {@code initialLatents} (F32 {@code [B, C, H, W]} or {@code [C, H, W]}, the noise at
     * t = 0; not modified) in {@code steps} steps.
     */
    public Result sample(VelocityModel model, Tensor initialLatents, int steps) {
        if (initialLatents.rank() < 2)
            throw new IllegalArgumentException("latents must be [B, C, H, W] or [C, H, W], got " + initialLatents);
        if (initialLatents.dtype() != DType.F32)
            throw new IllegalArgumentException("latents must be F32, got " + initialLatents);
        Scheduler.Run run = scheduler.begin(steps, initialLatents.size(-2), initialLatents.size(-1));
        return sample(model, initialLatents, run);
    }

    /** As {@link #sample(VelocityModel, Tensor, int)}, on a run already begun (e.g. to inspect it). */
    public Result sample(VelocityModel model, Tensor initialLatents, Scheduler.Run run) {
        float[] timesteps = run.timesteps();
        int n = timesteps.length;
        Tensor latents = initialLatents.copy();
        StepCache cache = options.stepCache().fresh();
        List<StepRecord> records = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            if (options.cancelled().getAsBoolean() || Thread.currentThread().isInterrupted())
                throw new CancellationException("sampling cancelled before step " + i + " of " + n);
            long stepStart = System.nanoTime();
            int skippedBefore = cache.skipped();
            float t = timesteps[i];
            Guidance.Plan plan = guidance.plan(i, n);
            List<LayerCache> hooks = new ArrayList<>(plan.passes().size());
            for (Pass p : plan.passes()) hooks.add(cache.hook(p, i, n));
            List<Tensor> velocities = model.velocities(latents, t, plan.passes(), hooks);
            if (velocities.size() != plan.passes().size())
                throw new IllegalStateException("model returned " + velocities.size() + " velocities for "
                        + plan.passes().size() + " passes");
            Tensor guided = plan.combine(velocities);
            run.step(i, guided, latents);
            if (options.recordSteps()) {
                Map<Pass, Tensor> byPass = new EnumMap<>(Pass.class);
                for (int k = 0; k < velocities.size(); k++) byPass.put(plan.passes().get(k), velocities.get(k));
                records.add(new StepRecord(i, t, plan, Collections.unmodifiableMap(byPass), guided, latents.copy()));
            }
            options.listener().onStep(new StepListener.StepEvent(i, n, t, (System.nanoTime() - stepStart) * 1e-9,
                    plan.passes().size(), cache.skipped() - skippedBefore));
        }
        return new Result(latents, timesteps, List.copyOf(records), cache.computed(), cache.skipped(),
                (System.nanoTime() - start) * 1e-9);
    }
}
