package dev.omnigen2.sampler;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * TeaCache's change measure over whole tensors (any input float dtype; F32 read straight from its segment).
 * Elementwise arithmetic comes from the runtime's {@link dev.omnigen2.runtime.Elementwise}.
 */
final class RelativeL1 {
    private RelativeL1() {}

    private static MemorySegment f32(Tensor t) {
        return (t.dtype() == DType.F32 ? t : t.toF32()).data();
    }

    private static void checkSize(Tensor a, Tensor b) {
        if (a.numel() != b.numel()) throw new IllegalArgumentException("size mismatch: " + a + " vs " + b);
    }

    /** {@code mean|a − b| / mean|b|}, summed in double. */
    static double of(Tensor a, Tensor b) {
        checkSize(a, b);
        MemorySegment x = f32(a), y = f32(b);
        double diff = 0, base = 0;
        for (long k = 0, n = a.numel(); k < n; k++) {
            float yk = y.getAtIndex(Tensor.F32, k);
            diff += Math.abs(x.getAtIndex(Tensor.F32, k) - yk);
            base += Math.abs(yk);
        }
        return diff / base;
    }
}
