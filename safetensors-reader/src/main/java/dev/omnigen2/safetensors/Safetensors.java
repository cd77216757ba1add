package dev.omnigen2.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnigen2.runtime.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/** Entry point: open a safetensors file, or a component folder (sharded with an index, or one file). */
public final class Safetensors {
    private Safetensors() {}

    public static TensorStore open(Path path) {
        if (Files.isDirectory(path)) return openFolder(path);
        if (path.getFileName().toString().endsWith(".index.json")) return openIndex(path);
        if (!Files.exists(path)) throw new SafetensorsException(path + ": no such file or folder");
        return SafetensorsFile.open(path);
    }

    private static TensorStore openFolder(Path dir) {
        List<Path> indexes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.sorted().forEach(p -> {
                String n = p.getFileName().toString();
                if (n.endsWith(".safetensors.index.json")) indexes.add(p);
                else if (n.endsWith(".safetensors")) files.add(p);
            });
        } catch (IOException e) {
            throw new SafetensorsException(dir + ": " + e.getMessage(), e);
        }
        if (indexes.size() == 1) return openIndex(indexes.get(0));
        if (indexes.size() > 1) throw new SafetensorsException(dir + ": several *.safetensors.index.json files: " + indexes);
        if (files.size() == 1) return SafetensorsFile.open(files.get(0));
        if (files.isEmpty()) throw new SafetensorsException(dir + ": no *.safetensors file and no *.safetensors.index.json");
        throw new SafetensorsException(dir + ": several *.safetensors files but no *.safetensors.index.json to join them");
    }

    private static TensorStore openIndex(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new SafetensorsException(index + ": not a JSON index: " + e.getMessage(), e);
        }
        JsonNode wm = root.get("weight_map");
        if (wm == null || !wm.isObject()) throw new SafetensorsException(index + ": no \"weight_map\" object");
        Map<String, String> nameToShard = new LinkedHashMap<>();
        wm.fields().forEachRemaining(e -> nameToShard.put(e.getKey(), e.getValue().asText()));
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            for (String shard : new LinkedHashSet<>(nameToShard.values())) {
                Path p = index.resolveSibling(shard);
                if (!Files.exists(p)) throw new SafetensorsException(index + ": shard '" + shard + "' is missing");
                shards.put(shard, SafetensorsFile.open(p));
            }
            for (Map.Entry<String, String> e : nameToShard.entrySet())
                if (!shards.get(e.getValue()).contains(e.getKey()))
                    throw new SafetensorsException(index + ": tensor '" + e.getKey() + "' is not in its shard " + e.getValue());
        } catch (RuntimeException e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new Sharded(index, nameToShard, shards);
    }

    private record Sharded(Path index, Map<String, String> nameToShard, Map<String, SafetensorsFile> shards) implements TensorStore {
        @Override public Set<String> names() { return Collections.unmodifiableSet(nameToShard.keySet()); }

        @Override public boolean contains(String name) { return nameToShard.containsKey(name); }

        @Override
        public Tensor tensor(String name) {
            String shard = nameToShard.get(name);
            if (shard == null) throw new SafetensorsException(index + ": no tensor named '" + name + "'");
            return shards.get(shard).tensor(name);
        }

        @Override
        public Map<String, String> metadata() {
            Map<String, String> m = new LinkedHashMap<>();
            shards.values().forEach(f -> m.putAll(f.metadata()));
            return m;
        }

        @Override public String source() { return index.getParent().toString(); }

        @Override public void close() { shards.values().forEach(SafetensorsFile::close); }
    }
}
