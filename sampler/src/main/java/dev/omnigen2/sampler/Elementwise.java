package dev.omnigen2.sampler;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * The few whole-tensor float32 operations the sampler needs (new tensors, any input float dtype).
 * F32 inputs are read straight from their segments; other dtypes are converted first.
 */
final class Elementwise {
    private Elementwise() {}

    private static MemorySegment f32(Tensor t) {
        return (t.dtype() == DType.F32 ? t : t.toF32()).data();
    }

    private static void checkSize(Tensor a, Tensor b) {
        if (a.numel() != b.numel()) throw new IllegalArgumentException("size mismatch: " + a + " vs " + b);
    }

    /** {@code a + b}. */
    static Tensor add(Tensor a, Tensor b) {
        checkSize(a, b);
        MemorySegment x = f32(a), y = f32(b);
        Tensor out = Tensor.zeros(a.shape());
        MemorySegment o = out.data();
        for (long k = 0, n = a.numel(); k < n; k++)
            o.setAtIndex(Tensor.F32, k, x.getAtIndex(Tensor.F32, k) + y.getAtIndex(Tensor.F32, k));
        return out;
    }

    /** {@code a − b}. */
    static Tensor subtract(Tensor a, Tensor b) {
        checkSize(a, b);
        MemorySegment x = f32(a), y = f32(b);
        Tensor out = Tensor.zeros(a.shape());
        MemorySegment o = out.data();
        for (long k = 0, n = a.numel(); k < n; k++)
            o.setAtIndex(Tensor.F32, k, x.getAtIndex(Tensor.F32, k) - y.getAtIndex(Tensor.F32, k));
        return out;
    }

    /** {@code mean|a − b| / mean|b|}, summed in double. */
    static double relativeL1(Tensor a, Tensor b) {
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
