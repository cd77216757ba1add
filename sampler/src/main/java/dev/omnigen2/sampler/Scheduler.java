package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

import java.nio.file.Path;

/**
 * A flow-matching solver: the time grid of a run and the update that moves the latents along it.
 *
 * <p>A scheduler is immutable configuration; {@link #begin} starts one run with its own state
 * (DPM-Solver++ remembers the previous step's prediction), so one scheduler may serve many runs.
 */
public interface Scheduler {

    /**
     * Starts a run of {@code steps} steps on latents of {@code latentH × latentW} pixels (the
     * pipeline's {@code num_tokens}), which set the dynamic time shift.
     */
    Run begin(int steps, int latentH, int latentW);

    /** One run: the times at which the model is evaluated, and the update per step. */
    interface Run {
        /** The {@code N} evaluation times, increasing from 0 (noise) towards 1 (clean). */
        float[] timesteps();

        /**
         * Step {@code i}: moves {@code latents} (F32, updated in place) from {@code timesteps()[i]} to
         * the next time using the guided velocity. Steps must be taken in order 0, 1, …, N−1.
         */
        void step(int i, Tensor velocity, Tensor latents);
    }

    /**
     * The scheduler described by a diffusers {@code scheduler_config.json} ({@code _class_name}
     * {@code FlowMatchEulerDiscreteScheduler} or {@code DPMSolverMultistepScheduler}).
     */
    static Scheduler fromConfig(Path schedulerConfigJson) {
        SchedulerConfig config = SchedulerConfig.read(schedulerConfigJson);
        return switch (config.className()) {
            case SchedulerConfig.EULER -> new FlowMatchEulerScheduler(config);
            case SchedulerConfig.DPM -> new DpmSolverMultistepScheduler(config);
            default -> throw new IllegalArgumentException(schedulerConfigJson + ": unsupported scheduler _class_name '"
                    + config.className() + "', expected " + SchedulerConfig.EULER + " or " + SchedulerConfig.DPM);
        };
    }
}
