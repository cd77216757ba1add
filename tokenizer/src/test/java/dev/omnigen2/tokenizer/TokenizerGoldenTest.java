package dev.omnigen2.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every case of the {@code tokenizer/} golden folder, reproduced exactly. */
class TokenizerGoldenTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper JSON_READER = JSON;
    private static Path dir;
    private static QwenTokenizer tokenizer;

    @BeforeAll
    static void load() {
        dir = GoldenRoot.dir("tokenizer");
        tokenizer = QwenTokenizer.load(dir);
    }

    static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) if (!line.isBlank()) out.add(JSON.readTree(line));
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] a = new int[array.size()];
        for (int i = 0; i < a.length; i++) a[i] = array.get(i).asInt();
        return a;
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static void check(List<String> failures, String what, Object got, Object expected) {
        if (!got.equals(expected) && failures.size() < 20) failures.add(what + "\n    got      " + got + "\n    expected " + expected);
    }

    @Test
    void everyCorpusTextEncodesAndDecodesExactly() throws IOException {
        List<JsonNode> cases = lines(dir.resolve("cases.jsonl"));
        assertThat(cases).hasSizeGreaterThan(0);
        List<String> failures = new ArrayList<>();
        int mismatched = 0;
        for (int c = 0; c < cases.size(); c++) {
            JsonNode k = cases.get(c);
            String text = k.get("text").asText();
            int[] expectedIds = ints(k.get("ids"));
            int[] ids = tokenizer.encode(text);
            String where = "case " + c + " (" + k.get("group").asText() + ")";
            int before = failures.size();
            check(failures, where + " ids", Arrays.toString(ids), Arrays.toString(expectedIds));
            check(failures, where + " tokens", tokenizer.tokens(expectedIds), strings(k.get("tokens")));
            check(failures, where + " decoded", tokenizer.decode(expectedIds, false), k.get("decoded").asText());
            check(failures, where + " decoded_skip_special", tokenizer.decode(expectedIds, true),
                    k.get("decoded_skip_special").asText());
            if (failures.size() > before || !Arrays.equals(ids, expectedIds)) mismatched++;
        }
        assertThat(failures).as(mismatched + " of " + cases.size() + " cases differ").isEmpty();
    }

    @Test
    void streamingDecodeOfEveryCorpusTextEqualsTheWholeDecode() throws IOException {
        List<String> failures = new ArrayList<>();
        for (JsonNode k : lines(dir.resolve("cases.jsonl"))) {
            for (boolean skip : new boolean[] {false, true}) {
                String expected = k.get(skip ? "decoded_skip_special" : "decoded").asText();
                StreamDecoder stream = tokenizer.streamDecoder(skip);
                StringBuilder sb = new StringBuilder();
                for (int id : ints(k.get("ids"))) {
                    String piece = stream.push(id);
                    // The corpus is valid UTF-8: a replacement character would mean a sequence was cut.
                    if (!expected.contains("\uFFFD")) assertThat(piece).doesNotContain("\uFFFD");
                    sb.append(piece);
                }
                sb.append(stream.finish());
                check(failures, k.get("text").asText() + " skip=" + skip, sb.toString(), expected);
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void everyChatCaseRendersAndEncodesExactly() throws IOException {
        List<JsonNode> cases = lines(dir.resolve("chat_cases.jsonl"));
        assertThat(cases).hasSizeGreaterThan(0);
        List<String> failures = new ArrayList<>();
        for (JsonNode k : cases) {
            String name = k.get("name").asText();
            List<ChatMessage> messages = new ArrayList<>();
            for (JsonNode m : k.get("messages")) messages.add(message(m));
            String rendered = ChatTemplate.render(messages, k.get("add_generation_prompt").asBoolean(),
                    k.path("add_vision_id").asBoolean(false));
            check(failures, name + " rendered", rendered, k.get("rendered").asText());
            check(failures, name + " ids", Arrays.toString(tokenizer.encode(rendered)), Arrays.toString(ints(k.get("ids"))));
            if (k.has("num_image_pad_tokens")) {
                String expanded = ChatTemplate.expandImagePads(rendered, ints(k.get("num_image_pad_tokens")));
                check(failures, name + " ids_expanded", Arrays.toString(tokenizer.encode(expanded)),
                        Arrays.toString(ints(k.get("ids_expanded"))));
            }
            if (name.startsWith("omnigen2_") && messages.size() == 2 && messages.get(1).text() != null
                    && !k.get("add_generation_prompt").asBoolean()) {
                check(failures, name + " omnigen2Prompt", ChatTemplate.omnigen2Prompt(messages.get(1).text()),
                        k.get("rendered").asText());
            }
        }
        assertThat(failures).isEmpty();
    }

    @SuppressWarnings("unchecked")
    private static ChatMessage message(JsonNode m) {
        String role = m.get("role").asText();
        JsonNode content = m.get("content");
        if (content.isTextual()) return new ChatMessage(role, content.asText(), null);
        List<ChatMessage.ContentPart> parts = new ArrayList<>();
        for (JsonNode item : content) parts.add(ChatMessage.ContentPart.fromFields(JSON.convertValue(item, Map.class)));
        return ChatMessage.of(role, parts);
    }

    @Test
    void everyOmniGen2ChatPipelinePromptRendersAndEncodesExactly() throws IOException {
        List<JsonNode> cases = lines(dir.resolve("omnigen2_chat_fstring_cases.jsonl"));
        assertThat(cases).hasSizeGreaterThan(0);
        for (JsonNode k : cases) {
            String rendered = ChatTemplate.omnigen2ChatPrompt(k.get("prompt").asText(), k.get("num_images").asInt());
            assertThat(rendered).isEqualTo(k.get("rendered").asText());
            assertThat(tokenizer.encode(rendered)).containsExactly(ints(k.get("ids")));
        }
    }
}
