package dev.omnigen2.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading small hand-made tokenizer files: both merge spellings, added-token flags, and the errors. */
class TokenizerFilesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A byte-level BPE over the 256 byte symbols plus "he", "ll", "hell", "hello". */
    private static ObjectNode tiny(boolean pairMerges) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode added = root.putArray("added_tokens");
        added.addObject().put("id", 260).put("content", "<|end|>").put("special", true).put("normalized", false);
        added.addObject().put("id", 261).put("content", "<x>").put("special", false).put("normalized", false)
                .put("lstrip", true).put("rstrip", true);
        root.putObject("normalizer").put("type", "NFC");
        ObjectNode pre = root.putObject("pre_tokenizer").put("type", "Sequence");
        ArrayNode list = pre.putArray("pretokenizers");
        ObjectNode split = list.addObject().put("type", "Split").put("behavior", "Isolated").put("invert", false);
        split.putObject("pattern").put("Regex", Qwen2Splitter.PATTERN);
        list.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", false);
        root.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]), b);
        vocab.put("he", 256).put("ll", 257).put("hell", 258).put("hello", 259);
        ArrayNode merges = model.putArray("merges");
        String[][] pairs = {{"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}};
        for (String[] p : pairs) {
            if (pairMerges) merges.addArray().add(p[0]).add(p[1]);
            else merges.add(p[0] + " " + p[1]);
        }
        return root;
    }

    private static Path write(Path dir, ObjectNode json) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        JSON.writeValue(file.toFile(), json);
        return file;
    }

    private static Path edited(Path dir, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode json = tiny(true);
        edit.accept(json);
        return write(dir, json);
    }

    @Test
    void bothMergeSpellingsGiveTheSameTokenizer(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("a"));
        Files.createDirectories(tmp.resolve("b"));
        QwenTokenizer pairs = QwenTokenizer.load(write(tmp.resolve("a"), tiny(true)));
        QwenTokenizer strings = QwenTokenizer.load(write(tmp.resolve("b"), tiny(false)));
        for (QwenTokenizer t : new QwenTokenizer[] {pairs, strings}) {
            assertThat(t.encode("hello hell")).containsExactly(259, t.tokenId("Ġ").getAsInt(), 258);
            assertThat(t.tokens(t.encode("hello hell"))).containsExactly("hello", "Ġ", "hell");
        }
    }

    @Test
    void addedTokenStripFlagsSwallowNeighbouringWhiteSpace(@TempDir Path tmp) throws IOException {
        QwenTokenizer t = QwenTokenizer.load(write(tmp, tiny(true)));
        assertThat(t.tokens(t.encode("he  <x>  ll<|end|>"))).containsExactly("he", "<x>", "ll", "<|end|>");
        assertThat(t.decode(t.encode("he<|end|>"), true)).isEqualTo("he");
        assertThat(t.decode(t.encode("he<x>"), true)).isEqualTo("he<x>");
        assertThat(t.padTokenId()).isEqualTo(-1);
        assertThatThrownBy(() -> t.encodeBatch(java.util.List.of("he", "hello hello"), 0))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("no pad_token");
    }

    @Test
    void missingFilesAreNamed(@TempDir Path tmp) {
        assertThatThrownBy(() -> QwenTokenizer.load(tmp.resolve("nowhere")))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("nowhere").hasMessageContaining("expected");
        assertThatThrownBy(() -> QwenTokenizer.load(tmp))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("no tokenizer.json in " + tmp);
    }

    @Test
    void filesOfAnotherKindAreRejectedWithWhatWasExpected(@TempDir Path tmp) throws IOException {
        Path notJson = Files.writeString(tmp.resolve("tokenizer.json"), "safetensors? no.");
        assertThatThrownBy(() -> QwenTokenizer.load(notJson))
                .isInstanceOf(TokenizerException.class).hasMessageContaining(notJson.toString()).hasMessageContaining("JSON");

        assertThatThrownBy(() -> QwenTokenizer.load(edited(tmp, j -> ((ObjectNode) j.get("model")).put("type", "WordPiece"))))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("model.type").hasMessageContaining("\"BPE\"");
        assertThatThrownBy(() -> QwenTokenizer.load(edited(tmp, j -> j.putObject("normalizer").put("type", "NFKC"))))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("NFKC").hasMessageContaining("NFC");
        assertThatThrownBy(() -> QwenTokenizer.load(edited(tmp, j -> j.putObject("pre_tokenizer").put("type", "Whitespace"))))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("pre_tokenizer").hasMessageContaining("Split(Regex");
        assertThatThrownBy(() -> QwenTokenizer.load(edited(tmp, j -> j.remove("model"))))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("\"model\"");
        assertThatThrownBy(() -> QwenTokenizer.load(edited(tmp, j -> ((ObjectNode) j.get("model")).remove("merges"))))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("model.merges");
        assertThatThrownBy(() -> QwenTokenizer.load(edited(tmp, j -> ((ArrayNode) j.get("model").get("merges")).add("a b c"))))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("\"a b c\"");
        assertThatThrownBy(() -> QwenTokenizer.load(edited(tmp, j -> ((ArrayNode) j.get("model").get("merges")).addArray().add("q").add("z"))))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("merge #4").hasMessageContaining("\"qz\"");
        assertThatThrownBy(() -> QwenTokenizer.load(edited(tmp, j -> ((ObjectNode) j.get("model").get("vocab")).remove("Ā"))))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("byte 0x0");
    }

    @Test
    void cleanUpOfTokenizationSpacesFollowsTheConfig(@TempDir Path tmp) throws IOException {
        write(tmp, tiny(true));
        int[] ids = QwenTokenizer.load(tmp).encode("he ll , hello .");
        assertThat(QwenTokenizer.load(tmp).decode(ids, false)).isEqualTo("he ll , hello .");
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"clean_up_tokenization_spaces\": true}");
        assertThat(QwenTokenizer.load(tmp).decode(ids, false)).isEqualTo("he ll, hello.");
    }

    @Test
    void configNamingAnUnknownPadTokenIsRejected(@TempDir Path tmp) throws IOException {
        Path json = write(tmp, tiny(true));
        Path config = Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"pad_token\": \"<|nope|>\"}");
        assertThatThrownBy(() -> QwenTokenizer.load(tmp))
                .isInstanceOf(TokenizerException.class).hasMessageContaining(config.toString()).hasMessageContaining("<|nope|>");
        Files.writeString(config, "{\"pad_token\": {\"content\": \"<|end|>\"}}");
        assertThat(QwenTokenizer.load(tmp).padTokenId()).isEqualTo(260);
        assertThat(json).exists();
    }
}
