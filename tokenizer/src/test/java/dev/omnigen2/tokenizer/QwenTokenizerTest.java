package dev.omnigen2.tokenizer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Behaviour beyond the golden corpus: batches, truncation, streaming, the BPE paths. */
class QwenTokenizerTest {
    private static QwenTokenizer tokenizer;

    @BeforeAll
    static void load() {
        tokenizer = QwenTokenizer.load(GoldenRoot.dir("tokenizer"));
    }

    @Test
    void knownQwenOutputs() {
        assertThat(tokenizer.encode("描述这张图片的内容。")).containsExactly(53481, 108893, 45930, 104597, 1773);
        assertThat(tokenizer.encode("hello<|im_start|>world")).containsExactly(14990, 151644, 14615);
        assertThat(tokenizer.encode("<<|im_start|>>")).containsExactly(27, 151644, 29);
        assertThat(tokenizer.encode("")).isEmpty();
        assertThat(tokenizer.decode(new int[0], false)).isEmpty();
        assertThat(tokenizer.padTokenId()).isEqualTo(151643);
        assertThat(tokenizer.eosTokenId()).isEqualTo(151645);
        assertThat(tokenizer.chatTemplateSource()).contains("vision_start");
    }

    @Test
    void batchPadsOnTheRightToTheLongestRowWithMasks() {
        EncodedBatch batch = tokenizer.encodeBatch(List.of("a photo of a bench", "a cat"), QwenTokenizer.PIPELINE_MAX_SEQUENCE_LENGTH);
        assertThat(batch.truncated()).isFalse();
        assertThat(batch.inputIds()[0]).containsExactly(64, 6548, 315, 264, 13425);
        assertThat(batch.inputIds()[1]).containsExactly(64, 8251, 151643, 151643, 151643);
        assertThat(batch.attentionMask()[0]).containsExactly(1, 1, 1, 1, 1);
        assertThat(batch.attentionMask()[1]).containsExactly(1, 1, 0, 0, 0);

        EncodedBatch left = tokenizer.encodeBatch(List.of("a photo of a bench", "a cat"), 0, QwenTokenizer.PaddingSide.LEFT);
        assertThat(left.inputIds()[1]).containsExactly(151643, 151643, 151643, 64, 8251);
        assertThat(left.attentionMask()[1]).containsExactly(0, 0, 0, 1, 1);
    }

    @Test
    void truncationKeepsTheFirstIdsAndCarriesThePipelineWarning() {
        EncodedBatch batch = tokenizer.encodeBatch(List.of("a photo of a bench", "a photo of a cow and a bench"), 4);
        assertThat(batch.width()).isEqualTo(4);
        assertThat(batch.inputIds()[0]).containsExactly(64, 6548, 315, 264);
        assertThat(batch.attentionMask()[0]).containsExactly(1, 1, 1, 1);
        // Untruncated: 5 and 8 ids, padded to 8; the pipeline shows columns [3, 7) of each row.
        assertThat(batch.truncationWarning()).isEqualTo(
                "The following part of your input was truncated because Gemma can only handle sequences up to 4 tokens: "
                        + "[' a bench<|endoftext|><|endoftext|>', ' a cow and a']");
        assertThat(tokenizer.encodeBatch(List.of("a photo of a bench"), 5).truncationWarning()).isNull();
    }

    @Test
    void streamingHoldsBackUnfinishedCharacters() {
        String text = "描述 龘靐齉 𠀀𪚥 東京都渋谷区 done";
        int[] ids = tokenizer.encode(text);
        StreamDecoder stream = tokenizer.streamDecoder(false);
        StringBuilder sb = new StringBuilder();
        boolean heldBack = false;
        for (int id : ids) {
            String piece = stream.push(id);
            assertThat(piece).doesNotContain("\uFFFD");
            heldBack |= piece.isEmpty();
            sb.append(piece);
        }
        assertThat(heldBack).as("some token ends inside a character").isTrue();
        assertThat(sb.append(stream.finish()).toString()).isEqualTo(text);
    }

    @Test
    void streamingEmitsReplacementForBytesThatCannotBecomeACharacter() {
        int continuation = tokenizer.tokenId(String.valueOf(ByteLevel.BYTE_TO_CHAR[0x80])).getAsInt();
        int lead3 = tokenizer.tokenId(String.valueOf(ByteLevel.BYTE_TO_CHAR[0xE6])).getAsInt();
        int a = tokenizer.tokenId("a").getAsInt();
        StreamDecoder stream = tokenizer.streamDecoder(false);
        assertThat(stream.push(continuation)).isEqualTo("\uFFFD");
        assertThat(stream.push(lead3)).isEmpty();
        assertThat(stream.push(a)).isEqualTo("\uFFFDa");
        assertThat(stream.push(lead3)).isEmpty();
        assertThat(stream.finish()).isEqualTo("\uFFFD");
        assertThat(tokenizer.decode(new int[] {continuation, lead3, a, lead3}, false)).isEqualTo("\uFFFD\uFFFDa\uFFFD");
    }

    @Test
    void streamingSkipsSpecialTokensWhenAsked() {
        int[] ids = tokenizer.encode("<|im_start|>assistant\nHi<|im_end|>");
        StreamDecoder stream = tokenizer.streamDecoder(true);
        StringBuilder sb = new StringBuilder();
        for (int id : ids) sb.append(stream.push(id));
        assertThat(sb.append(stream.finish()).toString()).isEqualTo("assistant\nHi");
    }

    @Test
    void heapAndScanMergesAgreeOnLongWords() throws IOException {
        Bpe bpe = tokenizer.bpe();
        List<String> words = new ArrayList<>(List.of("a".repeat(500), "abracadabra".repeat(40), "描述这张图片的内容".repeat(20),
                "Supercalifragilisticexpialidocious", "ĠĠĠ", "x"));
        for (String line : Files.readAllLines(GoldenRoot.dir("tokenizer").resolve("cases.jsonl"))) {
            String text = TokenizerGoldenTest.JSON_READER.readTree(line).get("text").asText();
            Qwen2Splitter.split(QwenTokenizer.nfc(text), (s, e) -> words.add(QwenTokenizer.nfc(text).substring(s, e)));
        }
        for (String w : words) {
            if (w.length() > 2_000) continue; // the rescanning merge is quadratic; long words are what the heap is for
            int[] scan = bpe.initialSymbols(w, 0, w.length());
            int[] heap = scan.clone();
            int n1 = bpe.mergeByScan(scan), n2 = bpe.mergeByHeap(heap);
            assertThat(Arrays.copyOf(heap, n2)).as(w).containsExactly(Arrays.copyOf(scan, n1));
        }
    }

    @Test
    void longRepeatsEncodeFast() {
        String text = "ab".repeat(50_000) + " " + "九".repeat(20_000);
        long t0 = System.nanoTime();
        int[] ids = tokenizer.encode(text);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(tokenizer.decode(ids, false)).isEqualTo(text);
        assertThat(ms).as("encode of a 120k-character text, ms").isLessThan(5_000);
    }

    @Test
    void pythonRepr() {
        assertThat(PythonRepr.of("a'b")).isEqualTo("\"a'b\"");
        assertThat(PythonRepr.of("a'b\"c")).isEqualTo("'a\\'b\"c'");
        assertThat(PythonRepr.of("x\n\t\\\u0001\u200b")).isEqualTo("'x\\n\\t\\\\\\x01\\u200b'");
        assertThat(PythonRepr.of("中文 😀")).isEqualTo("'中文 😀'");
    }

    @Test
    void unknownIdsAreDroppedButTokenLookupFailsClearly() {
        assertThat(tokenizer.decode(new int[] {9707, 999_999, -1, 151700}, false)).isEqualTo("Hello");
        assertThatThrownBy(() -> tokenizer.token(999_999)).isInstanceOf(TokenizerException.class)
                .hasMessageContaining("999999").hasMessageContaining("tokenizer.json");
    }

    @Test
    void padExpansionCountsMustMatch() {
        String one = ChatTemplate.render(List.of(ChatMessage.of("user", List.of(ChatMessage.ContentPart.image()))), true, false);
        assertThat(ChatTemplate.expandImagePads(one, new int[] {3})).contains("<|image_pad|>".repeat(3) + "<|vision_end|>");
        assertThat(ChatTemplate.padCount(1, 16, 16, 2)).isEqualTo(64);
        assertThatThrownBy(() -> ChatTemplate.expandImagePads(one, new int[] {3, 4}))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("1 <|image_pad|> tokens but 2 image(s)");
        assertThatThrownBy(() -> ChatTemplate.expandImagePads(one, new int[0]))
                .isInstanceOf(TokenizerException.class).hasMessageContaining("more <|image_pad|> tokens");
    }

    @Test
    void imgTokenProbesOfTheChatPipelineFixture() throws IOException {
        Path chat = GoldenRoot.dir("pipeline-chat");
        Path base = GoldenRoot.dir("pipeline").resolve("checkpoint/processor");
        // The overlay rule of that fixture: its processor/ files replace those of the shared checkpoint.
        QwenTokenizer withImg = QwenTokenizer.load(base.resolve("tokenizer.json"),
                chat.resolve("processor/tokenizer_config.json"), base.resolve("chat_template.json"));
        QwenTokenizer plain = QwenTokenizer.load(base);
        var probes = TokenizerGoldenTest.JSON_READER.readTree(chat.resolve("cases.json").toFile())
                .get("img_token").get("encode_decode_probes");
        int checked = 0;
        for (String variant : List.of("img", "base")) {
            QwenTokenizer t = variant.equals("img") ? withImg : plain;
            for (var probe : probes.get(variant)) {
                int[] ids = TokenizerGoldenTest.ints(probe.get("ids"));
                var job = probe.get("job");
                if (job.has("text")) {
                    assertThat(t.encode(job.get("text").asText())).as(variant + " " + job).containsExactly(ids);
                    assertThat(t.tokens(ids)).isEqualTo(TokenizerGoldenTest.strings(probe.get("tokens")));
                }
                assertThat(t.decode(ids, false)).as(variant + " " + job).isEqualTo(probe.get("decoded").asText());
                assertThat(t.decode(ids, true)).as(variant + " " + job).isEqualTo(probe.get("decoded_skip_special").asText());
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(0);
    }

    @Test
    void configOnlyAddedTokenOfTheChatCheckpointGetsTheNextId() {
        Path base = GoldenRoot.dir("tokenizer");
        QwenTokenizer withImg = QwenTokenizer.load(base.resolve("tokenizer.json"),
                GoldenRoot.dir("pipeline-chat").resolve("processor/tokenizer_config.json"), base.resolve("chat_template.json"));
        assertThat(withImg.encode("What is in this picture?<|img|>")).containsExactly(3838, 374, 304, 419, 6802, 30, 151665);
        assertThat(withImg.decode(new int[] {9707, 151665, 151643}, true)).isEqualTo("Hello");
        assertThat(tokenizer.encode("<|img|>")).containsExactly(27, 91, 1892, 91, 29);
    }
}
