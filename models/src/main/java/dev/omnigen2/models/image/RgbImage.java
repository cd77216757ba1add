package dev.omnigen2.models.image;

import java.awt.image.BufferedImage;

/**
 * An 8-bit RGB image, rows top to bottom, pixels interleaved (H, W, 3), as PIL's {@code convert("RGB")} holds it.
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width < 1 || height < 1) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        if (rgb.length != width * height * 3)
            throw new IllegalArgumentException(rgb.length + " bytes for a " + width + "x" + height + " RGB image (expected " + width * height * 3 + ")");
    }

    /** Channel {@code c} of pixel (x, y) as 0..255. */
    public int get(int x, int y, int c) { return rgb[(y * width + x) * 3 + c] & 0xFF; }

    /** An ImageIO image of these pixels (for writing PNG files). */
    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) row[x] = (get(x, y, 0) << 16) | (get(x, y, 1) << 8) | get(x, y, 2);
            img.setRGB(0, y, width, 1, row, 0, width);
        }
        return img;
    }
}
