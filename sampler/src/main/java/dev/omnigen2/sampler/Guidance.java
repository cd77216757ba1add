package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

import java.util.List;

/**
 * OmniGen2's classifier-free guidance: which passes a step needs and how their velocities combine.
 *
 * <p>At step {@code i} of {@code N} the scales apply only when {@code cfgStart ≤ i/N ≤ cfgEnd}
 * (inclusive; otherwise both are 1). Then, as {@code OmniGen2Pipeline.processing} does:
 * <ul>
 *   <li>text scale > 1 and image scale > 1: three passes,
 *       {@code uncond + ig·(ref − uncond) + tg·(cond − ref)};</li>
 *   <li>only the text scale > 1: two passes, {@code uncond + tg·(cond − uncond)};</li>
 *   <li>otherwise (including image scale > 1 with text scale ≤ 1): the cond pass alone.</li>
 * </ul>
 * Without reference images the pipeline forces the image scale to 1 ({@link #of}).
 *
 * @param textScale  text guidance scale {@code tg}
 * @param imageScale image guidance scale {@code ig} (already 1 when there are no reference images)
 * @param cfgStart   start of the guided fraction of the run
 * @param cfgEnd     end of the guided fraction of the run
 */
public record Guidance(float textScale, float imageScale, double cfgStart, double cfgEnd) {

    public Guidance {
        if (!(cfgStart <= cfgEnd))
            throw new IllegalArgumentException("cfg range must satisfy start <= end, got [" + cfgStart + ", " + cfgEnd + "]");
        if (!Float.isFinite(textScale) || !Float.isFinite(imageScale))
            throw new IllegalArgumentException("guidance scales must be finite: text " + textScale + ", image " + imageScale);
    }

    /** Guidance as the pipeline sets it up: the image scale is 1 when there are no reference images. */
    public static Guidance of(float textScale, float imageScale, double cfgStart, double cfgEnd, boolean hasReferenceImages) {
        return new Guidance(textScale, hasReferenceImages ? imageScale : 1.0f, cfgStart, cfgEnd);
    }

    /** No guidance: one cond pass per step. */
    public static Guidance none() { return new Guidance(1.0f, 1.0f, 0.0, 1.0); }

    /** The passes and effective scales of step {@code i} of {@code steps}. */
    public Plan plan(int i, int steps) {
        Checks.stepIndex(i, steps);
        // upstream compares the Python float i / N (double) with the range
        double fraction = (double) i / steps;
        boolean inRange = cfgStart <= fraction && fraction <= cfgEnd;
        float tg = inRange ? textScale : 1.0f;
        float ig = inRange ? imageScale : 1.0f;
        if (tg > 1.0f && ig > 1.0f) return new Plan(List.of(Pass.COND, Pass.REF, Pass.UNCOND), tg, ig);
        if (tg > 1.0f) return new Plan(List.of(Pass.COND, Pass.UNCOND), tg, ig);
        return new Plan(List.of(Pass.COND), tg, ig);
    }

    /**
     * What one step evaluates.
     *
     * @param passes     the passes to run, in upstream's order (cond, ref, uncond)
     * @param textScale  effective text scale at this step
     * @param imageScale effective image scale at this step
     */
    public record Plan(List<Pass> passes, float textScale, float imageScale) {

        /**
         * The guided velocity from the passes' velocities (in the order of {@link #passes}), in float32
         * in upstream's order of operations. Returns a new tensor (or the cond velocity itself when
         * there is one pass).
         */
        public Tensor combine(List<Tensor> velocities) {
            if (velocities.size() != passes.size())
                throw new IllegalArgumentException(passes.size() + " passes but " + velocities.size() + " velocities");
            Tensor cond = velocities.get(0);
            for (Tensor v : velocities)
                if (!java.util.Arrays.equals(v.shape(), cond.shape()))
                    throw new IllegalArgumentException("velocities of different shapes: " + v + " vs " + cond);
            if (passes.size() == 1) return cond;
            long n = cond.numel();
            Tensor out = Tensor.zeros(cond.shape());
            if (passes.size() == 2) {
                Tensor uncond = velocities.get(1);
                float tg = textScale;
                for (long k = 0; k < n; k++) {
                    float u = uncond.getFloat(k);
                    out.setFloat(k, u + tg * (cond.getFloat(k) - u));
                }
            } else {
                Tensor ref = velocities.get(1), uncond = velocities.get(2);
                float tg = textScale, ig = imageScale;
                for (long k = 0; k < n; k++) {
                    float u = uncond.getFloat(k), r = ref.getFloat(k);
                    out.setFloat(k, (u + ig * (r - u)) + tg * (cond.getFloat(k) - r));
                }
            }
            return out;
        }
    }
}
