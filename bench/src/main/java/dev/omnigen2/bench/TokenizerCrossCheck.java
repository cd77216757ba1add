package dev.omnigen2.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.omnigen2.tokenizer.QwenTokenizer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/**
 * Randomized comparison of {@link QwenTokenizer} with Hugging Face's Rust tokenizers (DJL), beyond the
 * golden corpus: random strings drawn from a mix of scripts, white space, digits, punctuation and
 * added tokens (encode), and random byte-level id sequences, most of them invalid UTF-8 (decode).
 * Usage: {@code TokenizerCrossCheck <processor dir> [cases] [seed]}. Exits non-zero on the first
 * difference, printing it.
 */
public final class TokenizerCrossCheck {
    private static final String[] PIECES = {
        "a", "Z", "é", "ß", "ſ", "'s", "'LL", "'d", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085",
        "\u200b", "\ufeff", "1", "٣", "²", "Ⅻ", "中", "文字", "ｶ", "한", "\u1100\u1161", "e\u0301", "\u0301", "🌧️", "👩‍👩‍👧",
        "🇯🇵", ".", "...", "!?", "—", "«", "$", "_", "<|im_start|>", "<|im_end|>", "<|image_pad|>", "<tool_call>",
        "<|im", "|>", "<", "hello", " world", "don't", "IT'S", "\u0000", "\u001b", "\u0627\u0644", "\u05e9", "\u0915\u094d",
        "\ud800\udc00", "\udbff\udfff", "\u2067", "x".repeat(40), " ".repeat(7), "12345",
    };

    private TokenizerCrossCheck() {}

    public static void main(String[] args) throws Exception {
        Path processor = Path.of(args[0]);
        int cases = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        QwenTokenizer java = QwenTokenizer.load(processor);
        try (HuggingFaceTokenizer rust = HuggingFaceTokenizer.builder().optTokenizerPath(processor.resolve("tokenizer.json"))
                .optAddSpecialTokens(false).optTruncation(false).optPadding(false).build()) {
            Random random = new Random(seed);
            int[] byteIds = new int[256];
            for (int b = 0; b < 256; b++) byteIds[b] = java.tokenId(byteChar(b)).getAsInt();
            for (int c = 0; c < cases; c++) {
                StringBuilder sb = new StringBuilder();
                int n = 1 + random.nextInt(12);
                for (int i = 0; i < n; i++) sb.append(PIECES[random.nextInt(PIECES.length)]);
                String text = sb.toString();
                int[] a = java.encode(text);
                int[] b = Arrays.stream(rust.encode(text, false, false).getIds()).mapToInt(x -> (int) x).toArray();
                if (!Arrays.equals(a, b)) fail("encode " + escape(text) + "\n java " + Arrays.toString(a) + "\n rust " + Arrays.toString(b));

                int[] ids = new int[1 + random.nextInt(8)];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = random.nextInt(4) == 0 ? random.nextInt(java.size() + 10) : byteIds[random.nextInt(256)];
                }
                for (boolean skip : new boolean[] {false, true}) {
                    String x = java.decode(ids, skip);
                    String y = rust.decode(Arrays.stream(ids).asLongStream().toArray(), skip);
                    if (!x.equals(y)) fail("decode " + Arrays.toString(ids) + " skip=" + skip + "\n java " + escape(x) + "\n rust " + escape(y));
                }
            }
            System.out.println(cases + " random encode cases and " + 2 * cases + " random decode cases agree (seed " + seed + ")");
        }
    }

    private static String byteChar(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) return String.valueOf((char) b);
        int k = 0;
        for (int i = 0; i < b; i++) if (!((i >= '!' && i <= '~') || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF))) k++;
        return String.valueOf((char) (256 + k));
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp >= 0x20 && cp < 0x7f) sb.appendCodePoint(cp);
            else sb.append(String.format("\\u{%x}", cp));
        });
        return sb.append('"').toString();
    }

    private static void fail(String message) {
        System.out.println("DIFFERENCE: " + message);
        System.exit(1);
    }
}
