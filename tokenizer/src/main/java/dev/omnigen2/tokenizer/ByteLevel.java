package dev.omnigen2.tokenizer;

/**
 * GPT-2's byte-level alphabet: every byte is shown as one printable character, so that a BPE
 * vocabulary of strings can spell arbitrary bytes. Printable Latin-1 bytes stand for themselves; the
 * other 68 bytes are given the code points 256, 257, ... in byte order.
 */
final class ByteLevel {
    /** byte (0..255) → the character that spells it. */
    static final char[] BYTE_TO_CHAR = new char[256];
    /** character (below {@link #CHAR_LIMIT}) → byte, or -1 when the character spells no byte. */
    static final int[] CHAR_TO_BYTE;
    static final int CHAR_LIMIT = 256 + 68;

    static {
        CHAR_TO_BYTE = new int[CHAR_LIMIT];
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** The byte-level spelling of some bytes, e.g. {@code " a"} → {@code "Ġa"}. */
    static String spell(byte[] bytes, int from, int to) {
        char[] out = new char[to - from];
        for (int i = from; i < to; i++) out[i - from] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /**
     * The bytes a token string stands for. Characters outside the alphabet (possible only in added
     * tokens) stand for their own UTF-8 encoding, as in the reference decoder.
     */
    static byte[] unspell(String token) {
        byte[] direct = new byte[token.length()];
        for (int i = 0; i < direct.length; i++) {
            char c = token.charAt(i);
            int b = c < CHAR_LIMIT ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return unspellMixed(token);
            direct[i] = (byte) b;
        }
        return direct;
    }

    private static byte[] unspellMixed(String token) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); ) {
            int cp = token.codePointAt(i);
            i += Character.charCount(cp);
            int b = cp < CHAR_LIMIT ? CHAR_TO_BYTE[cp] : -1;
            if (b >= 0) out.write(b);
            else out.writeBytes(new String(Character.toChars(cp)).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }
}
