package dev.omnigen2.models.image;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an image file as OmniGen2 does ({@code Image.open(p).convert("RGB")} then {@code ImageOps.exif_transpose}):
 * 8-bit RGB, alpha dropped without compositing, EXIF orientation applied. Decoding goes through ImageIO (PNG,
 * JPEG, and any installed plugin such as WebP); the orientation tag is read from the file's EXIF block
 * (JPEG APP1, PNG eXIf, WebP EXIF chunk) here, because ImageIO ignores it.
 */
public final class ImageLoader {
    private ImageLoader() {}

    public static RgbImage load(Path file) {
        return decode(read(file), file.toString());
    }

    /**
     * As {@link #load} but leaving the EXIF orientation unapplied: OmniGen2's chat mode ({@code inference_chat.py})
     * reads its images this way.
     */
    public static RgbImage loadWithoutOrientation(Path file) {
        return decode(read(file), file.toString(), false);
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read image", e);
        }
    }

    /** Decodes image bytes; {@code name} only labels errors. */
    public static RgbImage decode(byte[] bytes, String name) {
        return decode(bytes, name, true);
    }

    private static RgbImage decode(byte[] bytes, String name, boolean applyOrientation) {
        BufferedImage img;
        try {
            img = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new IllegalArgumentException(name + ": cannot decode image: " + e.getMessage(), e);
        }
        if (img == null)
            throw new IllegalArgumentException(name + ": unsupported image format (no ImageIO reader; PNG and JPEG are built in, WebP needs a plugin)");
        RgbImage rgb = toRgb(img);
        return applyOrientation ? Exif.applyOrientation(rgb, Exif.orientation(bytes)) : rgb;
    }

    /** 8-bit component images are read sample by sample (no colour conversion, as PIL); others through getRGB. */
    static RgbImage toRgb(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        Raster r = img.getRaster();
        int bands = r.getNumBands();
        boolean direct = img.getColorModel() instanceof ComponentColorModel && allEightBit(r)
                && (bands <= 2 || img.getColorModel().getColorSpace().isCS_sRGB());
        if (direct) {
            int[] px = new int[bands];
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    r.getPixel(x, y, px);
                    int o = (y * w + x) * 3;
                    if (bands <= 2) {
                        out[o] = out[o + 1] = out[o + 2] = (byte) px[0];
                    } else {
                        out[o] = (byte) px[0];
                        out[o + 1] = (byte) px[1];
                        out[o + 2] = (byte) px[2];
                    }
                }
        } else {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    int argb = img.getRGB(x, y), o = (y * w + x) * 3;
                    out[o] = (byte) (argb >> 16);
                    out[o + 1] = (byte) (argb >> 8);
                    out[o + 2] = (byte) argb;
                }
        }
        return new RgbImage(w, h, out);
    }

    private static boolean allEightBit(Raster r) {
        for (int s : r.getSampleModel().getSampleSize()) if (s != 8) return false;
        return true;
    }
}
