package dev.omnigen2.models.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnigen2.runtime.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Qwen2-VL's image processor (the slow, Pillow-based one of transformers 4.51.3 that OmniGen2 pins): resize to a
 * multiple of patch·merge within [min_pixels, max_pixels] with Pillow BICUBIC on uint8, rescale, normalise with
 * the CLIP mean/std, repeat the frame to the temporal patch size, and flatten 14×14 patches with each merge
 * window's patches adjacent.
 */
public final class QwenImageProcessor {
    /** {@code preprocessor_config.json}. */
    public record Config(int minPixels, int maxPixels, int patchSize, int temporalPatchSize, int mergeSize,
                         double rescaleFactor, float[] imageMean, float[] imageStd) {
        public static Config load(Path json) {
            JsonNode n;
            try {
                n = new ObjectMapper().readTree(Files.readString(json));
            } catch (IOException e) {
                throw new UncheckedIOException(json + ": cannot read the image processor config", e);
            }
            return new Config(n.path("min_pixels").asInt(56 * 56), n.path("max_pixels").asInt(28 * 28 * 1280),
                    n.path("patch_size").asInt(14), n.path("temporal_patch_size").asInt(2), n.path("merge_size").asInt(2),
                    n.path("rescale_factor").asDouble(1 / 255.0),
                    floats(n.get("image_mean"), new float[] {0.48145466f, 0.4578275f, 0.40821073f}),
                    floats(n.get("image_std"), new float[] {0.26862954f, 0.26130258f, 0.27577711f}));
        }

        /** The same config with other pixel bounds (as the processor's min_pixels / max_pixels arguments). */
        public Config withPixels(int min, int max) {
            return new Config(min, max, patchSize, temporalPatchSize, mergeSize, rescaleFactor, imageMean, imageStd);
        }

        public int factor() { return patchSize * mergeSize; }

        private static float[] floats(JsonNode a, float[] dflt) {
            if (a == null) return dflt;
            float[] r = new float[a.size()];
            for (int i = 0; i < r.length; i++) r[i] = (float) a.get(i).asDouble();
            return r;
        }
    }

    /** {@code pixel_values} [Σ t·h·w, C·T·p·p] and {@code image_grid_thw} (t, h, w) per image, in patches. */
    public record Patches(Tensor pixelValues, int[][] gridThw) {
        /** Image-pad tokens that image {@code i} expands to: t·h·w / merge². */
        public int padTokens(int i, int mergeSize) { return gridThw[i][0] * gridThw[i][1] * gridThw[i][2] / (mergeSize * mergeSize); }
    }

    private final Config config;

    public QwenImageProcessor(Config config) { this.config = config; }

    public Config config() { return config; }

    /**
     * Target (height, width): both multiples of {@code factor}, area within [minPixels, maxPixels], aspect kept
     * approximately. Sides under {@code factor} are rejected (as transformers 4.51.3 does), as are aspect ratios over 200.
     */
    public static int[] smartResize(int height, int width, int factor, int minPixels, int maxPixels) {
        if (height < factor || width < factor)
            throw new IllegalArgumentException("height:" + height + " or width:" + width + " must be larger than factor:" + factor);
        if ((double) Math.max(height, width) / Math.min(height, width) > 200)
            throw new IllegalArgumentException("absolute aspect ratio must be smaller than 200, got "
                    + (double) Math.max(height, width) / Math.min(height, width));
        int hBar = (int) Math.rint((double) height / factor) * factor;
        int wBar = (int) Math.rint((double) width / factor) * factor;
        if ((long) hBar * wBar > maxPixels) {
            double beta = Math.sqrt((double) height * width / maxPixels);
            hBar = (int) Math.floor(height / beta / factor) * factor;
            wBar = (int) Math.floor(width / beta / factor) * factor;
        } else if ((long) hBar * wBar < minPixels) {
            double beta = Math.sqrt((double) minPixels / ((double) height * width));
            hBar = (int) Math.ceil(height * beta / factor) * factor;
            wBar = (int) Math.ceil(width * beta / factor) * factor;
        }
        return new int[] {hBar, wBar};
    }

    /** The resized uint8 image (Pillow BICUBIC to the smart_resize size). */
    public RgbImage resize(RgbImage image) {
        int[] hw = smartResize(image.height(), image.width(), config.factor(), config.minPixels(), config.maxPixels());
        return PillowResize.resize(image, hw[1], hw[0], PillowResize.Filter.BICUBIC);
    }

    /** Rescaled and normalised channels-first floats [3, H, W] of a (resized) image. */
    public Tensor normalize(RgbImage image) {
        int h = image.height(), w = image.width();
        Tensor out = Tensor.zeros(3, h, w);
        for (int c = 0; c < 3; c++) {
            float mean = config.imageMean()[c], std = config.imageStd()[c];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    float scaled = (float) (image.get(x, y, c) * config.rescaleFactor());
                    out.setFloat(((long) c * h + y) * w + x, (scaled - mean) / std);
                }
        }
        return out;
    }

    /** Preprocesses images into one {@link Patches}, rows of image 0 first. */
    public Patches preprocess(List<RgbImage> images) {
        int p = config.patchSize(), tps = config.temporalPatchSize(), m = config.mergeSize();
        int patchDim = 3 * tps * p * p;
        int[][] grids = new int[images.size()][];
        Tensor[] normalized = new Tensor[images.size()];
        int rows = 0;
        for (int i = 0; i < images.size(); i++) {
            normalized[i] = normalize(resize(images.get(i)));
            grids[i] = new int[] {1, normalized[i].size(1) / p, normalized[i].size(2) / p};
            rows += grids[i][1] * grids[i][2];
        }
        Tensor pixels = Tensor.zeros(rows, patchDim);
        int row = 0;
        for (int i = 0; i < images.size(); i++) {
            Tensor img = normalized[i];
            int h = img.size(1), w = img.size(2), bhs = grids[i][1] / m, bws = grids[i][2] / m;
            for (int bh = 0; bh < bhs; bh++)
                for (int bw = 0; bw < bws; bw++)
                    for (int mh = 0; mh < m; mh++)
                        for (int mw = 0; mw < m; mw++) {
                            int y0 = (bh * m + mh) * p, x0 = (bw * m + mw) * p;
                            long base = (long) row++ * patchDim;
                            for (int c = 0; c < 3; c++)
                                for (int t = 0; t < tps; t++)
                                    for (int py = 0; py < p; py++)
                                        for (int px = 0; px < p; px++)
                                            pixels.setFloat(base + ((c * tps + t) * p + py) * p + px,
                                                    img.getFloat(((long) c * h + y0 + py) * w + x0 + px));
                        }
        }
        return new Patches(pixels, grids);
    }
}
