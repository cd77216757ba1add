package dev.omnigen2.tokenizer;

/**
 * The Qwen2 pre-tokenizer split, a hand-written scanner equivalent to the backtracking regex
 * <pre>
 * (?i:'s|'t|'re|'ve|'m|'ll|'d) | [^\r\n\p{L}\p{N}]?\p{L}+ | \p{N} | ?[^\s\p{L}\p{N}]+[\r\n]*
 *   | \s*[\r\n]+ | \s+(?!\S) | \s+
 * </pre>
 * with the "Isolated" behaviour. Every character belongs to some alternative, so the pieces cover the
 * text. {@code \s} is Unicode White_Space (as in Oniguruma, which the reference uses), not Java's ASCII
 * {@code \s}; {@code \p{L}} and {@code \p{N}} are the general categories L* and N*.
 */
final class Qwen2Splitter {
    /** The pattern string, as tokenizer.json spells it, that this scanner implements. */
    static final String PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** Receives each piece as [start, end) char offsets into the scanned string. */
    interface PieceSink { void piece(int start, int end); }

    private static final byte OTHER = 0, LETTER = 1, NUMBER = 2, SPACE = 3, NEWLINE = 4;
    private static final byte[] ASCII_CLASS = new byte[128];

    static {
        for (int c = 0; c < 128; c++) ASCII_CLASS[c] = classifyCodePoint(c);
    }

    private Qwen2Splitter() {}

    private static byte classifyCodePoint(int cp) {
        if (cp == '\r' || cp == '\n') return NEWLINE;
        if (isWhiteSpace(cp)) return SPACE;
        switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> { return LETTER; }
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> { return NUMBER; }
            default -> { return OTHER; }
        }
    }

    /** Unicode White_Space. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    private static byte classAt(String s, int i) {
        char c = s.charAt(i);
        if (c < 128) return ASCII_CLASS[c];
        return classifyCodePoint(s.codePointAt(i));
    }

    private static int next(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i)) && i + 1 < s.length()
                && Character.isLowSurrogate(s.charAt(i + 1)) ? i + 2 : i + 1;
    }

    static void split(String s, PieceSink sink) {
        int n = s.length();
        int i = 0;
        while (i < n) {
            int end = matchAt(s, i, n);
            sink.piece(i, end);
            i = end;
        }
    }

    /** End of the regex match that starts at {@code i} (there always is one, non-empty). */
    private static int matchAt(String s, int i, int n) {
        char c = s.charAt(i);
        if (c == '\'') {
            int end = contractionEnd(s, i, n);
            if (end > 0) return end;
        }
        byte cls = classAt(s, i);
        int after = next(s, i);
        byte nextCls = after < n ? classAt(s, after) : -1;

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if (cls == LETTER) return letterRunEnd(s, after, n);
        if ((cls == OTHER || cls == SPACE) && nextCls == LETTER) return letterRunEnd(s, next(s, after), n);
        // \p{N}
        if (cls == NUMBER) return after;
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        if (cls == OTHER) return newlineRunEnd(s, otherRunEnd(s, after, n), n);
        if (c == ' ' && nextCls == OTHER) return newlineRunEnd(s, otherRunEnd(s, next(s, after), n), n);
        // What is left starts with white space (SPACE or NEWLINE).
        int runEnd = after;
        int lastNewlineEnd = cls == NEWLINE ? after : -1;
        while (runEnd < n) {
            byte k = classAt(s, runEnd);
            if (k != SPACE && k != NEWLINE) break;
            int nx = next(s, runEnd);
            if (k == NEWLINE) lastNewlineEnd = nx;
            runEnd = nx;
        }
        // \s*[\r\n]+ : the longest white-space run that ends in a line break
        if (lastNewlineEnd > 0) return lastNewlineEnd;
        // \s+(?!\S) : all of the run at the end of the text, else all but its last character
        if (runEnd == n) return n;
        int lastStart = runEnd - (Character.isLowSurrogate(s.charAt(runEnd - 1)) ? 2 : 1);
        if (lastStart > i) return lastStart;
        // \s+
        return runEnd;
    }

    private static int letterRunEnd(String s, int i, int n) {
        while (i < n && classAt(s, i) == LETTER) i = next(s, i);
        return i;
    }

    private static int otherRunEnd(String s, int i, int n) {
        while (i < n && classAt(s, i) == OTHER) i = next(s, i);
        return i;
    }

    private static int newlineRunEnd(String s, int i, int n) {
        while (i < n && (s.charAt(i) == '\r' || s.charAt(i) == '\n')) i++;
        return i;
    }

    /** End of {@code '(s|t|re|ve|m|ll|d)} matched case-insensitively at i, or -1. */
    private static int contractionEnd(String s, int i, int n) {
        if (i + 1 >= n) return -1;
        char a = fold(s.charAt(i + 1));
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        if (i + 2 >= n) return -1;
        char b = fold(s.charAt(i + 2));
        if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
        return -1;
    }

    /** Simple case folding restricted to what the contraction letters can match. */
    private static char fold(char c) {
        if (c >= 'A' && c <= 'Z') return (char) (c + 32);
        if (c == '\u017F') return 's'; // LATIN SMALL LETTER LONG S folds to s
        return c;
    }
}
