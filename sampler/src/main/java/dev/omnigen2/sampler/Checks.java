package dev.omnigen2.sampler;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.util.Arrays;

/** Argument checks shared by the sampler's classes. */
final class Checks {
    private Checks() {}

    static void sameShapeF32(Tensor velocity, Tensor latents) {
        if (latents.dtype() != DType.F32)
            throw new IllegalArgumentException("latents must be F32, got " + latents);
        if (!Arrays.equals(velocity.shape(), latents.shape()))
            throw new IllegalArgumentException("velocity " + velocity + " does not match latents " + latents);
    }

    static void stepIndex(int i, int steps) {
        if (i < 0 || i >= steps)
            throw new IndexOutOfBoundsException("step " + i + " of a run of " + steps + " steps");
    }
}
