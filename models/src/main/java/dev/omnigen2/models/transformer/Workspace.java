package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * Named F32 scratch buffers that grow to the largest size asked for and are then reused, so the
 * 30-odd blocks of one forward (and the forwards of one sampling run) share the same activation memory.
 * Contents are not cleared: every user overwrites what it reads.
 */
final class Workspace {
    private final Map<String, MemorySegment> buffers = new HashMap<>();

    Tensor f32(String name, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        long bytes = n * Float.BYTES;
        MemorySegment s = buffers.get(name);
        if (s == null || s.byteSize() < bytes) {
            s = Arena.ofAuto().allocate(Math.max(bytes, 64), 64);
            buffers.put(name, s);
        }
        return new Tensor(DType.F32, shape, s.asSlice(0, bytes));
    }
}
