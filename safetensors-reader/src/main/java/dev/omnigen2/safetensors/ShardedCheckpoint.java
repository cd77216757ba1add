package dev.omnigen2.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.runtime.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A checkpoint split over several safetensors files joined by a {@code *.safetensors.index.json}
 * ({@code weight_map}: tensor name → shard file name beside the index; {@code metadata.total_size}).
 * Every shard is opened (headers only) and every mapped name is checked to exist in its shard.
 * Thread-safe like {@link SafetensorsFile}.
 */
public final class ShardedCheckpoint implements TensorStore {
    private final Path index;
    private final Map<String, String> shardOfName;
    private final Map<String, SafetensorsFile> shards;
    private final OptionalLong declaredTotalSize;

    private ShardedCheckpoint(Path index, Map<String, String> shardOfName, Map<String, SafetensorsFile> shards,
                              OptionalLong declaredTotalSize) {
        this.index = index;
        this.shardOfName = shardOfName;
        this.shards = shards;
        this.declaredTotalSize = declaredTotalSize;
    }

    /** Opens the index at {@code index} and the shards it names. */
    public static ShardedCheckpoint open(Path index) {
        JsonNode root;
        try {
            root = Header.JSON.readTree(Files.readString(index));
        } catch (NoSuchFileException e) {
            throw new SafetensorsException(index + ": no such file", e);
        } catch (JsonProcessingException e) {
            throw new SafetensorsException(index + ": not a valid JSON index: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                                                      + ", column " + e.getLocation().getColumnNr()), e);
        } catch (IOException e) { // includes malformed UTF-8
            throw new SafetensorsException(index + ": cannot be read as UTF-8 JSON: " + e, e);
        } catch (RuntimeException e) { // Jackson reports some limits (nesting, number length) unchecked
            throw new SafetensorsException(index + ": not a valid JSON index: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject())
            throw new SafetensorsException(index + ": expected a JSON object with \"weight_map\"");
        OptionalLong totalSize = OptionalLong.empty();
        JsonNode metadata = root.get("metadata");
        if (metadata != null && !metadata.isNull()) {
            if (!metadata.isObject())
                throw new SafetensorsException(index + ": \"metadata\" is not an object, expected {\"total_size\": bytes}");
            JsonNode total = metadata.get("total_size");
            if (total != null && !total.isNull()) {
                if (!total.isIntegralNumber() || !total.canConvertToLong() || total.longValue() < 0)
                    throw new SafetensorsException(index + ": \"metadata.total_size\" is " + total
                            + ", expected a number of bytes >= 0");
                totalSize = OptionalLong.of(total.longValue());
            }
        }
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject())
            throw new SafetensorsException(index + ": no \"weight_map\" object, expected {tensor name: shard file}");
        Map<String, String> shardOfName = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            JsonNode shard = e.getValue();
            if (!shard.isTextual())
                throw new SafetensorsException(index + ": weight_map value of tensor '" + e.getKey() + "' is " + shard
                        + ", expected a shard file name");
            String file = shard.textValue();
            if (file.isEmpty() || file.contains("/") || file.contains("\\") || file.equals(".") || file.equals(".."))
                throw new SafetensorsException(index + ": shard '" + file + "' of tensor '" + e.getKey()
                        + "' is not a plain file name, expected a file beside the index");
            shardOfName.put(e.getKey(), file);
        }
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            for (String shard : new LinkedHashSet<>(shardOfName.values())) {
                Path p = index.resolveSibling(shard);
                if (!Files.isRegularFile(p)) {
                    String first = shardOfName.entrySet().stream().filter(x -> x.getValue().equals(shard))
                            .findFirst().orElseThrow().getKey();
                    throw new SafetensorsException(index + ": shard '" + shard + "' (holding tensor '" + first
                            + "') is missing, expected " + p);
                }
                shards.put(shard, SafetensorsFile.open(p));
            }
            for (Map.Entry<String, String> e : shardOfName.entrySet())
                if (!shards.get(e.getValue()).contains(e.getKey()))
                    throw new SafetensorsException(index + ": tensor '" + e.getKey() + "' is not in its shard '"
                            + e.getValue() + "'");
        } catch (RuntimeException e) {
            shards.values().forEach(SafetensorsFile::close);
            throw e;
        }
        return new ShardedCheckpoint(index, Collections.unmodifiableMap(shardOfName),
                Collections.unmodifiableMap(shards), totalSize);
    }

    /** The index file. */
    public Path index() { return index; }

    /** The shards by file name, in the order the index first names them. */
    public Map<String, SafetensorsFile> shards() { return shards; }

    /** The shard file name holding {@code name}. */
    public String shardOf(String name) {
        String shard = shardOfName.get(name);
        if (shard == null) throw new SafetensorsException(index + ": no tensor named '" + name + "'");
        return shard;
    }

    /** {@code metadata.total_size} of the index, when present (bytes of tensor data, as the writer declared it). */
    public OptionalLong declaredTotalSize() { return declaredTotalSize; }

    @Override public Set<String> names() { return shardOfName.keySet(); }

    @Override public boolean contains(String name) { return shardOfName.containsKey(name); }

    @Override public Tensor tensor(String name) { return shards.get(shardOf(name)).tensor(name); }

    @Override public SafetensorsFile.Entry entry(String name) { return shards.get(shardOf(name)).entry(name); }

    /** The {@code __metadata__} maps of all shards merged (later shards win on equal keys). */
    @Override
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        shards.values().forEach(f -> m.putAll(f.metadata()));
        return Collections.unmodifiableMap(m);
    }

    @Override public String source() { return index.getParent() == null ? index.toString() : index.getParent().toString(); }

    @Override public void close() { shards.values().forEach(SafetensorsFile::close); }
}
