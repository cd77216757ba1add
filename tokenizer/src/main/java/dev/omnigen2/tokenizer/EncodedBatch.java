package dev.omnigen2.tokenizer;

/**
 * A padded batch of token ids.
 *
 * @param inputIds          [rows][longest row], padded with the pad token
 * @param attentionMask     1 for a real token, 0 for padding
 * @param truncationWarning the warning OmniGen2's pipeline prints when a row was truncated, else null
 */
public record EncodedBatch(int[][] inputIds, int[][] attentionMask, String truncationWarning) {
    public int rows() { return inputIds.length; }
    public int width() { return inputIds.length == 0 ? 0 : inputIds[0].length; }
    public boolean truncated() { return truncationWarning != null; }
}
