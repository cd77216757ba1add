package dev.omnigen2.safetensors;

import dev.omnigen2.runtime.Tensor;

import java.util.Map;
import java.util.Set;

/** Named tensors backed by one safetensors file or a sharded checkpoint folder; safe for concurrent readers. */
public interface TensorStore extends AutoCloseable {
    /** Tensor names in a stable order (header order, shard by shard). */
    Set<String> names();

    boolean contains(String name);

    /** A zero-copy view of the named tensor in its stored dtype; throws naming the file when absent. */
    Tensor tensor(String name);

    /** The {@code __metadata__} string map (merged over shards), possibly empty. */
    Map<String, String> metadata();

    /**
     * Dtype, shape and byte range of the named tensor without touching its data. Stores backed by files override
     * this; the default derives it from {@link #tensor} with offsets [0, bytes).
     */
    default SafetensorsFile.Entry entry(String name) {
        Tensor t = tensor(name);
        return new SafetensorsFile.Entry(name, t.dtype(), t.shape(), 0, t.byteSize());
    }

    /** Where the tensors come from (file or folder), for messages. */
    String source();

    /**
     * Unmaps the files (idempotent). Look-ups afterwards throw {@link SafetensorsException}; a tensor view taken
     * before closing throws {@link IllegalStateException} when read afterwards (never a crash).
     */
    @Override
    void close();
}
