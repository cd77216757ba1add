package dev.omnigen2.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes safetensors files the reference implementation accepts: an 8-byte little-endian header length, a compact
 * JSON header ({@code __metadata__} first, then the tensors in the order they were added) padded with spaces to a
 * multiple of 8 bytes, then the tensors' bytes contiguous in header order.
 *
 * <p>Tensors are collected first and written by {@link #write(Path)} (one file) or {@link #writeSharded} (several
 * files and a {@code *.safetensors.index.json}). Data can come from bytes, a {@link Tensor}, a {@link Filler} that
 * writes straight into the mapped file, or be all zeros, which are not written at all: the file is sparse, so
 * synthetic checkpoints of many gigabytes cost neither memory nor disk.
 *
 * <p>A file is written to a temporary sibling and renamed into place, so a reader sees the old file or the
 * complete new one, never a partial one. Not thread-safe; use one writer per thread.
 */
public final class SafetensorsWriter {
    /** Produces a tensor's bytes directly into the (memory-mapped) file region it will occupy. */
    @FunctionalInterface
    public interface Filler {
        /** Writes exactly {@code target.byteSize()} bytes of little-endian tensor data into {@code target}. */
        void fill(MemorySegment target) throws IOException;
    }

    private sealed interface Source {}
    private record Bytes(MemorySegment bytes) implements Source {}
    private record Generated(Filler filler) implements Source {}
    private record Zeros() implements Source {}

    private record Pending(String name, SafetensorsDtype dtype, int[] shape, long bytes, Source source) {}

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Map<String, Pending> tensors = new LinkedHashMap<>();

    public SafetensorsWriter() {}

    /** Adds a {@code __metadata__} entry (written only when there is at least one). */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public SafetensorsWriter metadata(Map<String, String> entries) {
        metadata.putAll(entries);
        return this;
    }

    /** Adds a tensor whose data is {@code bytes} (copied). */
    public SafetensorsWriter add(String name, SafetensorsDtype dtype, int[] shape, byte[] bytes) {
        return add(name, dtype, shape, MemorySegment.ofArray(bytes.clone()));
    }

    public SafetensorsWriter add(String name, DType dtype, int[] shape, byte[] bytes) {
        return add(name, SafetensorsDtype.of(dtype), shape, bytes);
    }

    /** Adds a tensor whose data is {@code bytes} (not copied: it must stay readable until the file is written). */
    public SafetensorsWriter add(String name, SafetensorsDtype dtype, int[] shape, MemorySegment bytes) {
        long n = byteSize(name, dtype, shape);
        if (bytes.byteSize() != n)
            throw new IllegalArgumentException("tensor '" + name + "': " + bytes.byteSize() + " bytes given, "
                    + dtype + Arrays.toString(shape) + " needs " + n);
        return put(new Pending(name, dtype, shape.clone(), n, new Bytes(bytes)));
    }

    /** Adds a tensor with the dtype, shape and data of {@code t} (not copied: it must stay readable until written). */
    public SafetensorsWriter add(String name, Tensor t) {
        return add(name, SafetensorsDtype.of(t.dtype()), t.shape(), t.data().asSlice(0, t.byteSize()));
    }

    /** Adds a tensor whose bytes {@code filler} writes into the file when it is written (nothing held in memory). */
    public SafetensorsWriter add(String name, SafetensorsDtype dtype, int[] shape, Filler filler) {
        return put(new Pending(name, dtype, shape.clone(), byteSize(name, dtype, shape), new Generated(filler)));
    }

    /** Adds an all-zero tensor, left as a hole in a sparse file. */
    public SafetensorsWriter addZeros(String name, SafetensorsDtype dtype, int... shape) {
        return put(new Pending(name, dtype, shape.clone(), byteSize(name, dtype, shape), new Zeros()));
    }

    public SafetensorsWriter addZeros(String name, DType dtype, int... shape) {
        return addZeros(name, SafetensorsDtype.of(dtype), shape);
    }

    /** Bytes of tensor data added so far. */
    public long dataSize() {
        long n = 0;
        for (Pending p : tensors.values()) n += p.bytes();
        return n;
    }

    /** Writes all tensors into one file, replacing {@code file} atomically. */
    public void write(Path file) {
        writeFile(file, List.copyOf(tensors.values()));
    }

    /**
     * Writes the tensors into shards of at most {@code maxShardBytes} of data each (a larger tensor gets a shard of
     * its own), named {@code <base>-00001-of-0000N.safetensors}, and {@code <base>.safetensors.index.json} with
     * {@code metadata.total_size} and the {@code weight_map}, as Hugging Face checkpoints are laid out
     * ({@code base} is e.g. {@code model} or {@code diffusion_pytorch_model}). Every shard carries the metadata.
     *
     * @return the index file
     */
    public Path writeSharded(Path dir, String base, long maxShardBytes) {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("maxShardBytes must be > 0: " + maxShardBytes);
        List<List<Pending>> shards = new ArrayList<>();
        List<Pending> current = new ArrayList<>();
        long currentBytes = 0;
        for (Pending p : tensors.values()) {
            if (!current.isEmpty() && currentBytes + p.bytes() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(p);
            currentBytes += p.bytes();
        }
        if (!current.isEmpty() || shards.isEmpty()) shards.add(current);

        Map<String, String> weightMap = new TreeMap<>();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new SafetensorsException(dir + ": cannot create the folder: " + e, e);
        }
        for (int i = 0; i < shards.size(); i++) {
            String fileName = String.format("%s-%05d-of-%05d.safetensors", base, i + 1, shards.size());
            writeFile(dir.resolve(fileName), shards.get(i));
            for (Pending p : shards.get(i)) weightMap.put(p.name(), fileName);
        }
        ObjectNode index = Header.JSON.createObjectNode();
        index.putObject("metadata").put("total_size", dataSize());
        ObjectNode map = index.putObject("weight_map");
        weightMap.forEach(map::put);
        Path indexFile = dir.resolve(base + ".safetensors.index.json");
        try {
            byte[] json = (Header.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index) + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            replaceAtomically(indexFile, tmp -> Files.write(tmp, json, StandardOpenOption.WRITE));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return indexFile;
    }

    /** The header exactly as it will be written: JSON padded with spaces to a multiple of 8 bytes. */
    private byte[] header(List<Pending> entries) {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            json.append(quote(Header.METADATA_KEY)).append(":{");
            String sep = "";
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                json.append(sep).append(quote(m.getKey())).append(':').append(quote(m.getValue()));
                sep = ",";
            }
            json.append('}');
        }
        long offset = 0;
        String sep = metadata.isEmpty() ? "" : ",";
        for (Pending p : entries) {
            json.append(sep).append(quote(p.name())).append(":{\"dtype\":\"").append(p.dtype().name())
                    .append("\",\"shape\":[");
            for (int i = 0; i < p.shape().length; i++) json.append(i == 0 ? "" : ",").append(p.shape()[i]);
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + p.bytes()).append("]}");
            offset += p.bytes();
            sep = ",";
        }
        json.append('}');
        byte[] text = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        byte[] out = Arrays.copyOf(text, padded);
        Arrays.fill(out, text.length, padded, (byte) ' ');
        return out;
    }

    private void writeFile(Path file, List<Pending> entries) {
        byte[] header = header(entries);
        if (header.length > Header.MAX_HEADER_BYTES)
            throw new SafetensorsException(file + ": header of " + header.length + " bytes is above the limit of "
                    + Header.MAX_HEADER_BYTES);
        replaceAtomically(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(ch, len, 0);
                writeFully(ch, ByteBuffer.wrap(header), 8);
                long position = 8L + header.length;
                for (Pending p : entries) {
                    switch (p.source()) {
                        case Bytes b -> writeSegment(ch, b.bytes(), position);
                        case Generated g -> {
                            if (p.bytes() > 0) {
                                try (Arena arena = Arena.ofConfined()) {
                                    g.filler().fill(ch.map(FileChannel.MapMode.READ_WRITE, position, p.bytes(), arena));
                                }
                            }
                        }
                        case Zeros z -> { } // a hole: the file system reads it back as zeros
                    }
                    position += p.bytes();
                }
                if (ch.size() < position) writeFully(ch, ByteBuffer.allocate(1), position - 1);
                ch.force(false);
            }
        });
    }

    private interface TempWriter { void write(Path tmp) throws IOException; }

    private static void replaceAtomically(Path file, TempWriter writer) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        try {
            Files.createFile(tmp);
            writer.write(tmp);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (java.nio.file.AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new SafetensorsException(file + ": cannot be written: " + e, e);
        } finally {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) { // best effort: the temp file is hidden and named as such
            }
        }
    }

    private static void writeSegment(FileChannel ch, MemorySegment bytes, long position) throws IOException {
        final long chunk = 1L << 30;
        for (long done = 0; done < bytes.byteSize(); done += chunk) {
            long n = Math.min(chunk, bytes.byteSize() - done);
            writeFully(ch, bytes.asSlice(done, n).asByteBuffer(), position + done);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) position += ch.write(buffer, position);
    }

    private SafetensorsWriter put(Pending p) {
        if (p.name().equals(Header.METADATA_KEY))
            throw new IllegalArgumentException("'" + Header.METADATA_KEY + "' is reserved and cannot name a tensor");
        if (tensors.containsKey(p.name()))
            throw new IllegalArgumentException("tensor '" + p.name() + "' was already added");
        tensors.put(p.name(), p);
        return this;
    }

    private static long byteSize(String name, SafetensorsDtype dtype, int[] shape) {
        long elements = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in " + Arrays.toString(shape));
            elements = Math.multiplyExact(elements, (long) d);
        }
        long bytes = dtype.bytesFor(elements);
        if (bytes < 0)
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + Arrays.toString(shape)
                    + " does not fill a whole number of bytes");
        return bytes;
    }

    private static String quote(String s) {
        try {
            return Header.JSON.writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Names of the tensors added, in order. */
    public Set<String> names() { return new LinkedHashSet<>(tensors.keySet()); }
}
