package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

/**
 * DPM-Solver++ multistep (orders 1 and 2, midpoint or Heun) on OmniGen2's flow-matching grid, as
 * OmniGen2's {@code DPMSolverMultistepScheduler} with {@code prediction_type="flow_prediction"} runs it.
 *
 * <p>With noise level {@code σ = 1 − t}: {@code α = 1 − σ}, {@code λ = log α − log σ}; the model's
 * velocity becomes a clean-image prediction {@code x0 = x + σ·v}, and the solver extrapolates in λ.
 * The first step, and the last one ({@code final_sigmas_type="zero"}: σ reaches 0), are first order;
 * the others use the previous step's x0 too. λ(σ=1) = −∞ and λ(σ=0) = +∞ are ordinary values
 * here: they make step 0 and the correction of step 1 collapse to Euler, exactly as in float32 torch.
 * All scalars are float32, as upstream's 0-dimensional tensors are.
 */
public final class DpmSolverMultistepScheduler implements Scheduler {
    private final SchedulerConfig config;
    private final boolean heun;

    public DpmSolverMultistepScheduler(SchedulerConfig config) {
        if (!"dpmsolver++".equals(config.algorithmType()))
            throw new IllegalArgumentException("DPM-Solver: only algorithm_type dpmsolver++ is supported, got "
                    + config.algorithmType());
        if (!"flow_prediction".equals(config.predictionType()))
            throw new IllegalArgumentException("DPM-Solver: only prediction_type flow_prediction is supported, got "
                    + config.predictionType());
        if (config.solverOrder() < 1 || config.solverOrder() > 2)
            throw new IllegalArgumentException("DPM-Solver: solver_order must be 1 or 2, got " + config.solverOrder());
        if (!"midpoint".equals(config.solverType()) && !"heun".equals(config.solverType()))
            throw new IllegalArgumentException("DPM-Solver: solver_type must be midpoint or heun, got "
                    + config.solverType());
        if (config.thresholding())
            throw new IllegalArgumentException("DPM-Solver: thresholding is not supported for flow prediction");
        this.config = config;
        this.heun = "heun".equals(config.solverType());
    }

    public DpmSolverMultistepScheduler() {
        this(SchedulerConfig.dpmSolverPlusPlus());
    }

    public SchedulerConfig config() { return config; }

    @Override
    public DpmRun begin(int steps, int latentH, int latentW) {
        return new DpmRun(FlowMatchEulerScheduler.timesteps(config, steps, latentH, latentW));
    }

    /** One run: the noise levels and the previous step's clean-image prediction. */
    public final class DpmRun implements Scheduler.Run {
        private final float[] timesteps;
        private final float[] sigmas;
        private Tensor previousX0;
        private Tensor lastX0;
        private int lowerOrderSteps;
        private int nextStep;

        DpmRun(float[] timesteps) {
            this.timesteps = timesteps;
            this.sigmas = new float[timesteps.length + 1];
            for (int i = 0; i < timesteps.length; i++) sigmas[i] = 1.0f - timesteps[i];
            sigmas[timesteps.length] = 0.0f;
        }

        @Override public float[] timesteps() { return timesteps.clone(); }

        /** Upstream's {@code sigmas}: {@code 1 − t} for every step, then 0. */
        public float[] sigmas() { return sigmas.clone(); }

        /** The clean-image prediction {@code x0 = x + σ·v} of the last step taken (null before). */
        public Tensor lastDataPrediction() { return lastX0; }

        @Override
        public void step(int i, Tensor velocity, Tensor latents) {
            Checks.stepIndex(i, timesteps.length);
            Checks.sameShapeF32(velocity, latents);
            if (i != nextStep)
                throw new IllegalStateException("DPM-Solver steps must run in order: expected step " + nextStep
                        + ", got " + i);
            int n = timesteps.length;
            float sigmaS = sigmas[i];
            Tensor x0 = Tensor.zeros(latents.shape());
            long size = latents.numel();
            for (long k = 0; k < size; k++) x0.setFloat(k, latents.getFloat(k) + sigmaS * velocity.getFloat(k));

            boolean finalStep = i == n - 1 && (config.eulerAtFinal()
                    || (config.lowerOrderFinal() && n < 15) || "zero".equals(config.finalSigmasType()));
            if (config.solverOrder() == 1 || lowerOrderSteps < 1 || finalStep) firstOrder(i, x0, latents);
            else secondOrder(i, x0, previousX0, latents);

            if (lowerOrderSteps < config.solverOrder()) lowerOrderSteps++;
            previousX0 = x0;
            lastX0 = x0;
            nextStep++;
        }

        private void firstOrder(int i, Tensor x0, Tensor x) {
            float sigmaT = sigmas[i + 1], sigmaS = sigmas[i];
            float alphaT = 1.0f - sigmaT;
            float h = lambda(sigmaT) - lambda(sigmaS);
            float keep = sigmaT / sigmaS;
            float pull = alphaT * ((float) Math.exp(-h) - 1.0f);
            long size = x.numel();
            for (long k = 0; k < size; k++) x.setFloat(k, keep * x.getFloat(k) - pull * x0.getFloat(k));
        }

        private void secondOrder(int i, Tensor x0, Tensor previous, Tensor x) {
            float sigmaT = sigmas[i + 1], sigmaS0 = sigmas[i], sigmaS1 = sigmas[i - 1];
            float alphaT = 1.0f - sigmaT;
            float lambdaT = lambda(sigmaT), lambdaS0 = lambda(sigmaS0), lambdaS1 = lambda(sigmaS1);
            float h = lambdaT - lambdaS0, h0 = lambdaS0 - lambdaS1;
            float r0 = h0 / h;
            float invR0 = 1.0f / r0;
            float keep = sigmaT / sigmaS0;
            float expm1 = (float) Math.exp(-h) - 1.0f;
            float pull = alphaT * expm1;
            // midpoint: − ½·α(e^{−h} − 1)·D1; Heun: + α((e^{−h} − 1)/h + 1)·D1
            float correction = heun ? -(alphaT * (expm1 / h + 1.0f)) : 0.5f * pull;
            long size = x.numel();
            for (long k = 0; k < size; k++) {
                float d0 = x0.getFloat(k);
                float d1 = invR0 * (d0 - previous.getFloat(k));
                x.setFloat(k, keep * x.getFloat(k) - pull * d0 - correction * d1);
            }
        }
    }

    /** λ = log α − log σ with α = 1 − σ, in float32 (−∞ at σ = 1, +∞ at σ = 0). */
    static float lambda(float sigma) {
        float alpha = 1.0f - sigma;
        return (float) Math.log(alpha) - (float) Math.log(sigma);
    }
}
