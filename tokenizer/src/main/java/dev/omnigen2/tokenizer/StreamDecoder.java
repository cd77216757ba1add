package dev.omnigen2.tokenizer;

import java.util.Arrays;

/**
 * Decodes generated ids one at a time. A token may end in the middle of a UTF-8 sequence (Qwen
 * splits many CJK characters and emoji across tokens), so bytes of an unfinished sequence are held
 * back until a later token completes it; bytes that can no longer form a character are emitted as
 * U+FFFD right away. The concatenation of all emitted text plus {@link #finish()} equals
 * {@code decode(allIds)} (when the config does not ask for {@code clean_up_tokenization_spaces},
 * which Qwen's does not; the stream never cleans up).
 */
public final class StreamDecoder {
    private final QwenTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private byte[] pending = new byte[8];
    private int pendingLength;

    StreamDecoder(QwenTokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Feeds one id; returns the text it completes (often empty). */
    public String push(int id) {
        if (!tokenizer.keeps(id, skipSpecialTokens)) return "";
        byte[] b = tokenizer.bytesOf(id);
        if (pendingLength + b.length > pending.length) pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + b.length));
        System.arraycopy(b, 0, pending, pendingLength, b.length);
        pendingLength += b.length;
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < pendingLength) {
            int n = Utf8.sequenceAt(pending, i, pendingLength);
            if (n == 0) break; // unfinished: wait for more bytes
            if (n == 1) out.append((char) pending[i]);
            else if (n > 1) Utf8.appendSequence(out, pending, i, n);
            else out.append(Utf8.REPLACEMENT);
            i += Math.abs(n);
        }
        System.arraycopy(pending, i, pending, 0, pendingLength - i);
        pendingLength -= i;
        return out.toString();
    }

    /** Ends the stream; an unfinished sequence becomes U+FFFD. */
    public String finish() {
        String rest = Utf8.decode(pending, 0, pendingLength);
        pendingLength = 0;
        return rest;
    }
}
