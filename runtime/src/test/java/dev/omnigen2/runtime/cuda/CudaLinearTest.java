package dev.omnigen2.runtime.cuda;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Half;
import dev.omnigen2.runtime.Linear;
import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * CudaLinear through the FFM binding on the CPU stand-in: results against the CPU kernel {@link Linear#forward},
 * the weight cache and its LRU eviction, error propagation, and that every allocation is freed.
 */
class CudaLinearTest {
    private StandIn standIn;
    private final Random rnd = new Random(42);

    @BeforeEach
    void reset() { standIn = StandIn.reset(); }

    @AfterEach
    void everythingFreed() {
        assertThat(standIn.liveDevice()).as("device allocations left").isZero();
        assertThat(standIn.liveHost()).as("pinned host allocations left").isZero();
        assertThat(standIn.liveStreams()).as("streams left").isZero();
        assertThat(standIn.liveHandles()).as("cuBLAS handles left").isZero();
    }

    private CudaLinear open(CudaLinear.Precision p, long budget) {
        return CudaLinear.open(StandIn.status(), new CudaLinear.Options(p, budget, 0));
    }

    private Tensor random(DType dtype, int... shape) {
        Tensor t = Tensor.allocate(dtype, shape);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) rnd.nextGaussian());
        return t;
    }

    private static Tensor roundedToBf16(Tensor x) {
        Tensor r = Tensor.zeros(x.shape());
        for (long i = 0; i < x.numel(); i++) r.setFloat(i, Half.bf16ToF32(Half.f32ToBf16(x.getFloat(i))));
        return r;
    }

    /** |got − want| ≤ rel·Σ|x·w| + 1e-6 for every output, the scale of a dot product's rounding error. */
    private static void assertClose(String what, Tensor got, Tensor want, Tensor x, Tensor w, double rel) {
        int k = x.size(-1), n = w.size(0);
        long m = x.numel() / k;
        for (long i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double scale = 0;
                for (int t = 0; t < k; t++) scale += Math.abs(x.getFloat(i * k + t) * w.getFloat((long) j * k + t));
                double g = got.getFloat(i * n + j), e = want.getFloat(i * n + j);
                if (Math.abs(g - e) > rel * scale + 1e-6)
                    fail("%s: y[%d,%d] = %s, expected %s (bound %s)", what, i, j, g, e, rel * scale + 1e-6);
            }
    }

    /** (M, K, N) as the models use them: single-row decode and timestep products, odd sizes, multi-chunk M. */
    private static final int[][] SHAPES = {{1, 64, 48}, {1, 7, 1}, {7, 33, 19}, {3, 5, 1}, {16, 128, 24}, {600, 24, 16}};

    @Test
    void matchesTheCpuKernelForEveryShapeDtypeBiasAndPrecision() {
        for (CudaLinear.Precision p : CudaLinear.Precision.values()) {
            try (CudaLinear gpu = open(p, 0)) {
                assertThat(gpu.precision()).isEqualTo(p);
                for (int[] s : SHAPES)
                    for (DType wt : new DType[] {DType.F32, DType.BF16, DType.F16})
                        for (DType bt : new DType[] {null, DType.F32, DType.BF16}) {
                            int m = s[0], k = s[1], n = s[2];
                            String what = p + " M=" + m + " K=" + k + " N=" + n + " w=" + wt + " bias=" + bt;
                            Tensor x = random(DType.F32, m, k), w = random(wt, n, k), b = bt == null ? null : random(bt, n);
                            Tensor y = Tensor.zeros(m, n);
                            long before = standIn.gemmCalls();
                            gpu.linear(x, w, b, y);
                            assertThat(standIn.gemmCalls()).as(what + ": ran on the device").isGreaterThan(before);
                            if (p == CudaLinear.Precision.BF16 && wt == DType.BF16) {
                                // Exactly the CPU kernel on X rounded to BF16 (the documented choice) ...
                                assertClose(what + " vs CPU on bf16(X)", y, Linear.forward(roundedToBf16(x), w, b), x, w, 1e-5);
                                // ... and within BF16's rounding of X from the CPU kernel on the F32 X.
                                assertClose(what + " vs CPU", y, Linear.forward(x, w, b), x, w, 0x1p-8);
                            } else {
                                assertClose(what + " vs CPU", y, Linear.forward(x, w, b), x, w, 1e-5);
                            }
                        }
            }
        }
    }

    @Test
    void leadingBatchDimensionsFlattenIntoRows() {
        try (CudaLinear gpu = open(CudaLinear.Precision.BF16, 0)) {
            Tensor x = random(DType.F32, 2, 3, 40), w = random(DType.BF16, 24, 40), b = random(DType.F32, 24);
            Tensor y = Tensor.zeros(2, 3, 24);
            gpu.linear(x, w, b, y);
            assertClose("batched", y, Linear.forward(roundedToBf16(x), w, b), x, w, 1e-5);
        }
    }

    @Test
    void callsFromAnotherThreadUseTheSameDeviceCopy() throws Exception {
        try (CudaLinear gpu = open(CudaLinear.Precision.BF16, 0)) {
            Tensor x = random(DType.F32, 5, 24), w = random(DType.BF16, 7, 24), y = Tensor.zeros(5, 7);
            gpu.linear(x, w, null, y);
            Thread t = new Thread(() -> gpu.linear(x, w, null, y));
            t.start();
            t.join();
            assertThat(gpu.stats().uploads()).isEqualTo(1);
            assertThat(gpu.stats().gemmCalls()).isEqualTo(2);
            assertClose("other thread", y, Linear.forward(roundedToBf16(x), w, null), x, w, 1e-5);
        }
    }

    @Test
    void weightsAreUploadedOnceAndAgainWhenTheirMemoryChanges() {
        try (CudaLinear gpu = open(CudaLinear.Precision.BF16, 0)) {
            Tensor x = random(DType.F32, 4, 32), w = random(DType.BF16, 8, 32), y = Tensor.zeros(4, 8);
            gpu.linear(x, w, null, y);
            gpu.linear(random(DType.F32, 9, 32), w, null, Tensor.zeros(9, 8));
            assertThat(gpu.stats().uploads()).isEqualTo(1);
            assertThat(gpu.stats().residentWeights()).isEqualTo(1);
            // The same memory now holds other values (as a reused buffer would): the stale copy must not be used.
            for (long i = 0; i < w.numel(); i++) w.setFloat(i, -w.getFloat(i));
            gpu.linear(x, w, null, y);
            assertThat(gpu.stats().uploads()).isEqualTo(2);
            assertThat(gpu.stats().residentWeights()).isEqualTo(1);
            assertClose("after change", y, Linear.forward(roundedToBf16(x), w, null), x, w, 1e-5);
        }
    }

    @Test
    void weightsBeyondTheBudgetAreUploadedOnDemandLeastRecentlyUsedFirst() {
        List<Tensor> layers = new ArrayList<>();
        for (int i = 0; i < 4; i++) layers.add(random(DType.BF16, 64, 64));  // 8 KiB each on the device
        long activations = 2L << 20;  // X and Y buffers round up to 1 MiB each
        long budget = activations + 20_000;  // room for two layers
        try (CudaLinear gpu = open(CudaLinear.Precision.BF16, budget)) {
            Tensor x = random(DType.F32, 4, 64), y = Tensor.zeros(4, 64);
            for (int round = 0; round < 2; round++)
                for (Tensor w : layers) {
                    gpu.linear(x, w, null, y);
                    assertClose("layer", y, Linear.forward(roundedToBf16(x), w, null), x, w, 1e-5);
                    CudaLinear.Stats s = gpu.stats();
                    assertThat(s.residentWeights()).isLessThanOrEqualTo(2);
                    assertThat(s.residentBytes() + s.activationBytes()).isLessThanOrEqualTo(budget);
                    assertThat(standIn.deviceUsed()).isLessThanOrEqualTo(budget);
                }
            assertThat(gpu.stats().uploads()).isEqualTo(8);
            assertThat(gpu.stats().evictions()).isEqualTo(6);
            // The most recently used layer is still resident: using it again uploads nothing.
            gpu.linear(x, layers.get(3), null, y);
            assertThat(gpu.stats().uploads()).isEqualTo(8);
        }
    }

    @Test
    void outOfMemoryFromTheDriverEvictsAndRetries() {
        List<Tensor> layers = new ArrayList<>();
        for (int i = 0; i < 3; i++) layers.add(random(DType.F32, 64, 64));  // 16 KiB each
        try (CudaLinear gpu = open(CudaLinear.Precision.BF16, 1L << 30)) {  // a budget the device cannot honour
            standIn.setDeviceMemory((2L << 20) + 40_000);
            Tensor x = random(DType.F32, 4, 64), y = Tensor.zeros(4, 64);
            for (Tensor w : layers) {
                gpu.linear(x, w, null, y);
                assertClose("layer", y, Linear.forward(x, w, null), x, w, 1e-5);
            }
            assertThat(gpu.stats().evictions()).isGreaterThan(0);
            assertThat(gpu.stats().residentWeights()).isLessThanOrEqualTo(2);
        }
    }

    @Test
    void aLayerLargerThanTheDeviceIsAnOutOfMemoryErrorNamingCudaMalloc() {
        try (CudaLinear gpu = open(CudaLinear.Precision.BF16, 0)) {
            standIn.setDeviceMemory((2L << 20) + 1000);
            Tensor x = random(DType.F32, 2, 64);
            gpu.linear(x, random(DType.BF16, 4, 64), null, Tensor.zeros(2, 4));
            Tensor big = random(DType.BF16, 256, 64);  // 32 KiB
            assertThatThrownBy(() -> gpu.linear(x, big, null, Tensor.zeros(2, 256)))
                    .isInstanceOfSatisfying(CudaException.class, e -> {
                        assertThat(e.isOutOfMemory()).isTrue();
                        assertThat(e.function()).isEqualTo("cudaMalloc");
                        assertThat(e.getMessage()).contains("out of memory").contains("a weight of 32768 bytes");
                    });
            assertThat(gpu.stats().residentWeights()).isZero();  // the small one was evicted trying
        }
    }

    @Test
    void aFailedGemmIsAnExceptionAndTheBackendStaysUsable() {
        try (CudaLinear gpu = open(CudaLinear.Precision.BF16, 0)) {
            Tensor x = random(DType.F32, 3, 16), w = random(DType.BF16, 5, 16), y = Tensor.zeros(3, 5);
            standIn.failNextGemm(13);
            assertThatThrownBy(() -> gpu.linear(x, w, null, y)).isInstanceOfSatisfying(CudaException.class, e -> {
                assertThat(e.function()).isEqualTo("cublasGemmEx");
                assertThat(e.getMessage()).contains("CUBLAS_STATUS_EXECUTION_FAILED").contains("13");
            });
            gpu.linear(x, w, null, y);
            assertClose("after failure", y, Linear.forward(roundedToBf16(x), w, null), x, w, 1e-5);
            Tensor wf = random(DType.F32, 5, 16);
            standIn.failNextGemm(7);
            assertThatThrownBy(() -> gpu.linear(x, wf, null, y)).isInstanceOf(CudaException.class)
                    .hasMessageContaining("cublasSgemm_v2").hasMessageContaining("CUBLAS_STATUS_INVALID_VALUE");
        }
    }

    @Test
    void aFailedStartFreesWhatWasCreated() {
        standIn.setDeviceCount(1);
        assertThatThrownBy(() -> CudaLinear.open(StandIn.status(), new CudaLinear.Options(CudaLinear.Precision.BF16, 0, 4)))
                .isInstanceOf(CudaException.class).hasMessageContaining("cudaSetDevice");
        // everythingFreed() checks that nothing leaked
    }

    @Test
    void closeFreesEveryDeviceAndPinnedBufferTheStreamAndTheHandle() {
        CudaLinear gpu = open(CudaLinear.Precision.F32, 0);
        gpu.linear(random(DType.F32, 3, 8), random(DType.BF16, 4, 8), null, Tensor.zeros(3, 4));
        gpu.linear(random(DType.F32, 300, 8), random(DType.F16, 6, 8), null, Tensor.zeros(300, 6));
        assertThat(standIn.liveDevice()).isEqualTo(4);  // two weights, X and Y
        assertThat(standIn.liveHost()).isEqualTo(3);    // pinned X, Y and the widening stage
        assertThat(standIn.liveStreams()).isEqualTo(1);
        assertThat(standIn.liveHandles()).isEqualTo(1);
        gpu.close();
        gpu.close();
        assertThatThrownBy(() -> gpu.linear(random(DType.F32, 1, 8), random(DType.BF16, 4, 8), null, Tensor.zeros(1, 4)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void badArgumentsAreRejectedBeforeAnyNativeCall() {
        try (CudaLinear gpu = open(CudaLinear.Precision.BF16, 0)) {
            long before = standIn.gemmCalls();
            assertThatThrownBy(() -> gpu.linear(random(DType.F32, 2, 8), random(DType.BF16, 4, 9), null, Tensor.zeros(2, 4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight");
            assertThatThrownBy(() -> gpu.linear(random(DType.F32, 2, 8), random(DType.BF16, 4, 8), null, Tensor.zeros(2, 5)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("output");
            assertThatThrownBy(() -> gpu.linear(random(DType.BF16, 2, 8), random(DType.BF16, 4, 8), null, Tensor.zeros(2, 4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("x must be F32");
            assertThatThrownBy(() -> gpu.linear(random(DType.F32, 2, 8), random(DType.BF16, 4, 8), random(DType.F32, 3), Tensor.zeros(2, 4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bias");
            assertThat(standIn.gemmCalls()).isEqualTo(before);
            assertThat(CudaLinear.supports(DType.F8_E4M3)).isFalse();
        }
    }

    @Test
    void defaultBudgetIsFreeDeviceMemoryLessAReserve() {
        standIn.setDeviceMemory(4L << 30);
        try (CudaLinear gpu = open(CudaLinear.Precision.BF16, 0)) {
            assertThat(gpu.stats().budgetBytes()).isEqualTo((4L << 30) - (512L << 20));
        }
        assertThat(CudaLinear.Options.parseBytes("24g")).isEqualTo(24L << 30);
        assertThat(CudaLinear.Options.parseBytes("512m")).isEqualTo(512L << 20);
        assertThatThrownBy(() -> CudaLinear.Options.parseBytes("lots")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("omnigen2.cuda.memory");
    }
}
