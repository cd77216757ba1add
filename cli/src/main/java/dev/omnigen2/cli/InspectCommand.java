package dev.omnigen2.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omnigen2.safetensors.Safetensors;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.safetensors.ShardedCheckpoint;
import dev.omnigen2.safetensors.TensorStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code omnigen2 inspect PATH}: the tensors of a safetensors file, a component folder (one file, or shards with an
 * index) or a whole OmniGen2 checkpoint folder ({@code model_index.json} and one folder per component), with totals
 * and metadata. Reads headers only.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List every tensor (name, dtype, shape, bytes), totals and metadata of a safetensors file, "
                      + "a component folder or a whole OmniGen2 checkpoint folder.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", description = "A *.safetensors file, a *.safetensors.index.json, a component "
                                                   + "folder or a checkpoint folder with model_index.json.")
    Path path;

    @Option(names = "--json", description = "Print machine-readable JSON instead of a table.")
    boolean json;

    @Spec CommandSpec spec;

    /** One tensor as listed. */
    record Row(String name, String dtype, int[] shape, long parameters, long bytes, String file) {}

    /** One section: a component of a checkpoint, or the single file/folder inspected. */
    record Section(String name, Path path, String layout, List<String> files, List<Row> rows,
                   Map<String, String> metadata, OptionalLong declaredTotalSize) {
        long bytes() { return rows.stream().mapToLong(Row::bytes).sum(); }

        long parameters() { return rows.stream().mapToLong(Row::parameters).sum(); }
    }

    @Override
    public Integer call() {
        List<Section> sections = sections(path);
        PrintWriter out = spec.commandLine().getOut();
        if (json) out.println(toJson(sections));
        else printText(out, sections);
        out.flush();
        return 0;
    }

    static List<Section> sections(Path path) {
        if (!Files.exists(path)) throw new UserException(path + ": no such file or folder");
        Path modelIndex = path.resolve("model_index.json");
        if (Files.isDirectory(path) && Files.isRegularFile(modelIndex)) {
            List<Section> sections = new ArrayList<>();
            for (String component : components(modelIndex)) {
                Path dir = path.resolve(component);
                if (!Files.isDirectory(dir))
                    throw new UserException(modelIndex + ": component '" + component + "' has no folder, expected " + dir);
                sections.add(hasWeights(dir) ? section(component, dir) : configOnly(component, dir));
            }
            return sections;
        }
        return List.of(section(path.getFileName() == null ? path.toString() : path.getFileName().toString(), path));
    }

    /** Component names of model_index.json: keys whose value is [library, class] (keys starting with _ are notes). */
    private static List<String> components(Path modelIndex) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(modelIndex.toFile());
        } catch (JsonProcessingException e) {
            throw new UserException(modelIndex + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UserException(modelIndex + ": cannot be read: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject())
            throw new UserException(modelIndex + ": expected a JSON object of components");
        List<String> names = new ArrayList<>();
        root.properties().forEach(e -> {
            if (!e.getKey().startsWith("_") && e.getValue().isArray()) names.add(e.getKey());
        });
        if (names.isEmpty()) throw new UserException(modelIndex + ": names no component, expected e.g. \"transformer\": [\"...\", \"...\"]");
        return names;
    }

    private static boolean hasWeights(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString())
                    .anyMatch(n -> n.endsWith(".safetensors") || n.endsWith(".safetensors.index.json"));
        } catch (IOException e) {
            throw new UserException(dir + ": cannot list the folder: " + e.getMessage(), e);
        }
    }

    private static Section configOnly(String name, Path dir) {
        List<String> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UserException(dir + ": cannot list the folder: " + e.getMessage(), e);
        }
        return new Section(name, dir, "no weights", files, List.of(), Map.of(), OptionalLong.empty());
    }

    private static Section section(String name, Path path) {
        try (TensorStore store = Safetensors.open(path)) {
            List<Row> rows = new ArrayList<>();
            for (String tensor : store.names()) {
                SafetensorsFile.Entry e = store.entry(tensor);
                String file = store instanceof ShardedCheckpoint sc ? sc.shardOf(tensor) : null;
                rows.add(new Row(tensor, e.stored().name(), e.shape(), e.numel(), e.byteSize(), file));
            }
            List<String> files = new ArrayList<>();
            String layout;
            OptionalLong declared = OptionalLong.empty();
            if (store instanceof ShardedCheckpoint sc) {
                files.add(sc.index().getFileName().toString());
                files.addAll(new java.util.TreeSet<>(sc.shards().keySet()));
                layout = "sharded, " + sc.shards().size() + " shards";
                declared = sc.declaredTotalSize();
            } else {
                SafetensorsFile f = (SafetensorsFile) store;
                files.add(f.path().getFileName().toString());
                layout = "single file";
            }
            return new Section(name, path, layout, files, rows, store.metadata(), declared);
        }
    }

    // ---- output ----

    private static void printText(PrintWriter out, List<Section> sections) {
        for (Section s : sections) {
            out.printf("== %s: %s (%s: %s)%n", s.name(), s.path(), s.layout(), String.join(", ", s.files()));
            if (!s.rows().isEmpty()) {
                int nameWidth = Math.max(6, s.rows().stream().mapToInt(r -> r.name().length()).max().orElse(0));
                int shapeWidth = Math.max(5, s.rows().stream().mapToInt(r -> Arrays.toString(r.shape()).length()).max().orElse(0));
                String format = "  %-" + nameWidth + "s  %-7s  %-" + shapeWidth + "s  %,15d%n";
                out.printf("  %-" + nameWidth + "s  %-7s  %-" + shapeWidth + "s  %15s%n", "TENSOR", "DTYPE", "SHAPE", "BYTES");
                for (Row r : s.rows()) out.printf(format, r.name(), r.dtype(), Arrays.toString(r.shape()), r.bytes());
            }
            out.printf("  total: %s, %,d parameters, %,d bytes%s%n", tensors(s.rows().size()), s.parameters(), s.bytes(),
                    byDtypeText(s.rows()));
            s.declaredTotalSize().ifPresent(t -> out.printf("  index total_size: %,d bytes%n", t));
            if (!s.metadata().isEmpty()) {
                StringBuilder m = new StringBuilder();
                new TreeMap<>(s.metadata()).forEach((k, v) -> m.append(m.isEmpty() ? "" : ", ").append(k).append('=').append(v));
                out.printf("  metadata: %s%n", m);
            }
        }
        if (sections.size() > 1) {
            List<Row> all = sections.stream().flatMap(s -> s.rows().stream()).toList();
            out.printf("== checkpoint total: %d components, %s, %,d parameters, %,d bytes%s%n", sections.size(),
                    tensors(all.size()), all.stream().mapToLong(Row::parameters).sum(), all.stream().mapToLong(Row::bytes).sum(),
                    byDtypeText(all));
        }
    }

    private static String byDtypeText(List<Row> rows) {
        Map<String, long[]> by = byDtype(rows);
        if (by.isEmpty()) return "";
        StringBuilder b = new StringBuilder(" (");
        by.forEach((d, c) -> b.append(b.length() > 2 ? "; " : "").append(String.format("%s: %s, %,d bytes", d, tensors(c[0]), c[1])));
        return b.append(')').toString();
    }

    private static String tensors(long n) { return String.format(n == 1 ? "%,d tensor" : "%,d tensors", n); }

    /** dtype → {tensors, bytes}. */
    private static Map<String, long[]> byDtype(List<Row> rows) {
        Map<String, long[]> by = new TreeMap<>();
        for (Row r : rows) {
            long[] c = by.computeIfAbsent(r.dtype(), k -> new long[2]);
            c[0]++;
            c[1] += r.bytes();
        }
        return by;
    }

    private static String toJson(List<Section> sections) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        ArrayNode components = root.putArray("components");
        List<Row> all = new ArrayList<>();
        for (Section s : sections) {
            ObjectNode c = components.addObject();
            c.put("name", s.name());
            c.put("path", s.path().toString());
            c.put("layout", s.layout());
            ArrayNode files = c.putArray("files");
            s.files().forEach(files::add);
            ArrayNode tensors = c.putArray("tensors");
            for (Row r : s.rows()) {
                ObjectNode t = tensors.addObject();
                t.put("name", r.name());
                t.put("dtype", r.dtype());
                ArrayNode shape = t.putArray("shape");
                for (int d : r.shape()) shape.add(d);
                t.put("parameters", r.parameters());
                t.put("bytes", r.bytes());
                if (r.file() != null) t.put("file", r.file());
            }
            totals(c.putObject("totals"), s.rows());
            if (s.declaredTotalSize().isPresent()) c.put("declared_total_size", s.declaredTotalSize().getAsLong());
            ObjectNode metadata = c.putObject("metadata");
            s.metadata().forEach(metadata::put);
            all.addAll(s.rows());
        }
        totals(root.putObject("totals"), all);
        try {
            return mapper.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void totals(ObjectNode t, List<Row> rows) {
        t.put("tensors", rows.size());
        t.put("parameters", rows.stream().mapToLong(Row::parameters).sum());
        t.put("bytes", rows.stream().mapToLong(Row::bytes).sum());
        ObjectNode by = t.putObject("by_dtype");
        byDtype(rows).forEach((d, c) -> by.putObject(d).put("tensors", c[0]).put("bytes", c[1]));
    }
}
