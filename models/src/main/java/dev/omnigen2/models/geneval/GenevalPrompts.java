package dev.omnigen2.models.geneval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The prompts of a sweep: GenEval's {@code evaluation_metadata.jsonl} (or any JSONL whose objects have a
 * {@code prompt} field) or a plain text file with one prompt per line. Prompt indices are 0-based line numbers
 * of non-empty lines, as GenEval numbers its folders.
 */
public final class GenevalPrompts {
    private GenevalPrompts() {}

    /**
     * One prompt. {@code metadataJson} is the original JSON line byte for byte (for a text file, a
     * {@code {"prompt": …}} object); {@code error} is set instead of a prompt when the line is malformed.
     */
    public record Entry(int index, int lineNumber, String prompt, String metadataJson, String error) {
        public boolean ok() { return error == null; }
    }

    public static List<Entry> readJsonl(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<Entry> out = new ArrayList<>();
        int line = 0;
        for (String raw : lines(file)) {
            line++;
            if (raw.isBlank()) continue;
            int index = out.size();
            String error = null, prompt = null;
            try {
                JsonNode n = json.readTree(raw);
                if (n == null || !n.isObject()) error = "expected a JSON object";
                else if (!n.hasNonNull("prompt") || !n.get("prompt").isTextual()) error = "no string field \"prompt\"";
                else prompt = n.get("prompt").asText();
            } catch (com.fasterxml.jackson.core.JacksonException e) {
                error = "not valid JSON (" + e.getOriginalMessage() + ")";
            }
            out.add(new Entry(index, line, prompt, raw, error == null ? null : file + ":" + line + ": " + error));
        }
        return out;
    }

    public static List<Entry> readText(Path file) throws IOException {
        List<Entry> out = new ArrayList<>();
        int line = 0;
        for (String raw : lines(file)) {
            line++;
            String p = raw.strip();
            if (p.isEmpty()) continue;
            String meta = JsonNodeFactory.instance.objectNode().put("prompt", p).toString();
            out.add(new Entry(out.size(), line, p, meta, null));
        }
        return out;
    }

    private static List<String> lines(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(file + ": no such prompt file");
        String text = Files.readString(file, StandardCharsets.UTF_8);
        List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
        if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) lines.remove(lines.size() - 1);
        lines.replaceAll(s -> s.endsWith("\r") ? s.substring(0, s.length() - 1) : s);
        return lines;
    }
}
