package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;

/**
 * Intermediate activations with a known end of life: allocated from an arena the block closes when it returns,
 * so their memory goes back at once instead of waiting for the garbage collector (off-heap tensors from
 * {@link Tensor#zeros} are freed only when collected, and the heap sees little pressure during a VAE pass).
 * Arenas are shared because the kernels read and write from pool threads.
 */
final class Scratch {
    private Scratch() {}

    static Tensor tensor(Arena arena, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return new Tensor(DType.F32, shape, arena.allocate(Math.max(1, 4 * n), 64));
    }
}
