/*
 * Stand-in for libcublas (v2 API), for tests on machines without a GPU. GEMM follows cuBLAS's documented
 * column-major semantics: C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, element (i,j) of a column-major
 * matrix X with leading dimension ld at X[i + j*ld]; op(X) = X (CUBLAS_OP_N) or Xᵀ (CUBLAS_OP_T). Argument checks
 * return the documented statuses (CUBLAS_STATUS_INVALID_VALUE = 7, NOT_SUPPORTED = 15, NOT_INITIALIZED = 1).
 * Accumulation is in double, so the result is the exact product of the given inputs up to one final rounding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef int cublasStatus_t;
enum { OK = 0, NOT_INITIALIZED = 1, INVALID_VALUE = 7, NOT_SUPPORTED = 15 };
enum { R_32F = 0, R_16F = 2, R_16BF = 14 };
enum { COMPUTE_32F = 68, COMPUTE_32F_FAST_TF32 = 77 };

#define MAGIC 0x5ca1ab1e
typedef struct { int magic; void *stream; } handle_t;

static long live_handles, gemm_calls;
static int fail_gemm_with = 0;   /* non-zero: the next GEMM returns this status */

void standin_blas_reset(void) { live_handles = 0; gemm_calls = 0; fail_gemm_with = 0; }
long standin_live_handles(void) { return live_handles; }
long standin_gemm_calls(void) { return gemm_calls; }
void standin_fail_next_gemm(int status) { fail_gemm_with = status; }

cublasStatus_t cublasCreate_v2(void **handle) {
    if (!handle) return INVALID_VALUE;
    handle_t *h = malloc(sizeof(handle_t));
    h->magic = MAGIC;
    h->stream = NULL;
    live_handles++;
    *handle = h;
    return OK;
}

cublasStatus_t cublasDestroy_v2(void *handle) {
    handle_t *h = handle;
    if (!h || h->magic != MAGIC) return NOT_INITIALIZED;
    h->magic = 0;
    free(h);
    live_handles--;
    return OK;
}

cublasStatus_t cublasSetStream_v2(void *handle, void *stream) {
    handle_t *h = handle;
    if (!h || h->magic != MAGIC) return NOT_INITIALIZED;
    h->stream = stream;
    return OK;
}

static double load(const void *p, int type, long idx) {
    switch (type) {
        case R_32F: return ((const float *) p)[idx];
        case R_16BF: {
            uint32_t bits = (uint32_t) ((const uint16_t *) p)[idx] << 16;
            float f;
            memcpy(&f, &bits, 4);
            return f;
        }
        case R_16F: return (double) ((const _Float16 *) p)[idx];
        default: return 0;
    }
}

static cublasStatus_t check(void *handle, int ta, int tb, int m, int n, int k, int lda, int ldb, int ldc) {
    handle_t *h = handle;
    if (!h || h->magic != MAGIC) return NOT_INITIALIZED;
    if (ta < 0 || ta > 2 || tb < 0 || tb > 2) return INVALID_VALUE;
    if (m < 0 || n < 0 || k < 0) return INVALID_VALUE;
    int rowsA = ta == 0 ? m : k, rowsB = tb == 0 ? k : n;
    if (lda < (rowsA > 1 ? rowsA : 1) || ldb < (rowsB > 1 ? rowsB : 1) || ldc < (m > 1 ? m : 1)) return INVALID_VALUE;
    return OK;
}

static void gemm(int ta, int tb, int m, int n, int k, double alpha, const void *A, int at, int lda,
                 const void *B, int bt, int ldb, double beta, void *C, int ct, int ldc) {
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < m; i++) {
            double acc = 0;
            for (int p = 0; p < k; p++) {
                long ia = ta == 0 ? i + (long) p * lda : p + (long) i * lda;
                long ib = tb == 0 ? p + (long) j * ldb : j + (long) p * ldb;
                acc += load(A, at, ia) * load(B, bt, ib);
            }
            long ic = i + (long) j * ldc;
            double old = beta == 0 ? 0 : load(C, ct, ic);
            ((float *) C)[ic] = (float) (alpha * acc + beta * old);
        }
    }
}

cublasStatus_t cublasSgemm_v2(void *handle, int transa, int transb, int m, int n, int k, const float *alpha,
                              const float *A, int lda, const float *B, int ldb, const float *beta, float *C, int ldc) {
    cublasStatus_t s = check(handle, transa, transb, m, n, k, lda, ldb, ldc);
    if (s != OK) return s;
    if (!alpha || !beta) return INVALID_VALUE;
    if (fail_gemm_with) { s = fail_gemm_with; fail_gemm_with = 0; return s; }
    gemm_calls++;
    gemm(transa, transb, m, n, k, *alpha, A, R_32F, lda, B, R_32F, ldb, *beta, C, R_32F, ldc);
    return OK;
}

cublasStatus_t cublasGemmEx(void *handle, int transa, int transb, int m, int n, int k, const void *alpha,
                            const void *A, int Atype, int lda, const void *B, int Btype, int ldb, const void *beta,
                            void *C, int Ctype, int ldc, int computeType, int algo) {
    cublasStatus_t s = check(handle, transa, transb, m, n, k, lda, ldb, ldc);
    if (s != OK) return s;
    if (!alpha || !beta) return INVALID_VALUE;
    (void) algo;
    /* With a 32-bit float compute type, alpha/beta are floats; A and B share a type; C is F32 here. */
    if (computeType != COMPUTE_32F && computeType != COMPUTE_32F_FAST_TF32) return NOT_SUPPORTED;
    if (Atype != Btype || Ctype != R_32F) return NOT_SUPPORTED;
    if (Atype != R_32F && Atype != R_16BF && Atype != R_16F) return NOT_SUPPORTED;
    if (fail_gemm_with) { s = fail_gemm_with; fail_gemm_with = 0; return s; }
    gemm_calls++;
    gemm(transa, transb, m, n, k, *(const float *) alpha, A, Atype, lda, B, Btype, ldb, *(const float *) beta,
         C, Ctype, ldc);
    return OK;
}
