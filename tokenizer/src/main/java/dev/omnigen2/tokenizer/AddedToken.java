package dev.omnigen2.tokenizer;

/**
 * A token matched in the text as a whole before BPE runs, as declared in tokenizer.json's
 * {@code added_tokens} (or a config-only entry of tokenizer_config.json's {@code added_tokens_decoder}).
 *
 * @param special    dropped by {@code decode(ids, skipSpecialTokens=true)}
 * @param normalized matched in the NFC-normalized text rather than the raw text
 * @param lstrip     the match swallows white space to its left
 * @param rstrip     the match swallows white space to its right
 * @param singleWord matched only when not inside a word
 */
public record AddedToken(int id, String content, boolean special, boolean normalized,
                         boolean lstrip, boolean rstrip, boolean singleWord) {
}
