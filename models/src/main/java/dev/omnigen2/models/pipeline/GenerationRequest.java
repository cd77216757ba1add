package dev.omnigen2.models.pipeline;

import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.runtime.Tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Everything one generation needs. Build with {@link #builder()}: its defaults are those of OmniGen2's
 * {@code inference.py} (what the CLI uses); {@link Builder#pipelineDefaults()} switches to the library
 * defaults of {@code OmniGen2Pipeline.__call__}.
 *
 * <table>
 *   <caption>Defaults</caption>
 *   <tr><th>setting</th><th>inference.py (default here)</th><th>OmniGen2Pipeline</th></tr>
 *   <tr><td>steps</td><td>50</td><td>28</td></tr>
 *   <tr><td>text guidance</td><td>5.0</td><td>4.0</td></tr>
 *   <tr><td>image guidance</td><td>2.0</td><td>1.0</td></tr>
 *   <tr><td>negative prompt</td><td>{@link #INFERENCE_NEGATIVE_PROMPT}</td><td>""</td></tr>
 *   <tr><td>cfg range, size, max pixels, max side, max tokens</td><td colspan="2">(0, 1), 1024×1024, 1024², 1024, 1024</td></tr>
 * </table>
 */
public record GenerationRequest(
        String prompt, String negativePrompt, List<RgbImage> images, int width, int height, int steps,
        float textGuidanceScale, float imageGuidanceScale, double cfgRangeStart, double cfgRangeEnd, String scheduler,
        long seed, String rng, long maxPixels, int maxInputImageSideLength, int maxSequenceLength, boolean alignRes,
        boolean sampleReferenceLatents, float teaCacheThreshold, boolean taylorSeer, Tensor initialLatents) {

    public static final int MAX_REFERENCE_IMAGES = 5;

    /** inference.py's default --negative_prompt, verbatim. */
    public static final String INFERENCE_NEGATIVE_PROMPT = "(((deformed))), blurry, over saturation, bad anatomy, disfigured, "
            + "poorly drawn face, mutation, mutated, (extra_limb), (ugly), (poorly drawn hands), fused fingers, messy drawing, "
            + "broken legs censor, censored, censor_bar";

    public GenerationRequest {
        Objects.requireNonNull(prompt, "prompt");
        negativePrompt = negativePrompt == null ? "" : negativePrompt;
        images = List.copyOf(images == null ? List.of() : images);
        if (images.size() > MAX_REFERENCE_IMAGES)
            throw new IllegalArgumentException(images.size() + " input images given; OmniGen2 takes at most " + MAX_REFERENCE_IMAGES);
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("width and height must be positive, got " + width + "x" + height);
        if (steps < 1) throw new IllegalArgumentException("num-inference-steps must be >= 1, got " + steps);
        if (!(cfgRangeStart <= cfgRangeEnd)) throw new IllegalArgumentException("cfg range start " + cfgRangeStart + " is after its end " + cfgRangeEnd);
        if (!scheduler.equals("euler") && !scheduler.equals("dpmsolver++"))
            throw new IllegalArgumentException("unknown scheduler '" + scheduler + "': expected euler or dpmsolver++");
        if (!rng.equals("torch") && !rng.equals("java")) throw new IllegalArgumentException("unknown rng '" + rng + "': expected torch or java");
        if (maxSequenceLength < 1) throw new IllegalArgumentException("max sequence length must be >= 1");
    }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.prompt = prompt; b.negativePrompt = negativePrompt; b.images = new ArrayList<>(images); b.width = width; b.height = height;
        b.steps = steps; b.textGuidanceScale = textGuidanceScale; b.imageGuidanceScale = imageGuidanceScale;
        b.cfgRangeStart = cfgRangeStart; b.cfgRangeEnd = cfgRangeEnd; b.scheduler = scheduler; b.seed = seed; b.rng = rng;
        b.maxPixels = maxPixels; b.maxInputImageSideLength = maxInputImageSideLength; b.maxSequenceLength = maxSequenceLength;
        b.alignRes = alignRes; b.sampleReferenceLatents = sampleReferenceLatents; b.teaCacheThreshold = teaCacheThreshold;
        b.taylorSeer = taylorSeer; b.initialLatents = initialLatents;
        return b;
    }

    public static final class Builder {
        private String prompt;
        private String negativePrompt = INFERENCE_NEGATIVE_PROMPT;
        private List<RgbImage> images = new ArrayList<>();
        private int width = 1024, height = 1024, steps = 50;
        private float textGuidanceScale = 5.0f, imageGuidanceScale = 2.0f;
        private double cfgRangeStart = 0.0, cfgRangeEnd = 1.0;
        private String scheduler = "euler";
        private long seed = 0;
        private String rng = "torch";
        private long maxPixels = 1024L * 1024;
        private int maxInputImageSideLength = 1024, maxSequenceLength = 1024;
        private boolean alignRes = true, sampleReferenceLatents = false, taylorSeer = false;
        private float teaCacheThreshold = 0f;
        private Tensor initialLatents;

        /** The defaults of OmniGen2Pipeline.__call__ instead of inference.py's. */
        public Builder pipelineDefaults() {
            steps = 28; textGuidanceScale = 4.0f; imageGuidanceScale = 1.0f; negativePrompt = "";
            return this;
        }

        public Builder prompt(String v) { prompt = v; return this; }
        public Builder negativePrompt(String v) { negativePrompt = v; return this; }
        public Builder image(RgbImage v) { images.add(v); return this; }
        public Builder images(List<RgbImage> v) { images = new ArrayList<>(v); return this; }
        public Builder size(int w, int h) { width = w; height = h; return this; }
        public Builder steps(int v) { steps = v; return this; }
        public Builder textGuidanceScale(float v) { textGuidanceScale = v; return this; }
        public Builder imageGuidanceScale(float v) { imageGuidanceScale = v; return this; }
        public Builder cfgRange(double start, double end) { cfgRangeStart = start; cfgRangeEnd = end; return this; }
        public Builder scheduler(String v) { scheduler = v; return this; }
        public Builder seed(long v) { seed = v; return this; }
        public Builder rng(String v) { rng = v; return this; }
        public Builder maxPixels(long v) { maxPixels = v; return this; }
        public Builder maxInputImageSideLength(int v) { maxInputImageSideLength = v; return this; }
        public Builder maxSequenceLength(int v) { maxSequenceLength = v; return this; }
        public Builder alignRes(boolean v) { alignRes = v; return this; }
        /** Sample the reference posterior (upstream's stochastic edits) instead of taking its mode. */
        public Builder sampleReferenceLatents(boolean v) { sampleReferenceLatents = v; return this; }
        /** TeaCache with this relative-L1 threshold (0 = off; upstream's default is 0.05). */
        public Builder teaCache(float threshold) { teaCacheThreshold = threshold; return this; }
        public Builder taylorSeer(boolean v) { taylorSeer = v; return this; }
        /** Start from these latents [1, 16, h/8, w/8] instead of seeded noise (research, golden tests). */
        public Builder initialLatents(Tensor v) { initialLatents = v; return this; }

        public GenerationRequest build() {
            return new GenerationRequest(prompt, negativePrompt, images, width, height, steps, textGuidanceScale,
                    imageGuidanceScale, cfgRangeStart, cfgRangeEnd, scheduler, seed, rng, maxPixels, maxInputImageSideLength,
                    maxSequenceLength, alignRes, sampleReferenceLatents, teaCacheThreshold, taylorSeer, initialLatents);
        }
    }
}
