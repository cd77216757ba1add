package dev.omnigen2.models.image;

import dev.omnigen2.runtime.Tensor;

/**
 * OmniGen2's image processor for the VAE path: shrink (never enlarge) so the area is ≤ maxPixels and the long
 * side ≤ maxSideLength, floor both sides to a multiple of {@code multiple} (16 for the Flux VAE: 8 × 2), Pillow
 * LANCZOS on uint8, then {@code 2·(u8 / 255) − 1} as [1, 3, H, W].
 */
public final class VaeImageProcessor {
    private final int multiple;

    public VaeImageProcessor(int multiple) {
        if (multiple < 1) throw new IllegalArgumentException("multiple must be >= 1, got " + multiple);
        this.multiple = multiple;
    }

    /** Target (height, width). */
    public int[] targetSize(int height, int width, long maxPixels, int maxSideLength) {
        double ratio = Math.min(Math.min(Math.sqrt((double) maxPixels / ((double) height * width)),
                (double) maxSideLength / (height > width ? height : width)), 1.0);
        int h = (int) (height * ratio) / multiple * multiple, w = (int) (width * ratio) / multiple * multiple;
        if (h < 1 || w < 1)
            throw new IllegalArgumentException("image " + width + "x" + height + " shrinks to " + w + "x" + h + " (below " + multiple + " px)");
        return new int[] {h, w};
    }

    public RgbImage resize(RgbImage image, long maxPixels, int maxSideLength) {
        int[] hw = targetSize(image.height(), image.width(), maxPixels, maxSideLength);
        return PillowResize.resize(image, hw[1], hw[0], PillowResize.Filter.LANCZOS);
    }

    /** [1, 3, H, W] in [−1, 1]. */
    public static Tensor toTensor(RgbImage image) {
        return dev.omnigen2.models.vae.VaeImages.fromRgb8(image.rgb(), image.height(), image.width())
                .reshape(1, 3, image.height(), image.width());
    }

    public Tensor preprocess(RgbImage image, long maxPixels, int maxSideLength) {
        return toTensor(resize(image, maxPixels, maxSideLength));
    }
}
