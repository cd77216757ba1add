package dev.omnigen2.models.image;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class ExifTest {
    /** A 3×2 PNG with distinct pixels (lossless, so decoding is exact). */
    private static byte[] png(boolean withExif, int orientation, boolean littleEndian) throws IOException {
        BufferedImage img = new BufferedImage(3, 2, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 2; y++) for (int x = 0; x < 3; x++) img.setRGB(x, y, (x * 80) << 16 | (y * 100) << 8 | (x + 3 * y) * 20);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        byte[] f = out.toByteArray();
        if (!withExif) return f;
        byte[] tiff = littleEndian
                ? new byte[] {'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte) orientation, 0, 0, 0, 0, 0, 0, 0}
                : new byte[] {'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte) orientation, 0, 0, 0, 0, 0, 0};
        ByteArrayOutputStream withChunk = new ByteArrayOutputStream();
        withChunk.write(f, 0, 33); // signature + IHDR
        withChunk.write(new byte[] {0, 0, 0, (byte) tiff.length, 'e', 'X', 'I', 'f'});
        withChunk.write(tiff);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(new byte[] {'e', 'X', 'I', 'f'});
        crc.update(tiff);
        long v = crc.getValue();
        withChunk.write(new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8), (byte) v});
        withChunk.write(f, 33, f.length - 33);
        return withChunk.toByteArray();
    }

    @Test
    void chatModeLoadingLeavesTheOrientationUnapplied(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws IOException {
        java.nio.file.Path file = tmp.resolve("six.png");
        java.nio.file.Files.write(file, png(true, 6, true));
        RgbImage plain = ImageLoader.decode(png(false, 1, true), "plain");
        assertThat(ImageLoader.load(file).width()).isEqualTo(2);
        RgbImage asStored = ImageLoader.loadWithoutOrientation(file);
        assertThat(asStored.width()).isEqualTo(3);
        assertThat(asStored.rgb()).isEqualTo(plain.rgb());
    }

    @Test
    void orientationSixRotatesClockwiseAndEightCounterClockwise() throws IOException {
        RgbImage plain = ImageLoader.decode(png(false, 1, true), "plain");
        RgbImage six = ImageLoader.decode(png(true, 6, true), "six");
        RgbImage eight = ImageLoader.decode(png(true, 8, false), "eight");
        assertThat(Exif.orientation(png(true, 6, true))).isEqualTo(6);
        assertThat(Exif.orientation(png(true, 8, false))).isEqualTo(8);
        assertThat(six.width()).isEqualTo(2);
        assertThat(six.height()).isEqualTo(3);
        // clockwise: the bottom-left source pixel becomes the top-left
        for (int c = 0; c < 3; c++) {
            assertThat(six.get(0, 0, c)).isEqualTo(plain.get(0, 1, c));
            assertThat(six.get(1, 0, c)).isEqualTo(plain.get(0, 0, c));
            assertThat(eight.get(0, 0, c)).isEqualTo(plain.get(2, 0, c));
            assertThat(eight.get(0, 2, c)).isEqualTo(plain.get(0, 0, c));
        }
    }

    @Test
    void everyOrientationIsAPermutationAndInversesCompose() {
        byte[] px = new byte[4 * 3 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) i;
        RgbImage img = new RgbImage(4, 3, px);
        // 6 then 8 is the identity; 2, 3, 4, 5, 7 are involutions
        assertThat(Exif.applyOrientation(Exif.applyOrientation(img, 6), 8).rgb()).containsExactly(px);
        for (int o : new int[] {2, 3, 4, 5, 7})
            assertThat(Exif.applyOrientation(Exif.applyOrientation(img, o), o).rgb()).as("orientation " + o).containsExactly(px);
        assertThat(Exif.applyOrientation(img, 5).get(2, 1, 0)).isEqualTo(img.get(1, 2, 0));
    }

    @Test
    void missingOrMalformedExifMeansNoRotation() {
        assertThat(Exif.orientation(new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE1, 0, 2})).isEqualTo(1);
        assertThat(Exif.orientation(new byte[] {1, 2, 3})).isEqualTo(1);
    }
}
