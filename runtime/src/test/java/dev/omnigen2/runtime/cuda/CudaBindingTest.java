package dev.omnigen2.runtime.cuda;

import dev.omnigen2.runtime.Half;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static dev.omnigen2.runtime.Tensor.F32;
import static dev.omnigen2.runtime.Tensor.I16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The raw binding against the stand-in: every cuBLAS transpose combination against a column-major reference written
 * here (so the stand-in is known to follow cuBLAS's conventions), and statuses turned into exceptions.
 */
class CudaBindingTest {
    private StandIn standIn;
    private CudaRuntime rt;
    private Cublas blas;

    @BeforeEach
    void bind() {
        standIn = StandIn.reset();
        CudaStatus s = StandIn.status();
        assertThat(s.available()).as(s.line()).isTrue();
        CudaStatus.Bindings b = CudaStatus.bind(s.libraries());
        rt = b.runtime();
        blas = b.blas();
    }

    /** Column-major reference: C[m,n] = op(A)·op(B), element (i,j) at i + j·ld. */
    private static float[] reference(boolean ta, boolean tb, int m, int n, int k, float[] a, int lda, float[] b, int ldb, int ldc) {
        float[] c = new float[ldc * n];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double acc = 0;
                for (int p = 0; p < k; p++) acc += (double) a[ta ? p + i * lda : i + p * lda] * b[tb ? j + p * ldb : p + j * ldb];
                c[i + j * ldc] = (float) acc;
            }
        return c;
    }

    private long upload(float[] v, boolean bf16) {
        MemorySegment host = rt.mallocHost((long) v.length * 4);
        for (int i = 0; i < v.length; i++) {
            if (bf16) host.set(I16, i * 2L, Half.f32ToBf16(v[i]));
            else host.set(F32, i * 4L, v[i]);
        }
        long d = rt.malloc((long) v.length * 4);
        rt.memcpy(d, host.address(), (long) v.length * (bf16 ? 2 : 4), CudaRuntime.HOST_TO_DEVICE);
        rt.freeHost(host);
        return d;
    }

    private float[] download(long d, int count) {
        MemorySegment host = rt.mallocHost(count * 4L);
        rt.memcpy(host.address(), d, count * 4L, CudaRuntime.DEVICE_TO_HOST);
        float[] out = host.toArray(F32);
        rt.freeHost(host);
        return out;
    }

    @Test
    void everyTransposeCombinationFollowsColumnMajorSemanticsForF32AndBf16() {
        Random rnd = new Random(1);
        int m = 5, n = 3, k = 7;
        for (boolean bf16 : new boolean[] {false, true})
            for (boolean ta : new boolean[] {false, true})
                for (boolean tb : new boolean[] {false, true}) {
                    int lda = (ta ? k : m) + 2, ldb = (tb ? n : k) + 1, ldc = m + 3;  // padded leading dimensions
                    float[] a = new float[lda * (ta ? m : k)], b = new float[ldb * (tb ? k : n)];
                    for (int i = 0; i < a.length; i++) a[i] = bf16 ? Half.bf16ToF32(Half.f32ToBf16(rnd.nextFloat() - .5f)) : rnd.nextFloat() - .5f;
                    for (int i = 0; i < b.length; i++) b[i] = bf16 ? Half.bf16ToF32(Half.f32ToBf16(rnd.nextFloat() - .5f)) : rnd.nextFloat() - .5f;
                    long da = upload(a, bf16), db = upload(b, bf16), dc = rt.malloc((long) ldc * n * 4);
                    long h = blas.create();
                    int opA = ta ? Cublas.OP_T : Cublas.OP_N, opB = tb ? Cublas.OP_T : Cublas.OP_N;
                    if (bf16) blas.gemmEx(h, opA, opB, m, n, k, 1f, da, Cublas.R_16BF, lda, db, Cublas.R_16BF, ldb, 0f, dc, Cublas.R_32F, ldc);
                    else blas.sgemm(h, opA, opB, m, n, k, 1f, da, lda, db, ldb, 0f, dc, ldc);
                    float[] c = download(dc, ldc * n);
                    float[] r = reference(ta, tb, m, n, k, a, lda, b, ldb, ldc);
                    for (int j = 0; j < n; j++)
                        for (int i = 0; i < m; i++)
                            assertThat(c[i + j * ldc]).as("bf16=%s ta=%s tb=%s (%d,%d)", bf16, ta, tb, i, j)
                                    .isCloseTo(r[i + j * ldc], org.assertj.core.data.Offset.offset(1e-5f));
                    blas.destroy(h);
                    rt.free(da);
                    rt.free(db);
                    rt.free(dc);
                }
        assertThat(standIn.liveDevice()).isZero();
        assertThat(standIn.liveHost()).isZero();
        assertThat(standIn.liveHandles()).isZero();
    }

    @Test
    void badLeadingDimensionIsInvalidValueNamingTheFunction() {
        long h = blas.create();
        long d = rt.malloc(1024);
        try {
            assertThatThrownBy(() -> blas.gemmEx(h, Cublas.OP_T, Cublas.OP_N, 4, 4, 8, 1f, d, Cublas.R_16BF, 4, d,
                    Cublas.R_16BF, 8, 0f, d, Cublas.R_32F, 4))
                    .isInstanceOfSatisfying(CudaException.class, e -> {
                        assertThat(e.function()).isEqualTo("cublasGemmEx");
                        assertThat(e.status()).isEqualTo(7);
                        assertThat(e.getMessage()).contains("cublasGemmEx").contains("CUBLAS_STATUS_INVALID_VALUE");
                    });
            assertThatThrownBy(() -> blas.sgemm(h, Cublas.OP_N, Cublas.OP_N, 4, 4, 4, 1f, d, 4, d, 4, 0f, d, 2))
                    .isInstanceOf(CudaException.class).hasMessageContaining("cublasSgemm_v2").hasMessageContaining("CUBLAS_STATUS_INVALID_VALUE");
            assertThatThrownBy(() -> blas.gemmEx(h, Cublas.OP_N, Cublas.OP_N, 2, 2, 2, 1f, d, Cublas.R_16BF, 2, d,
                    Cublas.R_32F, 2, 0f, d, Cublas.R_32F, 2))
                    .isInstanceOf(CudaException.class).hasMessageContaining("CUBLAS_STATUS_NOT_SUPPORTED");
        } finally {
            rt.free(d);
            blas.destroy(h);
        }
        assertThatThrownBy(() -> blas.destroy(h)).isInstanceOf(CudaException.class)
                .hasMessageContaining("cublasDestroy_v2").hasMessageContaining("CUBLAS_STATUS_NOT_INITIALIZED");
    }

    @Test
    void allocationFailureIsOutOfMemoryWithTheRuntimesText() {
        standIn.failMallocAfter(0);
        assertThatThrownBy(() -> rt.malloc(64)).isInstanceOfSatisfying(CudaException.class, e -> {
            assertThat(e.function()).isEqualTo("cudaMalloc");
            assertThat(e.status()).isEqualTo(2);
            assertThat(e.statusText()).isEqualTo("out of memory");
            assertThat(e.isOutOfMemory()).isTrue();
        });
        standIn.setDeviceMemory(100);
        assertThatThrownBy(() -> rt.malloc(101)).isInstanceOf(CudaException.class).hasMessage("cudaMalloc failed: out of memory (status 2)");
        assertThat(rt.memGetInfo()).containsExactly(100, 100);
        assertThatThrownBy(() -> rt.setDevice(3)).isInstanceOf(CudaException.class).hasMessageContaining("cudaSetDevice")
                .hasMessageContaining("invalid device ordinal");
    }

    @Test
    void withoutACompilerTheStandInBuildFailsLoudlyNotSilently(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        assertThatThrownBy(() -> StandIn.build("no-such-gcc-omnigen2", tmp, "cudart_standin.c", "libcudart.so.12"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("no-such-gcc-omnigen2 is required")
                .hasMessageContaining("install gcc");
    }

    @Test
    void noDeviceMakesAnUnavailableStatusWithTheReason() {
        standIn.setDeviceCount(0);
        CudaStatus s = StandIn.status();
        assertThat(s.available()).isFalse();
        assertThat(s.line()).contains("cudaGetDeviceCount").contains("no CUDA-capable device is detected");
        standIn.setDeviceCount(2);
        assertThat(StandIn.status().deviceCount()).isEqualTo(2);
        assertThat(StandIn.status().line()).startsWith("CUDA 12: 2 device(s)");
    }
}
