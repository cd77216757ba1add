package dev.omnigen2.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the Hugging Face tokenizer files: tokenizer.json by streaming (its vocabulary and merges are
 * most of its 11 MB), tokenizer_config.json and chat_template.json as trees. Checks that the file
 * describes the Qwen2 byte-level BPE this module implements and says what differs when it does not.
 */
final class TokenizerFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Field names are not canonicalized: the vocabulary's 151k distinct names would only fill the symbol table. */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .configure(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES, false).build().setCodec(MAPPER);

    /** The content of tokenizer.json that matters here. */
    record TokenizerJson(Path file, Map<String, Integer> vocab, List<String> mergeLefts, List<String> mergeRights,
                         List<AddedToken> addedTokens) {}

    /** The content of tokenizer_config.json that matters here (all fields optional). */
    record TokenizerConfig(Path file, List<AddedToken> addedTokens, String padToken, String eosToken,
                           String chatTemplate, boolean cleanUpTokenizationSpaces) {
        static final TokenizerConfig NONE = new TokenizerConfig(null, List.of(), null, null, null, false);
    }

    private TokenizerFiles() {}

    static TokenizerJson readTokenizerJson(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new TokenizerException("tokenizer file not found: " + file
                    + " (expected a Hugging Face tokenizer.json with a byte-level BPE model)");
        }
        Map<String, Integer> vocab = null;
        List<String> lefts = null, rights = null;
        List<AddedToken> added = new ArrayList<>();
        boolean sawModel = false;
        try (JsonParser p = FACTORY.createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw notKind(file, "a JSON object at the top level");
            String field;
            while ((field = p.nextFieldName()) != null) {
                p.nextToken();
                switch (field) {
                    case "model" -> {
                        sawModel = true;
                        if (p.currentToken() != JsonToken.START_OBJECT) throw notKind(file, "\"model\" to be an object");
                        String mf;
                        while ((mf = p.nextFieldName()) != null) {
                            JsonToken t = p.nextToken();
                            switch (mf) {
                                case "vocab" -> vocab = readVocab(p, file);
                                case "merges" -> {
                                    lefts = new ArrayList<>(1 << 18);
                                    rights = new ArrayList<>(1 << 18);
                                    readMerges(p, file, lefts, rights);
                                }
                                default -> checkModelOption(file, mf, valueNode(p));
                            }
                        }
                    }
                    case "added_tokens" -> {
                        JsonNode list = p.readValueAsTree();
                        if (list != null && !list.isNull()) for (JsonNode t : list) added.add(addedToken(file, t, t.path("id")));
                    }
                    case "normalizer" -> checkNormalizer(file, p.readValueAsTree());
                    case "pre_tokenizer" -> checkPreTokenizer(file, p.readValueAsTree());
                    case "decoder" -> checkDecoder(file, p.readValueAsTree());
                    default -> p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new TokenizerException("cannot read " + file + " as tokenizer JSON: " + e.getMessage(), e);
        }
        if (!sawModel) throw notKind(file, "a \"model\" section");
        if (vocab == null) throw notKind(file, "\"model.vocab\" (an object of token → id)");
        if (lefts == null) throw notKind(file, "\"model.merges\" (a list of merges)");
        return new TokenizerJson(file, vocab, lefts, rights, added);
    }

    private static JsonNode valueNode(JsonParser p) throws IOException {
        JsonNode v = p.readValueAsTree();
        return v == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : v;
    }

    private static Map<String, Integer> readVocab(JsonParser p, Path file) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw notKind(file, "\"model.vocab\" to be an object of token → id");
        Map<String, Integer> vocab = new HashMap<>(1 << 19);
        String token;
        while ((token = p.nextFieldName()) != null) {
            if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                throw notKind(file, "an integer id for vocab entry \"" + token + "\"");
            }
            vocab.put(token, p.getIntValue());
        }
        return vocab;
    }

    /** Merges come either as {@code "left right"} strings or as {@code ["left", "right"]} pairs. */
    private static void readMerges(JsonParser p, Path file, List<String> lefts, List<String> rights) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) throw notKind(file, "\"model.merges\" to be a list");
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.VALUE_STRING) {
                String m = p.getText();
                int space = m.indexOf(' ');
                if (space <= 0 || space == m.length() - 1 || m.indexOf(' ', space + 1) >= 0) {
                    throw notKind(file, "merge \"" + m + "\" to be two tokens separated by one space");
                }
                lefts.add(m.substring(0, space));
                rights.add(m.substring(space + 1));
            } else if (t == JsonToken.START_ARRAY) {
                String a = p.nextTextValue(), b = p.nextTextValue();
                if (a == null || b == null || p.nextToken() != JsonToken.END_ARRAY) {
                    throw notKind(file, "merge #" + lefts.size() + " to be a pair [\"left\", \"right\"] of strings");
                }
                lefts.add(a);
                rights.add(b);
            } else {
                throw notKind(file, "merge #" + lefts.size() + " to be a string \"left right\" or a pair [\"left\", \"right\"]");
            }
        }
    }

    private static void checkModelOption(Path file, String name, JsonNode v) {
        boolean ok = switch (name) {
            case "type" -> v.asText().equals("BPE");
            case "dropout" -> v.isNull() || v.asDouble() == 0.0;
            case "unk_token" -> true;
            case "continuing_subword_prefix", "end_of_word_suffix" -> v.isNull() || v.asText().isEmpty();
            case "fuse_unk" -> true;
            case "byte_fallback", "ignore_merges" -> v.isNull() || !v.asBoolean();
            default -> true;
        };
        if (!ok) throw unsupported(file, "model." + name + " = " + v, switch (name) {
            case "type" -> "\"BPE\"";
            case "dropout" -> "null";
            case "continuing_subword_prefix", "end_of_word_suffix" -> "empty";
            default -> "false";
        });
    }

    private static void checkNormalizer(Path file, JsonNode n) {
        if (n == null || n.isNull()) return;
        if (!"NFC".equals(n.path("type").asText())) {
            throw unsupported(file, "normalizer " + n, "{\"type\": \"NFC\"} (the Qwen2 normalizer)");
        }
    }

    private static void checkPreTokenizer(Path file, JsonNode n) {
        String expected = "Sequence[Split(Regex " + Qwen2Splitter.PATTERN
                + ", behavior Isolated, invert false), ByteLevel(add_prefix_space false, use_regex false)]";
        JsonNode list = n == null ? null : n.path("pretokenizers");
        boolean ok = n != null && "Sequence".equals(n.path("type").asText()) && list.size() == 2;
        if (ok) {
            JsonNode split = list.get(0), byteLevel = list.get(1);
            ok = "Split".equals(split.path("type").asText())
                    && Qwen2Splitter.PATTERN.equals(split.path("pattern").path("Regex").asText(null))
                    && "Isolated".equals(split.path("behavior").asText())
                    && !split.path("invert").asBoolean(false)
                    && "ByteLevel".equals(byteLevel.path("type").asText())
                    && !byteLevel.path("add_prefix_space").asBoolean(false)
                    && !byteLevel.path("use_regex").asBoolean(true);
        }
        if (!ok) throw unsupported(file, "pre_tokenizer " + n, expected);
    }

    private static void checkDecoder(Path file, JsonNode n) {
        if (n == null || !"ByteLevel".equals(n.path("type").asText())) {
            throw unsupported(file, "decoder " + n, "{\"type\": \"ByteLevel\"}");
        }
    }

    private static AddedToken addedToken(Path file, JsonNode t, JsonNode id) {
        if (!id.canConvertToInt() || !t.path("content").isTextual()) {
            throw notKind(file, "added token entries with an integer id and a string content, got " + t);
        }
        return new AddedToken(id.asInt(), t.get("content").asText(), t.path("special").asBoolean(false),
                t.path("normalized").asBoolean(false), t.path("lstrip").asBoolean(false),
                t.path("rstrip").asBoolean(false), t.path("single_word").asBoolean(false));
    }

    static TokenizerConfig readTokenizerConfig(Path file) {
        JsonNode root = readTree(file, "tokenizer_config.json");
        List<AddedToken> added = new ArrayList<>();
        JsonNode decoder = root.path("added_tokens_decoder");
        if (!decoder.isMissingNode() && !decoder.isObject()) throw notKind(file, "\"added_tokens_decoder\" to be an object of id → token");
        for (var it = decoder.fields(); it.hasNext(); ) {
            var e = it.next();
            try {
                added.add(addedToken(file, e.getValue(), MAPPER.getNodeFactory().numberNode(Integer.parseInt(e.getKey()))));
            } catch (NumberFormatException ex) {
                throw notKind(file, "integer keys in \"added_tokens_decoder\", got \"" + e.getKey() + "\"");
            }
        }
        JsonNode template = root.path("chat_template");
        return new TokenizerConfig(file, added, tokenName(root.path("pad_token")), tokenName(root.path("eos_token")),
                template.isTextual() ? template.asText() : null,
                root.path("clean_up_tokenization_spaces").asBoolean(false));
    }

    static String readChatTemplate(Path file) {
        JsonNode t = readTree(file, "chat_template.json").path("chat_template");
        if (!t.isTextual()) throw notKind(file, "a string field \"chat_template\"");
        return t.asText();
    }

    /** A token named in the config, either as a string or as {"content": ...}. */
    private static String tokenName(JsonNode n) {
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").asText();
        return null;
    }

    private static JsonNode readTree(Path file, String what) {
        if (!Files.isRegularFile(file)) throw new TokenizerException(what + " not found: " + file);
        try {
            JsonNode root = MAPPER.readTree(file.toFile());
            if (root == null || !root.isObject()) throw notKind(file, "a JSON object at the top level");
            return root;
        } catch (IOException e) {
            throw new TokenizerException("cannot read " + file + " as JSON (" + what + "): " + e.getMessage(), e);
        }
    }

    static TokenizerException notKind(Path file, String expected) {
        return new TokenizerException(file + " is not a Qwen2 tokenizer file of the expected kind: expected " + expected);
    }

    private static TokenizerException unsupported(Path file, String found, String expected) {
        String shown = found.length() > 300 ? found.substring(0, 300) + "…" : found;
        return new TokenizerException(file + ": unsupported " + shown + "; this tokenizer implements only " + expected);
    }
}
