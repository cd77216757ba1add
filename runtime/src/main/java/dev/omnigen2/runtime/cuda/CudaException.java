package dev.omnigen2.runtime.cuda;

/**
 * A CUDA runtime or cuBLAS call returned a non-zero status. The message names the function, the numeric status and
 * the library's own text for it (cudaGetErrorString, or cuBLAS's status names).
 */
public final class CudaException extends RuntimeException {
    private final String function;
    private final int status;
    private final String statusText;

    public CudaException(String function, int status, String statusText) {
        super(function + " failed: " + statusText + " (status " + status + ")");
        this.function = function;
        this.status = status;
        this.statusText = statusText;
    }

    /** The C function that failed, e.g. {@code cudaMalloc} or {@code cublasGemmEx}. */
    public String function() { return function; }

    /** The numeric status it returned (a cudaError_t or cublasStatus_t). */
    public int status() { return status; }

    public String statusText() { return statusText; }

    /** True when the runtime reported cudaErrorMemoryAllocation (2): the device is out of memory. */
    public boolean isOutOfMemory() { return function.startsWith("cuda") && status == CudaRuntime.ERROR_MEMORY_ALLOCATION; }
}
