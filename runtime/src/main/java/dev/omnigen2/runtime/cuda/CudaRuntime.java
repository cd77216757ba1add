package dev.omnigen2.runtime.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CUDA runtime functions this backend uses, bound from libcudart with FFM downcalls, each wrapped so that a
 * non-zero cudaError_t becomes a {@link CudaException} carrying cudaGetErrorString's text.
 *
 * <p>Device pointers are plain {@code long}s: they are never dereferenced on the host, and a {@code long} cannot be
 * read by mistake the way a MemorySegment could. Pinned host buffers are MemorySegments of their allocated size.
 */
final class CudaRuntime {
    static final int ERROR_MEMORY_ALLOCATION = 2;
    static final int ERROR_NO_DEVICE = 100;
    /** cudaMemcpyKind. */
    static final int HOST_TO_DEVICE = 1, DEVICE_TO_HOST = 2;

    private final MethodHandle getDeviceCount, setDevice, malloc, free, mallocHost, freeHost, memcpy, memcpyAsync,
            memGetInfo, streamCreate, streamDestroy, streamSynchronize, getErrorString;

    CudaRuntime(Path library, Arena arena) {
        SymbolLookup lib = SymbolLookup.libraryLookup(library, arena);
        getDeviceCount = bind(lib, "cudaGetDeviceCount", ADDRESS);
        setDevice = bind(lib, "cudaSetDevice", JAVA_INT);
        malloc = bind(lib, "cudaMalloc", ADDRESS, JAVA_LONG);
        free = bind(lib, "cudaFree", JAVA_LONG);
        mallocHost = bind(lib, "cudaMallocHost", ADDRESS, JAVA_LONG);
        freeHost = bind(lib, "cudaFreeHost", ADDRESS);
        memcpy = bind(lib, "cudaMemcpy", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT);
        memcpyAsync = bind(lib, "cudaMemcpyAsync", JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG);
        memGetInfo = bind(lib, "cudaMemGetInfo", ADDRESS, ADDRESS);
        streamCreate = bind(lib, "cudaStreamCreate", ADDRESS);
        streamDestroy = bind(lib, "cudaStreamDestroy", JAVA_LONG);
        streamSynchronize = bind(lib, "cudaStreamSynchronize", JAVA_LONG);
        getErrorString = Linker.nativeLinker().downcallHandle(symbol(lib, "cudaGetErrorString"),
                FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** A downcall returning a 32-bit status (cudaError_t, cublasStatus_t) with the given argument layouts. */
    static MethodHandle bind(SymbolLookup lib, String name, ValueLayout... args) {
        return Linker.nativeLinker().downcallHandle(symbol(lib, name), FunctionDescriptor.of(JAVA_INT, args));
    }

    static MemorySegment symbol(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new IllegalStateException("symbol " + name + " not found in the CUDA library"));
    }

    int deviceCount() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check("cudaGetDeviceCount", call(getDeviceCount, n));
            return n.get(JAVA_INT, 0);
        }
    }

    void setDevice(int device) { check("cudaSetDevice", call(setDevice, device)); }

    long malloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check("cudaMalloc", call(malloc, p, bytes));
            return p.get(ADDRESS, 0).address();
        }
    }

    void free(long devicePointer) { check("cudaFree", call(free, devicePointer)); }

    /** Page-locked host memory, so that asynchronous copies really are asynchronous. */
    MemorySegment mallocHost(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check("cudaMallocHost", call(mallocHost, p, bytes));
            return p.get(ADDRESS, 0).reinterpret(bytes);
        }
    }

    void freeHost(MemorySegment pinned) { check("cudaFreeHost", call(freeHost, pinned)); }

    void memcpy(long dst, long src, long bytes, int kind) { check("cudaMemcpy", call(memcpy, dst, src, bytes, kind)); }

    void memcpyAsync(long dst, long src, long bytes, int kind, long stream) {
        check("cudaMemcpyAsync", call(memcpyAsync, dst, src, bytes, kind, stream));
    }

    /** {free, total} bytes of the current device. */
    long[] memGetInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
            check("cudaMemGetInfo", call(memGetInfo, f, t));
            return new long[] {f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)};
        }
    }

    long streamCreate() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(ADDRESS);
            check("cudaStreamCreate", call(streamCreate, s));
            return s.get(ADDRESS, 0).address();
        }
    }

    void streamDestroy(long stream) { check("cudaStreamDestroy", call(streamDestroy, stream)); }

    void streamSynchronize(long stream) { check("cudaStreamSynchronize", call(streamSynchronize, stream)); }

    String errorString(int status) {
        try {
            MemorySegment s = (MemorySegment) getErrorString.invokeExact(status);
            return s.equals(MemorySegment.NULL) ? "unknown error" : s.reinterpret(1024).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException("cudaGetErrorString", t);
        }
    }

    private void check(String function, int status) {
        if (status != 0) throw new CudaException(function, status, errorString(status));
    }

    /** Invokes a status-returning downcall (boxing costs about a microsecond, nothing next to a copy or a GEMM). */
    static int call(MethodHandle h, Object... args) {
        try {
            return (int) h.invokeWithArguments(args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
