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
    /**
     * Default rows of the packed kernels' register tile: 8 (16 accumulators) where the machine has 32 vector
     * registers (AVX-512, which is what a 512-bit preferred species means on x86, and every aarch64), else 6 (12
     * accumulators: with AVX2's 16 registers 16 accumulators would spill). {@code -Domnigen2.linear.tileRows=6|8}
     * overrides it.
     */
    int TILE_ROWS = Integer.getInteger("omnigen2.linear.tileRows",
            jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize() >= 512
                    || System.getProperty("os.arch", "").equals("aarch64") ? 8 : 6);

    /** Float lanes of the species; a packed panel is {@code 2 * lanes()} columns wide. */
    int lanes();

    /** Length of the {@code out} array of {@link #dotF32} / {@link #dotBF16}: 16 sums, then room for 16 vectors. */
    default int dotScratch() {
        return 16 + 16 * lanes();
    }

    /** Rows of the register tile (6 or 8): A panels are [kc][mr()]. */
    int mr();

    /**
     * One mr() × 2·lanes tile of {@code C += A·B} over {@code kc} steps: {@code a} holds the packed A panel
     * ([kc][mr()] from {@code ao}), {@code b} the packed float B panel ([kc][2·lanes] from {@code bo}); C starts
     * from itself ({@code accumulate}), else from {@code bias[bi..]} broadcast over rows, else from zero; C rows
     * are {@code ldc} bytes apart in {@code c} from byte {@code co}.
     */
    void tileF32(float[] a, int ao, float[] b, int bo, int kc, MemorySegment c, long co, long ldc,
                 boolean accumulate, float[] bias, int bi);

    /**
     * As {@link #tileF32} with a BF16 B panel of K-step pairs: [(kc+1)/2][2·lanes] ints, int c of pair t holds column
     * c at step 2t (low half) and 2t+1 (high half). For an odd kc the A panel has kc+1 steps: the last pair's high
     * halves and the extra A step must be zero (they add 0·0; the method stays small enough for C1 to compile it:
     * with a separate odd step, tier 3 gave up — "out of virtual registers" — and the tile ran interpreted).
     */
    void tileBF16(float[] a, int ao, int[] b, int bo, int kc, MemorySegment c, long co, long ldc,
                  boolean accumulate, float[] bias, int bi);

    /**
     * The transpose that lays out a BF16 weight panel: {@code dst[base + t·2·lanes + c] = src[c·stride + t]} for
     * t < pairs, c < 2·lanes (src holds 2·lanes rows of {@code pairs} ints, {@code stride} apart). Twin:
     * {@link PackedLinear#transposeScalar}.
     */
    void transposePanel(int[] src, int stride, int pairs, int[] dst, int base);

    /**
     * Dot products of {@code rows} (1 or 4) x rows with 4 F32 weight rows over {@code k} elements: x rows start at
     * {@code x[xo + r·xs]}, weight rows at byte offsets {@code w0..w3} of {@code w}; {@code out[r·4 + j]} receives the sums.
     * {@code out} holds at least {@link #dotScratch} floats: the part past the 16 sums is scratch.
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

    /** The kernels for {@code species} with the default tile rows {@link #TILE_ROWS}, defined on first use. */
    static LinearKernels of(VectorSpecies<Float> species) {
        return of(species, TILE_ROWS);
    }

    /** The kernels for {@code species} with a register tile of {@code rows} (6 or 8) rows. */
    static LinearKernels of(VectorSpecies<Float> species, int rows) {
        if (rows != 6 && rows != 8) throw new IllegalArgumentException("linear tile rows must be 6 or 8, got " + rows);
        return Cache.BY_SPECIES.computeIfAbsent(java.util.List.of(species, rows), Cache::define);
    }

    final class Cache {
        private static final ConcurrentHashMap<java.util.List<Object>, LinearKernels> BY_SPECIES = new ConcurrentHashMap<>();

        private Cache() {}

        private static LinearKernels define(java.util.List<Object> speciesAndRows) {
            try (InputStream in = VectorLinearKernels.class.getResourceAsStream("VectorLinearKernels.class")) {
                if (in == null) throw new IllegalStateException("VectorLinearKernels.class not found on the class path");
                byte[] bytes = in.readAllBytes();
                MethodHandles.Lookup hidden = MethodHandles.lookup()
                        .defineHiddenClassWithClassData(bytes, speciesAndRows, true);
                LinearKernels k = (LinearKernels) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class))
                        .invoke();
                warmUp(k);
                return k;
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the linear kernel template", e);
            } catch (Throwable e) {
                throw new IllegalStateException("cannot define linear kernels for " + speciesAndRows, e);
            }
        }

        /**
         * Calls the tile kernels many times on a tiny problem before any real one: the JIT then compiles them as
         * whole methods, with both {@code accumulate} branches and the bias branch taken. Without it the first real
         * call (thousands of K steps) got compiled on stack (OSR) mid-loop, and such compilations were seen running
         * the GEMM several times slower with boxed accumulators. The panel transpose is warmed the same way: run
         * interpreted (boxed vectors, ~100× slower) it made the first real call of a large product ~0.8 s slower.
         */
        private static void warmUp(LinearKernels k) {
            int lanes = k.lanes(), kc = 4, cols = 2 * lanes, mr = k.mr();
            float[] a = new float[kc * mr], b = new float[kc * cols], bias = new float[cols];
            int[] packed = new int[kc * lanes], rows = new int[cols * kc];
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                MemorySegment c = arena.allocate(4L * mr * cols, 64);
                for (int i = 0; i < 12_000; i++) {
                    boolean accumulate = (i & 1) == 0;
                    float[] bi = (i & 2) == 0 ? null : bias;
                    k.tileF32(a, 0, b, 0, kc, c, 0, 4L * cols, accumulate, bi, 0);
                    k.tileBF16(a, 0, packed, 0, kc, c, 0, 4L * cols, accumulate, bi, 0);
                    k.transposePanel(rows, kc, kc / 2, packed, 0);
                }
            }
        }
    }
}
