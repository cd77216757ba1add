package dev.omnigen2.models.pipeline;

/**
 * The generation-size rule of {@code OmniGen2Pipeline} (reference images are sized by
 * {@link dev.omnigen2.models.image.VaeImageProcessor}).
 */
public final class GenerationSizes {
    private GenerationSizes() {}

    /** Height and width in pixels. */
    public record Size(int height, int width) {}

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
