package dev.omnigen2.models.synth;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.TensorStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A store that hands a model zero BF16 tensors of whatever shape it asks for, and records the names and shapes:
 * binding a model to it lists the tensors a checkpoint of that config must hold. The zeros are views of one
 * sparse, memory-mapped file, so even the real model's sizes cost no memory.
 */
final class ShapeRecorder implements TensorStore, Weights.ShapedSource {
    private static final long SPARSE_BYTES = 4L << 30;

    private final Map<String, int[]> shapes = new LinkedHashMap<>();
    private final Arena arena = Arena.ofShared();
    private final Path file;
    private final MemorySegment zeros;

    ShapeRecorder() {
        try {
            file = Files.createTempFile("omnigen2-shapes", ".bin");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[1]), SPARSE_BYTES - 1);
                zeros = ch.map(FileChannel.MapMode.READ_ONLY, 0, SPARSE_BYTES, arena);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a sparse scratch file for synthetic weights", e);
        }
    }

    /** Names and shapes in the order the model bound them. */
    Map<String, int[]> shapes() { return Collections.unmodifiableMap(shapes); }

    @Override
    public Tensor tensor(String name, int[] shape) {
        long n = 2;
        for (int d : shape) n *= d;
        if (n > SPARSE_BYTES) throw new IllegalStateException(name + " is larger than " + SPARSE_BYTES + " bytes");
        shapes.put(name, shape.clone());
        return new Tensor(DType.BF16, shape, zeros.asSlice(0, n));
    }

    @Override public Set<String> names() { return shapes.keySet(); }

    @Override public boolean contains(String name) { return false; }

    @Override public Tensor tensor(String name) { throw new IllegalStateException("synthetic weights need the expected shape of " + name); }

    @Override public Map<String, String> metadata() { return Map.of(); }

    @Override public String source() { return "synthetic weights"; }

    @Override
    public void close() {
        arena.close();
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // a leftover sparse temp file takes no space
        }
    }
}
