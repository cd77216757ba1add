package dev.omnigen2.runtime.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The cuBLAS v2 functions this backend uses, bound from libcublas with FFM downcalls. cuBLAS is column-major:
 * {@code C[m,n] = alpha·op(A)[m,k]·op(B)[k,n] + beta·C} with element (i, j) of a matrix at {@code i + j·ld}.
 * Every non-zero cublasStatus_t becomes a {@link CudaException} with the status's name.
 */
final class Cublas {
    static final int OP_N = 0, OP_T = 1;
    /** cudaDataType_t. */
    static final int R_32F = 0, R_16F = 2, R_16BF = 14;
    /** cublasComputeType_t CUBLAS_COMPUTE_32F: FP32 accumulation, no TF32 down-conversion. */
    static final int COMPUTE_32F = 68;
    /** cublasGemmAlgo_t CUBLAS_GEMM_DEFAULT. */
    static final int GEMM_DEFAULT = -1;

    private final MethodHandle create, destroy, setStream, gemmEx, sgemm;

    Cublas(Path library, Arena arena) {
        SymbolLookup lib = SymbolLookup.libraryLookup(library, arena);
        create = CudaRuntime.bind(lib, "cublasCreate_v2", ADDRESS);
        destroy = CudaRuntime.bind(lib, "cublasDestroy_v2", JAVA_LONG);
        setStream = CudaRuntime.bind(lib, "cublasSetStream_v2", JAVA_LONG, JAVA_LONG);
        gemmEx = CudaRuntime.bind(lib, "cublasGemmEx", JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT);
        sgemm = CudaRuntime.bind(lib, "cublasSgemm_v2", JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT,
                ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT);
    }

    /** The documented cublasStatus_t names. */
    static String statusText(int status) {
        return switch (status) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "unknown cuBLAS status";
        };
    }

    long create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(ADDRESS);
            check("cublasCreate_v2", CudaRuntime.call(create, h));
            return h.get(ADDRESS, 0).address();
        }
    }

    void destroy(long handle) { check("cublasDestroy_v2", CudaRuntime.call(destroy, handle)); }

    void setStream(long handle, long stream) { check("cublasSetStream_v2", CudaRuntime.call(setStream, handle, stream)); }

    /** cublasGemmEx with FP32 compute and float alpha/beta (host pointer mode, cuBLAS's default). */
    void gemmEx(long handle, int transa, int transb, int m, int n, int k, float alpha, long a, int aType, int lda,
                long b, int bType, int ldb, float beta, long c, int cType, int ldc) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment al = ar.allocateFrom(JAVA_FLOAT, alpha), be = ar.allocateFrom(JAVA_FLOAT, beta);
            check("cublasGemmEx", CudaRuntime.call(gemmEx, handle, transa, transb, m, n, k, al, a, aType, lda, b, bType,
                    ldb, be, c, cType, ldc, COMPUTE_32F, GEMM_DEFAULT));
        }
    }

    void sgemm(long handle, int transa, int transb, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
               float beta, long c, int ldc) {
        try (Arena ar = Arena.ofConfined()) {
            MemorySegment al = ar.allocateFrom(JAVA_FLOAT, alpha), be = ar.allocateFrom(JAVA_FLOAT, beta);
            check("cublasSgemm_v2", CudaRuntime.call(sgemm, handle, transa, transb, m, n, k, al, a, lda, b, ldb, be, c, ldc));
        }
    }

    private static void check(String function, int status) {
        if (status != 0) throw new CudaException(function, status, statusText(status));
    }
}
