package dev.omnigen2.models.image;

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
}
