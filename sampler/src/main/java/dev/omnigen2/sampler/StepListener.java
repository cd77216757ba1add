package dev.omnigen2.sampler;

/**
 * Receives one event after every denoising step, on the sampling thread (for a progress bar, a log,
 * or a library user's callback). A listener that throws aborts sampling with its exception.
 */
@FunctionalInterface
public interface StepListener {

    void onStep(StepEvent event);

    StepListener NONE = event -> {};

    /**
     * A finished step.
     *
     * @param step     index of the step just done, 0-based
     * @param steps    number of steps of the run
     * @param t        the time the model was evaluated at in this step
     * @param seconds  wall-clock seconds this step took (model passes, guidance and scheduler update)
     * @param passes   how many model passes this step ran (1, 2 or 3)
     * @param skipped  how many of those passes a step cache answered without running the layer stack
     */
    record StepEvent(int step, int steps, float t, double seconds, int passes, int skipped) {}
}
