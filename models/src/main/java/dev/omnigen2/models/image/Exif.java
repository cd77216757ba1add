package dev.omnigen2.models.image;

/**
 * The EXIF orientation tag (0x0112) and PIL's {@code exif_transpose} for it. Only the TIFF IFD0 entry is read;
 * a missing or malformed block means orientation 1 (as PIL, which then leaves the image alone).
 */
final class Exif {
    private Exif() {}

    /** Orientation 1..8 found in a JPEG, PNG or WebP file, or 1. */
    static int orientation(byte[] f) {
        try {
            if (f.length > 4 && (f[0] & 0xFF) == 0xFF && (f[1] & 0xFF) == 0xD8) return fromJpeg(f);
            if (f.length > 8 && (f[0] & 0xFF) == 0x89 && f[1] == 'P' && f[2] == 'N' && f[3] == 'G') return fromPng(f);
            if (f.length > 12 && f[0] == 'R' && f[1] == 'I' && f[2] == 'F' && f[3] == 'F' && f[8] == 'W' && f[9] == 'E' && f[10] == 'B' && f[11] == 'P')
                return fromWebp(f);
        } catch (IndexOutOfBoundsException e) {
            return 1;
        }
        return 1;
    }

    private static int fromJpeg(byte[] f) {
        int p = 2;
        while (p + 4 <= f.length) {
            if ((f[p] & 0xFF) != 0xFF) return 1;
            int marker = f[p + 1] & 0xFF;
            if (marker == 0xFF) { p++; continue; }
            if (marker == 0xD9 || marker == 0xDA) return 1;
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { p += 2; continue; }
            int len = u16be(f, p + 2);
            if (marker == 0xE1 && len >= 8 && f[p + 4] == 'E' && f[p + 5] == 'x' && f[p + 6] == 'i' && f[p + 7] == 'f'
                    && f[p + 8] == 0 && f[p + 9] == 0)
                return fromTiff(f, p + 10, p + 2 + len);
            p += 2 + len;
        }
        return 1;
    }

    private static int fromPng(byte[] f) {
        int p = 8;
        while (p + 8 <= f.length) {
            int len = (int) u32be(f, p);
            String type = new String(f, p + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (type.equals("eXIf")) return fromTiff(f, p + 8, p + 8 + len);
            if (type.equals("IEND")) return 1;
            p += 12 + len;
        }
        return 1;
    }

    private static int fromWebp(byte[] f) {
        int p = 12;
        while (p + 8 <= f.length) {
            String type = new String(f, p, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            int len = (int) u32le(f, p + 4);
            if (type.equals("EXIF")) {
                int s = p + 8;
                if (len > 6 && f[s] == 'E' && f[s + 1] == 'x' && f[s + 2] == 'i' && f[s + 3] == 'f') s += 6;
                return fromTiff(f, s, p + 8 + len);
            }
            p += 8 + len + (len & 1);
        }
        return 1;
    }

    /** IFD0's orientation entry of the TIFF structure at [start, end). */
    private static int fromTiff(byte[] f, int start, int end) {
        boolean little;
        if (f[start] == 'I' && f[start + 1] == 'I') little = true;
        else if (f[start] == 'M' && f[start + 1] == 'M') little = false;
        else return 1;
        int ifd = start + (int) u32(f, start + 4, little);
        int count = u16(f, ifd, little);
        for (int i = 0; i < count; i++) {
            int e = ifd + 2 + 12 * i;
            if (e + 12 > end) return 1;
            if (u16(f, e, little) == 0x0112) {
                int value = u16(f, e + 8, little);
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    /** Applies PIL's transpose for an orientation (2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise). */
    static RgbImage applyOrientation(RgbImage in, int orientation) {
        if (orientation <= 1 || orientation > 8) return in;
        int w = in.width(), h = in.height();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        byte[] out = new byte[ow * oh * 3];
        for (int y = 0; y < oh; y++)
            for (int x = 0; x < ow; x++) {
                int sx, sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; }
                }
                System.arraycopy(in.rgb(), (sy * w + sx) * 3, out, (y * ow + x) * 3, 3);
            }
        return new RgbImage(ow, oh, out);
    }

    private static int u16be(byte[] f, int p) { return ((f[p] & 0xFF) << 8) | (f[p + 1] & 0xFF); }

    private static long u32be(byte[] f, int p) { return ((long) u16be(f, p) << 16) | u16be(f, p + 2); }

    private static long u32le(byte[] f, int p) {
        return (f[p] & 0xFFL) | (f[p + 1] & 0xFFL) << 8 | (f[p + 2] & 0xFFL) << 16 | (f[p + 3] & 0xFFL) << 24;
    }

    private static int u16(byte[] f, int p, boolean little) {
        return little ? (f[p] & 0xFF) | (f[p + 1] & 0xFF) << 8 : u16be(f, p);
    }

    private static long u32(byte[] f, int p, boolean little) { return little ? u32le(f, p) : u32be(f, p); }
}
