package dev.omnigen2.cli;

import dev.omnigen2.models.image.ImageLoader;
import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.pipeline.GenerationRequest;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The generation flags shared by generate, edit and geneval. Names follow OmniGen2's inference.py (in kebab case,
 * with its snake_case spellings accepted too) and stable-diffusion.cpp's short forms; defaults are inference.py's.
 */
final class GenerationOptions {
    @Option(names = {"-n", "--negative-prompt", "--negative_prompt"}, paramLabel = "TEXT",
            description = "Negative prompt (default: inference.py's).")
    String negativePrompt = GenerationRequest.INFERENCE_NEGATIVE_PROMPT;

    @Option(names = {"-W", "--width"}, description = "Width in pixels (default: ${DEFAULT-VALUE}).")
    int width = 1024;

    @Option(names = {"-H", "--height"}, description = "Height in pixels (default: ${DEFAULT-VALUE}).")
    int height = 1024;

    @Option(names = {"--steps", "--num-inference-steps", "--num_inference_step"}, paramLabel = "N",
            description = "Denoising steps (default: ${DEFAULT-VALUE}).")
    int steps = 50;

    @Option(names = {"-s", "--seed"}, description = "Seed of the initial noise (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = {"--text-guidance-scale", "--text_guidance_scale", "--cfg-scale"}, paramLabel = "S",
            description = "Text guidance scale (default: ${DEFAULT-VALUE}).")
    float textGuidanceScale = 5.0f;

    @Option(names = {"--image-guidance-scale", "--image_guidance_scale"}, paramLabel = "S",
            description = "Image guidance scale, used with input images (default: ${DEFAULT-VALUE}).")
    float imageGuidanceScale = 2.0f;

    @Option(names = {"--cfg-range-start", "--cfg_range_start"}, paramLabel = "F",
            description = "Guidance applies from this step fraction (default: ${DEFAULT-VALUE}).")
    double cfgRangeStart = 0.0;

    @Option(names = {"--cfg-range-end", "--cfg_range_end"}, paramLabel = "F",
            description = "Guidance applies up to this step fraction (default: ${DEFAULT-VALUE}).")
    double cfgRangeEnd = 1.0;

    @Option(names = {"--scheduler", "--sampling-method"}, paramLabel = "NAME",
            description = "euler or dpmsolver++ (default: ${DEFAULT-VALUE}).")
    String scheduler = "euler";

    @Option(names = "--rng", paramLabel = "KIND",
            description = "torch (PyTorch CPU's randn, the Python pipeline's noise) or java (default: ${DEFAULT-VALUE}).")
    String rng = "torch";

    @Option(names = {"--max-input-image-pixels", "--max_input_image_pixels", "--max-pixels"}, paramLabel = "N",
            description = "Cap on input and output pixels (default: ${DEFAULT-VALUE}).")
    long maxPixels = 1024L * 1024;

    @Option(names = {"--max-input-image-side-length", "--max_input_image_side_length"}, paramLabel = "N",
            description = "Cap on an input image's longer side (default: ${DEFAULT-VALUE}).")
    int maxSide = 1024;

    @Option(names = {"--max-sequence-length", "--max_sequence_length"}, paramLabel = "N",
            description = "Longest prompt in tokens; longer prompts are truncated with a warning (default: ${DEFAULT-VALUE}).")
    int maxSequenceLength = 1024;

    @Option(names = {"--enable-teacache", "--enable_teacache"}, description = "Skip transformer layers on steps that change little (TeaCache).")
    boolean teaCache;

    @Option(names = {"--teacache-rel-l1-thresh", "--teacache_rel_l1_thresh"}, paramLabel = "F",
            description = "TeaCache threshold (default: ${DEFAULT-VALUE}).")
    float teaCacheThreshold = 0.05f;

    @Option(names = {"--enable-taylorseer", "--enable_taylorseer"}, description = "Extrapolate transformer features on skipped steps (TaylorSeer).")
    boolean taylorSeer;

    @Option(names = "--sample-ref-latents", description = "Sample the reference images' VAE posterior as upstream does (default: its mode).")
    boolean sampleRefLatents;

    @Option(names = "--no-align-res", negatable = false, description = "With one input image, generate at the requested size instead of the image's.")
    boolean noAlignRes;

    @Option(names = "--vae-tiling", description = "Encode and decode with the VAE in overlapping 512-pixel tiles (less memory for large images).")
    boolean vaeTiling;

    GenerationRequest.Builder request(String prompt, List<RgbImage> images) {
        if (!scheduler.equals("euler") && !scheduler.equals("dpmsolver++"))
            throw new UserException("--scheduler: unknown scheduler '" + scheduler + "' (expected euler or dpmsolver++)");
        if (!rng.equals("torch") && !rng.equals("java"))
            throw new UserException("--rng: unknown generator '" + rng + "' (expected torch or java)");
        if (width <= 0 || height <= 0) throw new UserException("--width/--height must be positive, got " + width + "x" + height);
        if (steps < 1) throw new UserException("--steps must be at least 1, got " + steps);
        if (images.size() > GenerationRequest.MAX_REFERENCE_IMAGES)
            throw new UserException(images.size() + " input images given; OmniGen2 takes at most " + GenerationRequest.MAX_REFERENCE_IMAGES);
        try {
            return GenerationRequest.builder().prompt(prompt).negativePrompt(negativePrompt).images(images)
                    .size(width, height).steps(steps).seed(seed).textGuidanceScale(textGuidanceScale)
                    .imageGuidanceScale(imageGuidanceScale).cfgRange(cfgRangeStart, cfgRangeEnd).scheduler(scheduler).rng(rng)
                    .maxPixels(maxPixels).maxInputImageSideLength(maxSide).maxSequenceLength(maxSequenceLength)
                    .alignRes(!noAlignRes).sampleReferenceLatents(sampleRefLatents)
                    .teaCache(teaCache ? teaCacheThreshold : 0f).taylorSeer(taylorSeer);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
    }

    /** Every setting, for PNG metadata and sweep.json. */
    Map<String, Object> settings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("negative_prompt", negativePrompt);
        m.put("width", width);
        m.put("height", height);
        m.put("steps", steps);
        m.put("text_guidance_scale", textGuidanceScale);
        m.put("image_guidance_scale", imageGuidanceScale);
        m.put("cfg_range", cfgRangeStart + "," + cfgRangeEnd);
        m.put("scheduler", scheduler);
        m.put("rng", rng);
        m.put("max_pixels", maxPixels);
        m.put("max_input_image_side_length", maxSide);
        m.put("max_sequence_length", maxSequenceLength);
        m.put("teacache", teaCache ? Float.toString(teaCacheThreshold) : "off");
        m.put("taylorseer", taylorSeer);
        m.put("sample_ref_latents", sampleRefLatents);
        m.put("align_res", !noAlignRes);
        return m;
    }

    /** Decodes images with their EXIF orientation applied, as inference.py does. */
    static List<RgbImage> loadImages(List<Path> paths) { return load(paths, true); }

    /** Decodes images as inference_chat.py does: without applying their EXIF orientation. */
    static List<RgbImage> loadImagesWithoutOrientation(List<Path> paths) { return load(paths, false); }

    private static List<RgbImage> load(List<Path> paths, boolean orient) {
        List<RgbImage> out = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.isRegularFile(p)) throw new UserException(p + ": no such image file");
            try {
                out.add(orient ? ImageLoader.load(p) : ImageLoader.loadWithoutOrientation(p));
            } catch (RuntimeException e) {
                throw new UserException(e.getMessage() == null ? p + ": unreadable image" : e.getMessage());
            }
        }
        return out;
    }
}
