package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

import java.util.Arrays;

/**
 * Where the starting noise comes from.
 *
 * <ul>
 *   <li>{@link #TORCH} (the default): PyTorch's CPU generator ({@link TorchCpuGenerator}), so a seed
 *       gives the same starting latents as the Python pipeline run on CPU with
 *       {@code torch.Generator().manual_seed(seed)}.</li>
 *   <li>{@link #JAVA}: our own counter-based generator. Element {@code i}'s value depends only on
 *       {@code (seed, i)} — SplitMix64 hashes of the seed and the pair index feed a Box–Muller
 *       transform evaluated with {@link StrictMath} — so it is identical on every machine, JVM and
 *       thread count, and any part of a tensor can be generated independently.</li>
 * </ul>
 */
public enum Rng {
    TORCH {
        @Override public Tensor randn(long seed, int... shape) {
            return new TorchCpuGenerator(seed).randn(shape);
        }
    },
    JAVA {
        @Override public Tensor randn(long seed, int... shape) {
            float[] values = new float[count(shape)];
            long key = mix(seed ^ 0x6F6D6E6967656E32L);   // "omnigen2": separates seed 0 from counter 0
            for (int i = 0; i < values.length; i += 2) {
                long pair = i >>> 1;
                // u1 in (0, 1] keeps the logarithm finite; u2 in [0, 1)
                double u1 = ((mix(key + (2 * pair + 1) * GOLDEN) >>> 11) + 1) * 0x1.0p-53;
                double u2 = (mix(key + (2 * pair + 2) * GOLDEN) >>> 11) * 0x1.0p-53;
                double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
                double theta = 2.0 * StrictMath.PI * u2;
                values[i] = (float) (r * StrictMath.cos(theta));
                if (i + 1 < values.length) values[i + 1] = (float) (r * StrictMath.sin(theta));
            }
            return Tensor.of(values, shape);
        }
    };

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** Standard normal noise of the given shape (F32) for {@code seed}. */
    public abstract Tensor randn(long seed, int... shape);

    /** The choice by name ({@code torch} or {@code java}, any case), for command lines. */
    public static Rng parse(String name) {
        for (Rng r : values()) if (r.name().equalsIgnoreCase(name.trim())) return r;
        throw new IllegalArgumentException("unknown rng '" + name + "', expected one of "
                + Arrays.toString(values()).toLowerCase());
    }

    private static int count(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("noise tensor too large: " + n + " elements");
        return (int) n;
    }

    /** SplitMix64's output function (Stafford's mix 13). */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
