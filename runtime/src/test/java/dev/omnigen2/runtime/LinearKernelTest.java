package dev.omnigen2.runtime;

import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The vector linear kernels against the scalar twin, for every weight dtype, vector width and awkward shape. */
class LinearKernelTest {
    private static final double TOL = 2e-5;
    private static final List<DType> WEIGHT_TYPES = List.of(DType.F32, DType.BF16, DType.F16);

    /** {M, K, N}: few and many rows, vector tails, K across several KC blocks, N across NC; each through both paths. */
    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 7, 5}, {1, 100, 33}, {1, 67, 130}, {2, 33, 9}, {3, 64, 17},
            {4, 31, 4}, {5, 129, 7}, {9, 300, 21}, {64, 65, 66},
            {65, 1, 3}, {65, 17, 31}, {70, 257, 33}, {100, 33, 65}, {200, 520, 47}, {197, 40, 100},
            {70, 3, 4100}, {300, 1030, 40},
            {1, 40, 600}, {3, 33, 530}, {4, 19, 263},  // decode: several groups of weight rows, ragged last group
    };

    private static Tensor run(Tensor x, Tensor w, Tensor b, Linear.Path path) {
        Tensor y = Tensor.zeros(x.size(0), w.size(0));
        Linear.forward(x, w, b, y, path);
        return y;
    }

    @Test
    void everyDtypeWidthAndShapeMatchesTheScalarTwin() {
        for (DType dt : WEIGHT_TYPES)
            for (int[] s : SHAPES) {
                int m = s[0], k = s[1], n = s[2];
                long seed = 31L * m + 7L * k + n + dt.ordinal();
                Tensor x = KernelCheck.random(DType.F32, seed, m, k);
                Tensor w = KernelCheck.random(dt, seed + 1, n, k);
                Tensor b = KernelCheck.random(dt, seed + 2, n);
                Tensor ref = Tensor.zeros(m, n), refB = Tensor.zeros(m, n);
                Linear.scalar(x, w, null, ref);
                Linear.scalar(x, w, b, refB);
                KernelCheck.forEachSpecies(sp -> {
                    for (Linear.Path path : Linear.Path.values()) {
                        String what = dt + " weights, " + sp + ", " + path + ", M=" + m + " K=" + k + " N=" + n;
                        KernelCheck.assertClose(what, run(x, w, null, path), ref, TOL);
                        KernelCheck.assertClose(what + " with bias", run(x, w, b, path), refB, TOL);
                    }
                });
            }
    }

    @Test
    void threadCountDoesNotChangeABit() {
        int[][] shapes = {{1, 300, 77}, {2, 70, 700}, {13, 97, 50}, {203, 270, 70}};
        for (DType dt : WEIGHT_TYPES)
            for (int[] s : shapes) {
                Tensor x = KernelCheck.random(DType.F32, 1, s[0], s[1]);
                Tensor w = KernelCheck.random(dt, 2, s[2], s[1]);
                Tensor b = KernelCheck.random(DType.F32, 3, s[2]);
                for (Linear.Path path : Linear.Path.values()) {
                    Tensor[] y = new Tensor[4];
                    for (int t = 1; t <= 3; t++) {
                        int threads = t;
                        KernelCheck.withThreads(threads, () -> y[threads] = run(x, w, b, path));
                    }
                    String what = dt + " " + path + " M=" + s[0] + " K=" + s[1] + " N=" + s[2];
                    KernelCheck.assertBitIdentical(what + ": 2 vs 1 threads", y[2], y[1]);
                    KernelCheck.assertBitIdentical(what + ": 3 vs 1 threads", y[3], y[1]);
                }
            }
    }

    @Test
    void decodeTaskSizeChangesNoBit() {
        // Decode tasks are sized in weight bytes (1 MiB): the test shapes fit one task, so force tiny tasks
        // (several groups, ragged last group, groups of 4 and of 8 rows) and compare with the default grouping.
        int[][] shapes = {{1, 40, 600}, {3, 33, 530}, {4, 19, 263}, {1, 300, 77}, {2, 70, 70}};
        long before = StreamedLinear.decodeGroupBytes;
        for (DType dt : WEIGHT_TYPES)
            for (int[] s : shapes) {
                int m = s[0], k = s[1], n = s[2];
                Tensor x = KernelCheck.random(DType.F32, 70 + m, m, k);
                Tensor w = KernelCheck.random(dt, 71, n, k);
                Tensor b = KernelCheck.random(DType.F32, 72, n);
                Tensor ref = Tensor.zeros(m, n);
                Linear.scalar(x, w, b, ref);
                KernelCheck.forEachSpecies(sp -> {
                    Tensor whole = run(x, w, b, Linear.Path.STREAMED);
                    try {
                        for (long bytes : new long[] {1, 8L * k * dt.byteSize(), 12L * k * dt.byteSize()}) {
                            StreamedLinear.decodeGroupBytes = bytes;
                            for (int t = 1; t <= 3; t++) {
                                int threads = t;
                                String what = dt + " " + sp + " M=" + m + " K=" + k + " N=" + n + ", " + bytes + "-byte tasks, " + t + " threads";
                                KernelCheck.withThreads(threads, () ->
                                        KernelCheck.assertBitIdentical(what, run(x, w, b, Linear.Path.STREAMED), whole));
                            }
                        }
                    } finally {
                        StreamedLinear.decodeGroupBytes = before;
                    }
                    KernelCheck.assertClose(dt + " " + sp + " vs scalar", whole, ref, TOL);
                });
            }
    }

    @Test
    void productsOfOneXTogetherEqualEachAloneBitForBit() {
        // q/k/v-like (different N, biases, one of them small) and gate/up-like, for decode rows and beyond the
        // streamed threshold; mixed dtypes in one call; every width and 1-3 threads.
        int[][] shapes = {{1, 300, 0}, {3, 67, 0}, {4, 130, 0}, {5, 64, 0}, {Linear.STREAMED_MAX_ROWS + 3, 40, 0}};
        int[] ns = {600, 77, 77, 260};
        for (int[] s : shapes) {
            int m = s[0], k = s[1];
            Tensor x = KernelCheck.random(DType.F32, 40 + m, m, k);
            Tensor[] ws = new Tensor[ns.length], bs = new Tensor[ns.length];
            for (int i = 0; i < ns.length; i++) {
                ws[i] = KernelCheck.random(WEIGHT_TYPES.get(i % WEIGHT_TYPES.size()), 50 + i, ns[i], k);
                bs[i] = i == 3 ? null : KernelCheck.random(DType.F32, 60 + i, ns[i]);
            }
            KernelCheck.forEachSpecies(sp -> {
                for (int t = 1; t <= 3; t++) {
                    int threads = t;
                    KernelCheck.withThreads(threads, () -> {
                        Tensor[] together = Linear.forwardAll(x, ws, bs);
                        Tensor[] noBias = Linear.forwardAll(x, ws, null);
                        for (int i = 0; i < ws.length; i++) {
                            String what = sp + ", " + threads + " threads, M=" + m + " K=" + k + " product " + i + " (" + ws[i].dtype() + ")";
                            KernelCheck.assertBitIdentical(what, together[i], Linear.forward(x, ws[i], bs[i]));
                            KernelCheck.assertBitIdentical(what + " no bias", noBias[i], Linear.forward(x, ws[i], null));
                        }
                    });
                }
            });
        }
        assertThatThrownBy(() -> Linear.forwardAll(Tensor.zeros(1, 3), new Tensor[] {Tensor.zeros(2, 3)}, new Tensor[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("biases");
        assertThatThrownBy(() -> Linear.forwardAll(Tensor.zeros(1, 3), new Tensor[] {Tensor.zeros(2, 3), Tensor.zeros(2, 4)}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight");
    }

    @Test
    void packedPathCrossesEveryBlockBoundary() {
        // Tiny blocks: several K passes (Y reloaded; 33 steps each, so odd BF16 pairs), several row blocks (24 and
        // 23 rows), edge tiles everywhere; both register tiles (6 and 8 rows), bit-identical to each other and
        // to one block of all rows.
        PackedLinear.Blocking tiny = new PackedLinear.Blocking(40, 20);
        PackedLinear.Blocking oneBlock = new PackedLinear.Blocking(40, 1000);
        int m = 47, k = 130, n = 75;
        for (DType dt : WEIGHT_TYPES) {
            Tensor x = KernelCheck.random(DType.F32, 11, m, k);
            Tensor w = KernelCheck.random(dt, 12, n, k);
            Tensor b = KernelCheck.random(DType.F32, 13, n);
            Tensor ref = Tensor.zeros(m, n);
            Linear.scalar(x, w, b, ref);
            KernelCheck.forEachSpecies(sp -> {
                if (Vectors.scalar()) return;
                Tensor six = null;
                for (int rows : new int[] {6, 8}) {
                    LinearKernels kern = LinearKernels.of(Vectors.floats(), rows);
                    String what = dt + " " + sp + " tile rows " + rows + " tiny blocks";
                    Tensor y = Tensor.zeros(m, n);
                    PackedLinear.run(kern, x.data(), w, Linear.biasArray(b, n, 2 * kern.lanes()), y.data(), m, k, n, tiny);
                    KernelCheck.assertClose(what, y, ref, TOL);
                    Tensor whole = Tensor.zeros(m, n);
                    PackedLinear.run(kern, x.data(), w, Linear.biasArray(b, n, 2 * kern.lanes()), whole.data(), m, k, n, oneBlock);
                    KernelCheck.assertBitIdentical(what + ", one row block", whole, y);
                    // Every output is one tile row's K sum in the same order whatever the tile height.
                    if (six != null) KernelCheck.assertBitIdentical(what + " vs 6 rows", y, six);
                    six = y;
                }
            });
        }
    }

    @Test
    void panelTransposeMatchesItsScalarTwin() {
        java.util.Random r = new java.util.Random(21);
        KernelCheck.forEachSpecies(sp -> {
            if (Vectors.scalar()) return;
            LinearKernels kern = LinearKernels.of(Vectors.floats());
            int nr = 2 * kern.lanes();
            for (int pairs : new int[] {1, 7, 64, 65, 200}) {
                int stride = pairs + 3;
                int[] src = r.ints(nr * stride).toArray();
                int[] vec = new int[5 + pairs * nr], ref = new int[5 + pairs * nr];
                kern.transposePanel(src, stride, pairs, vec, 5);
                PackedLinear.transposeScalar(src, stride, pairs, nr, ref, 5);
                assertThat(vec).as(sp + " pairs " + pairs).containsExactly(ref);
                if (pairs > 1) assertThat(ref[5 + nr + 1]).isEqualTo(src[stride + 1]);
            }
        });
    }

    @Test
    void leadingBatchDimensionsAreRows() {
        Tensor x = KernelCheck.random(DType.F32, 5, 2, 40, 24);
        Tensor w = KernelCheck.random(DType.BF16, 6, 10, 24);
        Tensor y = Linear.forward(x, w, null);
        assertThat(y.shape()).containsExactly(2, 40, 10);
        Tensor ref = Tensor.zeros(2, 40, 10);
        Linear.scalar(x, w, null, ref);
        KernelCheck.assertClose("batched", y, ref, TOL);
    }

    @Test
    void scalarTwinComputesTheProduct() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor w = Tensor.of(new float[] {1, 0, -1, 0.5f, 0.5f, 0.5f}, 2, 3);
        Tensor b = Tensor.of(new float[] {10, 20}, 2);
        Tensor y = Tensor.zeros(2, 2);
        Linear.scalar(x, w, b, y);
        assertThat(y.toFloatArray()).containsExactly(8, 23, 8, 27.5f);
    }

    @Test
    void badOperandsAreNamed() {
        Tensor x = Tensor.zeros(2, 3);
        assertThatThrownBy(() -> Linear.forward(x, Tensor.zeros(4, 5), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight");
        assertThatThrownBy(() -> Linear.forward(x, Tensor.zeros(4, 3), Tensor.zeros(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias");
        assertThatThrownBy(() -> Linear.forward(x, Tensor.allocate(DType.I32, 4, 3), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("I32");
        assertThatThrownBy(() -> Linear.forward(x, Tensor.zeros(4, 3), null, Tensor.zeros(2, 5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("output");
    }
}
