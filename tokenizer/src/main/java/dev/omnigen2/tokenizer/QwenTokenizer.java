package dev.omnigen2.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * The Qwen2 / Qwen2.5-VL tokenizer (byte-level BPE) that turns OmniGen2 prompts into the token ids
 * the Python pipeline produces, and ids back into text.
 *
 * <p>Encoding: added tokens are found in the raw text first; the text between them is NFC-normalized,
 * split by the Qwen2 pre-tokenizer, spelled in the byte-level alphabet and merged by BPE rank. No
 * special tokens are added around the sequence. Instances are immutable and thread-safe.
 */
public final class QwenTokenizer {
    /** The truncation length {@code OmniGen2Pipeline} uses when called without one. */
    public static final int DEFAULT_MAX_SEQUENCE_LENGTH = 256;
    /** The truncation length OmniGen2's {@code inference.py} passes. */
    public static final int PIPELINE_MAX_SEQUENCE_LENGTH = 1024;

    private static final System.Logger LOG = System.getLogger(QwenTokenizer.class.getName());

    private final Path source;
    private final String[] idToToken;      // null for ids without a token
    private final byte[][] idToBytes;      // what each token decodes to
    private final boolean[] special;
    private final Map<String, Integer> tokenToId;
    private final Bpe bpe;
    private final AddedTokenMatcher rawMatcher;
    private final AddedTokenMatcher normalizedMatcher;
    private final List<AddedToken> addedTokens;
    private final int padId;
    private final int eosId;
    private final String chatTemplate;
    private final boolean cleanUpSpaces;

    private QwenTokenizer(TokenizerFiles.TokenizerJson json, TokenizerFiles.TokenizerConfig config, String chatTemplate) {
        this.source = json.file();
        Map<String, Integer> vocab = json.vocab();
        // Merges are resolved against the model vocabulary alone, before added tokens join the lookup.
        this.bpe = new Bpe(mergeTable(json), byteSymbols(vocab));
        this.addedTokens = List.copyOf(withConfigOnlyTokens(json.addedTokens(), config.addedTokens(), vocab));

        int size = 0;
        for (int id : vocab.values()) size = Math.max(size, id + 1);
        for (AddedToken t : addedTokens) size = Math.max(size, t.id() + 1);
        idToToken = new String[size];
        special = new boolean[size];
        for (var e : vocab.entrySet()) {
            if (e.getValue() < 0) throw TokenizerFiles.notKind(source, "non-negative ids, got " + e);
            idToToken[e.getValue()] = e.getKey();
        }
        tokenToId = vocab; // owned: the reader made it for this tokenizer
        for (AddedToken t : addedTokens) {
            if (t.id() < 0) throw TokenizerFiles.notKind(source, "non-negative ids for added tokens, got " + t);
            String existing = idToToken[t.id()];
            if (existing != null && !existing.equals(t.content())) {
                throw new TokenizerException(source + ": added token " + t.content() + " has id " + t.id()
                        + ", which already belongs to \"" + existing + "\"");
            }
            idToToken[t.id()] = t.content();
            special[t.id()] = t.special();
            tokenToId.put(t.content(), t.id());
        }
        idToBytes = new byte[size][];
        for (int id = 0; id < size; id++) if (idToToken[id] != null) idToBytes[id] = ByteLevel.unspell(idToToken[id]);

        rawMatcher = new AddedTokenMatcher(addedTokens.stream().filter(t -> !t.normalized()).toList());
        normalizedMatcher = new AddedTokenMatcher(addedTokens.stream().filter(AddedToken::normalized).toList());

        padId = config.padToken() == null ? -1 : idOf(config.padToken(), config.file(), "pad_token");
        eosId = config.eosToken() == null ? -1 : idOf(config.eosToken(), config.file(), "eos_token");
        this.chatTemplate = chatTemplate != null ? chatTemplate : config.chatTemplate();
        this.cleanUpSpaces = config.cleanUpTokenizationSpaces();
    }

    /** The vocabulary id of each byte's one-character token; BPE starts from these. */
    private int[] byteSymbols(Map<String, Integer> vocab) {
        int[] byteToId = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
            if (id == null) {
                throw TokenizerFiles.notKind(source, "a vocabulary entry for every byte; byte 0x"
                        + Integer.toHexString(b) + " (\"" + ByteLevel.BYTE_TO_CHAR[b] + "\") is missing");
            }
            byteToId[b] = id;
        }
        return byteToId;
    }

    /** Merge k, "left right", becomes (id(left), id(right)) → (rank k, id(left + right)). */
    private MergeTable mergeTable(TokenizerFiles.TokenizerJson json) {
        Map<String, Integer> vocab = json.vocab();
        List<String> lefts = json.mergeLefts(), rights = json.mergeRights();
        MergeTable merges = new MergeTable(lefts.size());
        for (int rank = 0; rank < lefts.size(); rank++) {
            String l = lefts.get(rank), r = rights.get(rank);
            Integer li = vocab.get(l), ri = vocab.get(r), mi = vocab.get(l + r);
            if (li == null || ri == null || mi == null) {
                throw TokenizerFiles.notKind(source, "merge #" + rank + " [\"" + l + "\", \"" + r
                        + "\"] to name vocabulary tokens, and its result \"" + l + r + "\" too");
            }
            merges.put(li, ri, rank, mi);
        }
        return merges;
    }

    /**
     * tokenizer.json's added tokens, then those that only tokenizer_config.json declares, in id order,
     * as transformers adds them on load.
     */
    private static List<AddedToken> withConfigOnlyTokens(List<AddedToken> declared, List<AddedToken> fromConfig,
                                                         Map<String, Integer> vocab) {
        List<AddedToken> added = new ArrayList<>(declared);
        Map<String, AddedToken> byContent = new HashMap<>();
        for (AddedToken t : added) byContent.put(t.content(), t);
        List<AddedToken> configOnly = new ArrayList<>(fromConfig);
        configOnly.sort(Comparator.comparingInt(AddedToken::id));
        for (AddedToken t : configOnly) {
            if (byContent.containsKey(t.content()) || vocab.containsKey(t.content())) continue;
            added.add(t);
            byContent.put(t.content(), t);
        }
        return added;
    }

    private int idOf(String token, Path file, String what) {
        Integer id = tokenToId.get(token);
        if (id == null) throw new TokenizerException(file + ": " + what + " \"" + token + "\" is not a token of " + source);
        return id;
    }

    /**
     * Loads a tokenizer from a Hugging Face {@code processor/} (or tokenizer) folder holding
     * tokenizer.json and, when present, tokenizer_config.json and chat_template.json; or from a
     * tokenizer.json file alone.
     */
    public static QwenTokenizer load(Path folderOrFile) {
        if (Files.isDirectory(folderOrFile)) {
            Path json = folderOrFile.resolve("tokenizer.json");
            if (!Files.isRegularFile(json)) {
                throw new TokenizerException("no tokenizer.json in " + folderOrFile
                        + ": expected a Hugging Face tokenizer folder (an OmniGen2 checkpoint's processor/)");
            }
            Path config = folderOrFile.resolve("tokenizer_config.json");
            Path template = folderOrFile.resolve("chat_template.json");
            return load(json, Files.isRegularFile(config) ? config : null, Files.isRegularFile(template) ? template : null);
        }
        if (!Files.exists(folderOrFile)) {
            throw new TokenizerException("tokenizer not found: " + folderOrFile
                    + " (expected a processor/ folder or a tokenizer.json file)");
        }
        return load(folderOrFile, null, null);
    }

    /**
     * Loads from explicit files, for checkpoints whose files are overlaid from several folders.
     * {@code tokenizerConfig} and {@code chatTemplateJson} may be null.
     */
    public static QwenTokenizer load(Path tokenizerJson, Path tokenizerConfig, Path chatTemplateJson) {
        TokenizerFiles.TokenizerJson json = TokenizerFiles.readTokenizerJson(tokenizerJson);
        TokenizerFiles.TokenizerConfig config = tokenizerConfig == null
                ? TokenizerFiles.TokenizerConfig.NONE : TokenizerFiles.readTokenizerConfig(tokenizerConfig);
        String template = chatTemplateJson == null ? null : TokenizerFiles.readChatTemplate(chatTemplateJson);
        return new QwenTokenizer(json, config, template);
    }

    // ---------------------------------------------------------------- encoding

    /** The token ids of {@code text}, with added tokens written in the text recognised as such. */
    public int[] encode(String text) {
        IntList out = new IntList(text.length() / 3 + 8);
        rawMatcher.split(text, 0, text.length(), new AddedTokenMatcher.SegmentSink() {
            @Override public void text(String s, int start, int end) { encodeRawSegment(s.substring(start, end), out); }
            @Override public void token(AddedToken token) { out.add(token.id()); }
        });
        return out.toArray();
    }

    private void encodeRawSegment(String raw, IntList out) {
        String normalized = nfc(raw);
        normalizedMatcher.split(normalized, 0, normalized.length(), new AddedTokenMatcher.SegmentSink() {
            @Override public void text(String s, int start, int end) { encodeNormalized(s, start, end, out); }
            @Override public void token(AddedToken token) { out.add(token.id()); }
        });
    }

    private void encodeNormalized(String s, int start, int end, IntList out) {
        String segment = start == 0 && end == s.length() ? s : s.substring(start, end);
        Qwen2Splitter.split(segment, (a, b) -> bpe.encode(segment, a, b, out));
    }

    /** NFC; text made only of characters below U+0300 is already in NFC. */
    static String nfc(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x300) return Normalizer.normalize(s, Normalizer.Form.NFC);
        }
        return s;
    }

    /** The token strings (byte-level spelling; added tokens as written) of some ids. */
    public List<String> tokens(int[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) out.add(token(id));
        return out;
    }

    /** The token string of an id. */
    public String token(int id) {
        if (id < 0 || id >= idToToken.length || idToToken[id] == null) {
            throw new TokenizerException("token id " + id + " has no token in " + source);
        }
        return idToToken[id];
    }

    /** The id of a token string (byte-level spelling, or an added token's content). */
    public OptionalInt tokenId(String token) {
        Integer id = tokenToId.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    // ---------------------------------------------------------------- decoding

    /**
     * The text of some ids: the tokens' bytes decoded as UTF-8, each invalid byte run becoming U+FFFD.
     * Ids without a token are dropped, as in the reference; with {@code skipSpecialTokens} so are
     * the special added tokens. When tokenizer_config.json sets {@code clean_up_tokenization_spaces}
     * (Qwen's does not), the spaces transformers removes before punctuation and English contractions
     * are removed too.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        int length = 0;
        for (int id : ids) if (keeps(id, skipSpecialTokens)) length += idToBytes[id].length;
        byte[] bytes = new byte[length];
        int p = 0;
        for (int id : ids) {
            if (!keeps(id, skipSpecialTokens)) continue;
            byte[] b = idToBytes[id];
            System.arraycopy(b, 0, bytes, p, b.length);
            p += b.length;
        }
        String text = Utf8.decode(bytes, 0, length);
        return cleanUpSpaces ? cleanUpTokenizationSpaces(text) : text;
    }

    /** transformers' {@code clean_up_tokenization}. */
    static String cleanUpTokenizationSpaces(String text) {
        return text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
                .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
                .replace(" 've", "'ve").replace(" 're", "'re");
    }

    boolean keeps(int id, boolean skipSpecialTokens) {
        return id >= 0 && id < idToBytes.length && idToBytes[id] != null && !(skipSpecialTokens && special[id]);
    }

    byte[] bytesOf(int id) { return idToBytes[id]; }

    /** A decoder for generated ids that emits text only once each UTF-8 sequence is complete. */
    public StreamDecoder streamDecoder(boolean skipSpecialTokens) {
        return new StreamDecoder(this, skipSpecialTokens);
    }

    // ---------------------------------------------------------------- batches

    /** Which end of a row the padding goes to. */
    public enum PaddingSide { RIGHT, LEFT }

    /**
     * Encodes several texts as one batch: each row truncated to {@code maxLength} ids (when
     * {@code maxLength > 0}), then padded with the pad token to the longest row on the right, as
     * {@code tokenizer(texts, padding="longest", max_length=maxLength, truncation=True)} does.
     * When a row was truncated the batch carries (and logs) the warning OmniGen2's pipeline prints.
     */
    public EncodedBatch encodeBatch(List<String> texts, int maxLength) {
        return encodeBatch(texts, maxLength, PaddingSide.RIGHT);
    }

    public EncodedBatch encodeBatch(List<String> texts, int maxLength, PaddingSide side) {
        if (texts.isEmpty()) throw new TokenizerException("encodeBatch: texts must not be empty");
        int[][] full = new int[texts.size()][];
        for (int r = 0; r < full.length; r++) full[r] = encode(texts.get(r));
        int[][] kept = new int[full.length][];
        boolean truncated = false;
        for (int r = 0; r < full.length; r++) {
            truncated |= maxLength > 0 && full[r].length > maxLength;
            kept[r] = maxLength > 0 && full[r].length > maxLength ? Arrays.copyOf(full[r], maxLength) : full[r];
        }
        String warning = truncated ? truncationWarning(full, maxLength) : null;
        if (warning != null) LOG.log(System.Logger.Level.WARNING, warning);
        return pad(kept, side, warning);
    }

    private EncodedBatch pad(int[][] rows, PaddingSide side, String warning) {
        int width = 0;
        for (int[] r : rows) width = Math.max(width, r.length);
        boolean ragged = false;
        for (int[] r : rows) ragged |= r.length != width;
        if (ragged && padId < 0) {
            throw new TokenizerException("cannot pad a batch: " + source + " has no pad_token (tokenizer_config.json)");
        }
        int[][] ids = new int[rows.length][width];
        int[][] mask = new int[rows.length][width];
        for (int r = 0; r < rows.length; r++) {
            int offset = side == PaddingSide.LEFT ? width - rows[r].length : 0;
            Arrays.fill(ids[r], padId);
            System.arraycopy(rows[r], 0, ids[r], offset, rows[r].length);
            Arrays.fill(mask[r], offset, offset + rows[r].length, 1);
        }
        return new EncodedBatch(ids, mask, warning);
    }

    /**
     * The pipeline's message: it re-tokenizes without truncation (padded to the longest row) and
     * shows, per row, the decoded ids from {@code maxLength - 1} up to the last column, excluded.
     */
    private String truncationWarning(int[][] full, int maxLength) {
        EncodedBatch untruncated = pad(full, PaddingSide.RIGHT, null);
        StringBuilder removed = new StringBuilder("[");
        for (int r = 0; r < full.length; r++) {
            int[] row = untruncated.inputIds()[r];
            int from = Math.max(0, maxLength - 1), to = Math.max(from, row.length - 1);
            if (r > 0) removed.append(", ");
            removed.append(PythonRepr.of(decode(Arrays.copyOfRange(row, from, to), false)));
        }
        removed.append(']');
        return "The following part of your input was truncated because Gemma can only handle sequences up to "
                + maxLength + " tokens: " + removed;
    }

    // ---------------------------------------------------------------- facts

    /** Number of ids that have a token (vocabulary plus added tokens). */
    public int size() { return idToToken.length; }

    /** The pad token's id, or -1 when the config names none. */
    public int padTokenId() { return padId; }

    /** The end-of-sequence token's id, or -1 when the config names none. */
    public int eosTokenId() { return eosId; }

    /** Whether an id is a special added token (dropped when decoding with skipSpecialTokens). */
    public boolean isSpecial(int id) { return id >= 0 && id < special.length && special[id]; }

    /** The added tokens, in the order they were declared. */
    public List<AddedToken> addedTokens() { return addedTokens; }

    /** The Jinja chat template text of the files, or null; rendering is done by {@link ChatTemplate}. */
    public String chatTemplateSource() { return chatTemplate; }

    Bpe bpe() { return bpe; }

    /** The tokenizer.json this tokenizer was loaded from. */
    public Path source() { return source; }
}
