package dev.omnigen2.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector inner loops of {@link Linear}, compiled for one float species.
 *
 * <p>The Vector API only turns into machine instructions when the species is a compile-time constant; a species
 * held in a variable falls back to a boxed Java implementation about a hundred times slower. To keep one source
 * for every width (128, 256, 512 bits) and still let the user pick the width at run time, the template class
 * {@link VectorLinearKernels} reads its species from a {@code static final} field that is set from the class data
 * of a hidden class: {@link #of} defines one hidden copy of the template per species, and the JIT sees a constant.
 */
interface LinearKernels {
    /** Rows of the register tile of the packed kernels. */
    int MR = 6;

    /** Float lanes of the species; a packed panel is {@code 2 * lanes()} columns wide. */
    int lanes();

    /**
     * One MR × 2·lanes tile of {@code C += A·B} over {@code kc} steps: {@code a} holds the packed A panel
     * ([kc][MR] from {@code ao}), {@code b} the packed float B panel ([kc][2·lanes] from {@code bo}); C starts
     * from itself ({@code accumulate}), else from {@code bias[bi..]} broadcast over rows, else from zero; C rows
     * are {@code ldc} bytes apart in {@code c} from byte {@code co}.
     */
    void tileF32(float[] a, int ao, float[] b, int bo, int kc, MemorySegment c, long co, long ldc,
                 boolean accumulate, float[] bias, int bi);

    /** As {@link #tileF32} with a BF16 B panel: int lane l of step k holds column l (low half) and column lanes+l (high half). */
    void tileBF16(float[] a, int ao, int[] b, int bo, int kc, MemorySegment c, long co, long ldc,
                  boolean accumulate, float[] bias, int bi);

    /**
     * Dot products of {@code rows} (1 or 4) x rows with 4 F32 weight rows over {@code k} elements: x rows start at
     * {@code x[xo + r·xs]}, weight rows at byte offsets {@code w0..w3} of {@code w}; {@code out[r·4 + j]} receives the sums.
     */
    void dotF32(int rows, float[] x, int xo, int xs, MemorySegment w, long w0, long w1, long w2, long w3, int k, float[] out);

    /** As {@link #dotF32} with BF16 weight rows; x rows are packed by {@link #packBF16Row} (pairs split into even/odd lanes). */
    void dotBF16(int rows, float[] x, int xo, int xs, MemorySegment w, long w0, long w1, long w2, long w3, int k, float[] out);

    /**
     * Lays out one x row for {@link #dotBF16}: within each block of 2·lanes elements, the even elements first and the
     * odd ones after (matching the low and high halves of the BF16 pairs a 32-bit lane loads); the tail stays in place.
     */
    static void packBF16Row(int lanes, MemorySegment x, long xOffBytes, int k, float[] dst, int dOff) {
        int block = 2 * lanes, full = k - k % block;
        for (int c = 0; c < full; c += block)
            for (int l = 0; l < lanes; l++) {
                dst[dOff + c + l] = x.get(Tensor.F32, xOffBytes + 4L * (c + 2 * l));
                dst[dOff + c + lanes + l] = x.get(Tensor.F32, xOffBytes + 4L * (c + 2 * l + 1));
            }
        MemorySegment.copy(x, Tensor.F32, xOffBytes + 4L * full, dst, dOff + full, k - full);
    }

    /** The kernels for {@code species}, defined on first use. */
    static LinearKernels of(VectorSpecies<Float> species) {
        return Cache.BY_SPECIES.computeIfAbsent(species, Cache::define);
    }

    final class Cache {
        private static final ConcurrentHashMap<VectorSpecies<Float>, LinearKernels> BY_SPECIES = new ConcurrentHashMap<>();

        private Cache() {}

        private static LinearKernels define(VectorSpecies<Float> species) {
            try (InputStream in = VectorLinearKernels.class.getResourceAsStream("VectorLinearKernels.class")) {
                if (in == null) throw new IllegalStateException("VectorLinearKernels.class not found on the class path");
                byte[] bytes = in.readAllBytes();
                MethodHandles.Lookup hidden = MethodHandles.lookup()
                        .defineHiddenClassWithClassData(bytes, species, true);
                LinearKernels k = (LinearKernels) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class))
                        .invoke();
                warmUp(k);
                return k;
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the linear kernel template", e);
            } catch (Throwable e) {
                throw new IllegalStateException("cannot define linear kernels for " + species, e);
            }
        }

        /**
         * Calls the tile kernels many times on a tiny problem before any real one: the JIT then compiles them as
         * whole methods, with both {@code accumulate} branches and the bias branch taken. Without it the first real
         * call (thousands of K steps) got compiled on stack (OSR) mid-loop, and such compilations were seen running
         * the GEMM several times slower with boxed accumulators.
         */
        private static void warmUp(LinearKernels k) {
            int lanes = k.lanes(), kc = 4, cols = 2 * lanes;
            float[] a = new float[kc * MR], b = new float[kc * cols], bias = new float[cols];
            int[] packed = new int[kc * lanes];
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                MemorySegment c = arena.allocate(4L * MR * cols, 64);
                for (int i = 0; i < 12_000; i++) {
                    boolean accumulate = (i & 1) == 0;
                    float[] bi = (i & 2) == 0 ? null : bias;
                    k.tileF32(a, 0, b, 0, kc, c, 0, 4L * cols, accumulate, bi, 0);
                    k.tileBF16(a, 0, packed, 0, kc, c, 0, 4L * cols, accumulate, bi, 0);
                }
            }
        }
    }
}
