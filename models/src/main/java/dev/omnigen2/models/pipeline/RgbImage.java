package dev.omnigen2.models.pipeline;

import java.awt.image.BufferedImage;

/** An 8-bit RGB image, row-major HWC bytes: what the pipeline returns and what PNG files hold. */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        if (rgb.length != width * height * 3)
            throw new IllegalArgumentException(rgb.length + " bytes for a " + width + "x" + height + " RGB image");
    }

    public int r(int y, int x) { return rgb[(y * width + x) * 3] & 0xFF; }

    public int g(int y, int x) { return rgb[(y * width + x) * 3 + 1] & 0xFF; }

    public int b(int y, int x) { return rgb[(y * width + x) * 3 + 2] & 0xFF; }

    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                img.setRGB(x, y, (r(y, x) << 16) | (g(y, x) << 8) | b(y, x));
        return img;
    }

    /** RGB of any ImageIO image (alpha dropped, as PIL's convert('RGB') does for opaque images). */
    public static RgbImage of(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x], o = (y * w + x) * 3;
                out[o] = (byte) (p >> 16);
                out[o + 1] = (byte) (p >> 8);
                out[o + 2] = (byte) p;
            }
        }
        return new RgbImage(w, h, out);
    }
}
