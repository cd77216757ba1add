package dev.omnigen2.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** One memory-mapped safetensors file. Opening reads only the header; tensors are zero-copy views. */
public final class SafetensorsFile implements TensorStore {
    /** Where one tensor lies in the file. */
    public record Entry(String name, DType dtype, int[] shape, long begin, long end) {}

    private final Path path;
    private final Arena arena;
    private final MemorySegment mapped;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapped, long dataStart,
                            Map<String, Entry> entries, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.mapped = mapped;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (size < 8) throw new SafetensorsException(path + ": file of " + size + " bytes is shorter than the 8-byte header length");
            long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (n < 0 || n > size - 8) throw new SafetensorsException(path + ": header length " + n + " runs past the end of the file (" + size + " bytes)");
            byte[] hdr = seg.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE);
            JsonNode root = new ObjectMapper().readTree(new String(hdr, StandardCharsets.UTF_8));
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> meta = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                JsonNode v = e.getValue();
                DType dt = DType.fromName(v.get("dtype").asText());
                JsonNode sh = v.get("shape");
                int[] shape = new int[sh.size()];
                for (int i = 0; i < shape.length; i++) shape[i] = sh.get(i).asInt();
                JsonNode off = v.get("data_offsets");
                entries.put(e.getKey(), new Entry(e.getKey(), dt, shape, off.get(0).asLong(), off.get(1).asLong()));
            }
            return new SafetensorsFile(path, arena, seg, 8 + n, entries, meta);
        } catch (IOException e) {
            arena.close();
            throw new SafetensorsException(path + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() { return path; }

    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new SafetensorsException(path + ": no tensor named '" + name + "'");
        return e;
    }

    @Override public Set<String> names() { return Collections.unmodifiableSet(entries.keySet()); }

    @Override public boolean contains(String name) { return entries.containsKey(name); }

    @Override
    public Tensor tensor(String name) {
        Entry e = entry(name);
        return new Tensor(e.dtype(), e.shape(), mapped.asSlice(dataStart + e.begin(), e.end() - e.begin()));
    }

    @Override public Map<String, String> metadata() { return Collections.unmodifiableMap(metadata); }

    @Override public String source() { return path.toString(); }

    @Override public void close() { arena.close(); }
}
