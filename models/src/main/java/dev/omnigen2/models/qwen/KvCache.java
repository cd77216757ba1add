package dev.omnigen2.models.qwen;

import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Keys (after RoPE) and values of every decoder layer for one sequence, sized once to the longest sequence it
 * will hold (prompt + new tokens), so decoding never reallocates.
 */
public final class KvCache {
    private final Tensor[] keys, values;
    private final int capacity;
    private int length;

    KvCache(int layers, int capacity, int kvDim) {
        if (capacity < 1) throw new IllegalArgumentException("KV cache capacity must be >= 1, got " + capacity);
        this.capacity = capacity;
        keys = new Tensor[layers];
        values = new Tensor[layers];
        for (int l = 0; l < layers; l++) {
            keys[l] = Tensor.zeros(capacity, kvDim);
            values[l] = Tensor.zeros(capacity, kvDim);
        }
    }

    /** Tokens already held (the offset of the next token). */
    public int length() { return length; }

    public int capacity() { return capacity; }

    /** Copies {@code k, v} [L, kvDim] of layer {@code layer} after the held tokens and returns all keys/values so far. */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        int add = k.size(0);
        if (length + add > capacity)
            throw new IllegalStateException("KV cache full: " + length + " + " + add + " tokens > capacity " + capacity);
        long row = (long) k.size(1) * Float.BYTES;
        MemorySegment.copy(k.data(), 0, keys[layer].data(), length * row, add * row);
        MemorySegment.copy(v.data(), 0, values[layer].data(), length * row, add * row);
        return new Tensor[] {keys[layer].slice0(0, length + add), values[layer].slice0(0, length + add)};
    }

    /** Marks {@code added} tokens as stored in every layer (after all layers appended them). */
    void advance(int added) { length += added; }
}
