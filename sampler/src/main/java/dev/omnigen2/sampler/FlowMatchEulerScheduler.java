package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

/**
 * OmniGen2's {@code FlowMatchEulerDiscreteScheduler}: a linear time grid, shifted towards noise for
 * large latents, and the Euler update {@code x ← x + (t_next − t)·v}.
 *
 * <p>Every number is reproduced bit for bit, including numpy 1.24's float32 arithmetic for the shift
 * (see {@link #shiftedTimesteps}).
 */
public final class FlowMatchEulerScheduler implements Scheduler {
    private final SchedulerConfig config;

    public FlowMatchEulerScheduler(SchedulerConfig config) {
        this.config = config;
    }

    public FlowMatchEulerScheduler() {
        this(SchedulerConfig.euler());
    }

    public SchedulerConfig config() { return config; }

    /**
     * {@code np.linspace(0, 1, steps + 1, dtype=float32)[:-1]}: numpy forms {@code i · (1/steps)} in
     * double and rounds once to float.
     */
    public static float[] linearTimesteps(int steps) {
        if (steps < 1) throw new IllegalArgumentException("number of steps must be at least 1, got " + steps);
        double step = 1.0 / steps;
        float[] t = new float[steps];
        for (int i = 0; i < steps; i++) t[i] = (float) (i * step);
        return t;
    }

    /**
     * The linear grid shifted by {@code m = sqrt(numTokens)/40} as {@code t / (m − m·t + t)}.
     * Upstream writes this with a float64 numpy scalar {@code m} and a float32 array; numpy 1.24's
     * value-based casting turns {@code m} into a float32 and does every operation in float32, which
     * is what we do (numpy ≥ 2 would differ by up to 2 ulp).
     */
    public static float[] shiftedTimesteps(int steps, long numTokens) {
        if (numTokens < 1) throw new IllegalArgumentException("num_tokens must be positive, got " + numTokens);
        float[] t = linearTimesteps(steps);
        float m = (float) (Math.sqrt((double) numTokens) / 40.0);
        for (int i = 0; i < t.length; i++) t[i] = t[i] / ((m - m * t[i]) + t[i]);
        return t;
    }

    /** The grid for a latent of {@code latentH × latentW}, shifted when the config asks for it. */
    static float[] timesteps(SchedulerConfig config, int steps, int latentH, int latentW) {
        return config.dynamicTimeShift()
                ? shiftedTimesteps(steps, (long) latentH * latentW)
                : linearTimesteps(steps);
    }

    @Override
    public EulerRun begin(int steps, int latentH, int latentW) {
        return new EulerRun(timesteps(config, steps, latentH, latentW));
    }

    /** One Euler run; its extended grid ends with 1.0 (the clean image). */
    public static final class EulerRun implements Scheduler.Run {
        private final float[] timesteps;
        private final float[] extended;

        EulerRun(float[] timesteps) {
            this.timesteps = timesteps;
            this.extended = java.util.Arrays.copyOf(timesteps, timesteps.length + 1);
            extended[timesteps.length] = 1.0f;
        }

        @Override public float[] timesteps() { return timesteps.clone(); }

        /** Upstream's {@code _timesteps}: the N times followed by 1.0. */
        public float[] extendedTimesteps() { return extended.clone(); }

        @Override
        public void step(int i, Tensor velocity, Tensor latents) {
            Checks.stepIndex(i, timesteps.length);
            Checks.sameShapeF32(velocity, latents);
            float dt = extended[i + 1] - extended[i];
            long n = latents.numel();
            for (long k = 0; k < n; k++)
                latents.setFloat(k, latents.getFloat(k) + dt * velocity.getFloat(k));
        }
    }
}
