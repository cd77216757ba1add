package dev.omnigen2.tokenizer;

/**
 * Lenient UTF-8 decoding that replaces each maximal ill-formed subpart with U+FFFD (the Unicode
 * "best practice" Rust's {@code String::from_utf8_lossy} follows), written out by hand so that the
 * streaming decoder can tell an incomplete tail from an invalid one.
 */
final class Utf8 {
    private Utf8() {}

    static final char REPLACEMENT = '\uFFFD';

    /**
     * Length of the well-formed sequence starting at {@code i}, or {@code -k} when the bytes from
     * {@code i} form a maximal ill-formed subpart of length k; or 0 when the sequence is a valid but
     * incomplete prefix cut off by {@code end}.
     */
    static int sequenceAt(byte[] b, int i, int end) {
        int b0 = b[i] & 0xFF;
        if (b0 < 0x80) return 1;
        int need, lo = 0x80, hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
        else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            if (b0 == 0xE0) lo = 0xA0;
            else if (b0 == 0xED) hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            if (b0 == 0xF0) lo = 0x90;
            else if (b0 == 0xF4) hi = 0x8F;
        } else return -1;
        for (int k = 1; k <= need; k++) {
            if (i + k >= end) return 0;
            int bk = b[i + k] & 0xFF;
            int l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
            if (bk < l || bk > h) return -k;
        }
        return need + 1;
    }

    /** Decodes {@code b[from, to)}; an incomplete sequence at the end becomes one U+FFFD. */
    static String decode(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        int i = from;
        while (i < to) {
            int n = sequenceAt(b, i, to);
            if (n == 1) { sb.append((char) b[i]); i++; }
            else if (n > 1) { appendSequence(sb, b, i, n); i += n; }
            else if (n < 0) { sb.append(REPLACEMENT); i += -n; }
            else { sb.append(REPLACEMENT); break; }
        }
        return sb.toString();
    }

    static void appendSequence(StringBuilder sb, byte[] b, int i, int n) {
        int cp = switch (n) {
            case 2 -> ((b[i] & 0x1F) << 6) | (b[i + 1] & 0x3F);
            case 3 -> ((b[i] & 0x0F) << 12) | ((b[i + 1] & 0x3F) << 6) | (b[i + 2] & 0x3F);
            default -> ((b[i] & 0x07) << 18) | ((b[i + 1] & 0x3F) << 12) | ((b[i + 2] & 0x3F) << 6) | (b[i + 3] & 0x3F);
        };
        sb.appendCodePoint(cp);
    }
}
