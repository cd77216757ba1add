package dev.omnigen2.models.pipeline;

/**
 * The size rules of {@code OmniGen2Pipeline}: how reference images are scaled before the VAE, and at what size
 * an image is generated and returned.
 */
public final class GenerationSizes {
    private GenerationSizes() {}

    /** Height and width in pixels. */
    public record Size(int height, int width) {}

    /**
     * The processed size of a reference image of h×w: {@code ratio = min(√(maxPixels/(h·w)), maxSide/max(h, w), 1)},
     * each side {@code int(side·ratio)} floored to a multiple of {@code multiple} (2 × the VAE scale factor).
     */
    public static Size referenceImage(int h, int w, long maxPixels, int maxSideLength, int multiple) {
        double ratio = Math.min(Math.min(Math.sqrt((double) maxPixels / ((double) h * w)), (double) maxSideLength / Math.max(h, w)), 1.0);
        int nh = (int) (h * ratio) / multiple * multiple;
        int nw = (int) (w * ratio) / multiple * multiple;
        if (nh <= 0 || nw <= 0)
            throw new IllegalArgumentException("input image of " + w + "x" + h + " is too small: it would be scaled to "
                    + nw + "x" + nh + " (sides must reach " + multiple + " pixels)");
        return new Size(nh, nw);
    }

    /**
     * The generation size for a requested h×w without exactly one reference image: capped by maxPixels, each side
     * floored to a multiple of 16 (upstream hard-codes 16, whatever the VAE).
     */
    public static Size generation(int h, int w, long maxPixels) {
        double ratio = Math.min(Math.sqrt((double) maxPixels / ((double) h * w)), 1.0);
        int gh = (int) (h * ratio) / 16 * 16;
        int gw = (int) (w * ratio) / 16 * 16;
        if (gh <= 0 || gw <= 0)
            throw new IllegalArgumentException("requested size " + w + "x" + h + " is too small: it generates at " + gw + "x" + gh
                    + " (each side must reach 16 pixels)");
        return new Size(gh, gw);
    }
}
