package dev.omnigen2.runtime.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The CPU stand-in for libcudart.so.12 and libcublas.so.12, compiled once per test JVM with the machine's gcc from
 * src/test/resources/cuda-standin, plus handles on its test-only counters and failure switches. Without gcc the
 * tests fail (they never skip): the binding cannot be checked without a library to bind.
 */
final class StandIn {
    private static Path dir;
    private static StandIn instance;

    private final MethodHandle reset, blasReset, setDeviceMemory, failMallocAfter, setDeviceCount, liveDevice, liveHost,
            liveStreams, liveHandles, gemmCalls, failNextGemm, deviceUsed;

    private StandIn(Path dir) {
        Arena global = Arena.global();
        SymbolLookup rt = SymbolLookup.libraryLookup(dir.resolve("libcudart.so.12"), global);
        SymbolLookup blas = SymbolLookup.libraryLookup(dir.resolve("libcublas.so.12"), global);
        reset = handle(rt, "standin_reset", null);
        setDeviceMemory = handle(rt, "standin_set_device_memory", null, JAVA_LONG);
        failMallocAfter = handle(rt, "standin_fail_malloc_after", null, JAVA_INT);
        setDeviceCount = handle(rt, "standin_set_device_count", null, JAVA_INT);
        liveDevice = handle(rt, "standin_live_device", JAVA_LONG);
        liveHost = handle(rt, "standin_live_host", JAVA_LONG);
        liveStreams = handle(rt, "standin_live_streams", JAVA_LONG);
        deviceUsed = handle(rt, "standin_device_used", JAVA_LONG);
        blasReset = handle(blas, "standin_blas_reset", null);
        liveHandles = handle(blas, "standin_live_handles", JAVA_LONG);
        gemmCalls = handle(blas, "standin_gemm_calls", JAVA_LONG);
        failNextGemm = handle(blas, "standin_fail_next_gemm", null, JAVA_INT);
    }

    /** The folder holding the compiled stand-in libraries (compiling them on first use). */
    static synchronized Path dir() {
        if (dir == null) dir = compile();
        return dir;
    }

    /** The stand-in's controls, with all counters and switches reset. */
    static synchronized StandIn reset() {
        if (instance == null) instance = new StandIn(dir());
        instance.run(instance.reset);
        instance.run(instance.blasReset);
        return instance;
    }

    /** Discovery pointed at the stand-in folder, as {@code -Domnigen2.cuda.lib} would. */
    static CudaStatus status() {
        return CudaStatus.probe(CudaLibraries.search(java.util.Map.of(), dir().toString(), Path.of("/nonexistent"), Path.of("/nonexistent")));
    }

    void setDeviceMemory(long bytes) { run(setDeviceMemory, bytes); }
    void failMallocAfter(int n) { run(failMallocAfter, n); }
    void setDeviceCount(int n) { run(setDeviceCount, n); }
    void failNextGemm(int status) { run(failNextGemm, status); }
    long liveDevice() { return get(liveDevice); }
    long liveHost() { return get(liveHost); }
    long liveStreams() { return get(liveStreams); }
    long liveHandles() { return get(liveHandles); }
    long gemmCalls() { return get(gemmCalls); }
    long deviceUsed() { return get(deviceUsed); }

    /** A downcall returning {@code ret} (null: void). */
    private static MethodHandle handle(SymbolLookup lib, String name, MemoryLayout ret, MemoryLayout... args) {
        MemorySegment sym = lib.find(name).orElseThrow(() -> new AssertionError(name + " missing from the stand-in"));
        return Linker.nativeLinker().downcallHandle(sym, ret == null ? FunctionDescriptor.ofVoid(args) : FunctionDescriptor.of(ret, args));
    }

    private void run(MethodHandle h, Object... args) {
        try {
            h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private long get(MethodHandle h) {
        try {
            return (long) h.invokeWithArguments();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private static Path compile() {
        try {
            Path out = Files.createTempDirectory("cuda-standin");
            out.toFile().deleteOnExit();  // registered first, so deleted after the files build() registers
            build("gcc", out, "cudart_standin.c", "libcudart.so.12");
            build("gcc", out, "cublas_standin.c", "libcublas.so.12");
            return out;
        } catch (IOException e) {
            throw new AssertionError("cannot build the CUDA stand-in library: " + e, e);
        }
    }

    /** Compiles one stand-in source with the given C compiler; an AssertionError saying what is missing otherwise. */
    static void build(String compiler, Path out, String source, String library) throws IOException {
        Path c = out.resolve(source);
        try (InputStream in = StandIn.class.getResourceAsStream("/cuda-standin/" + source)) {
            if (in == null) throw new AssertionError("test resource cuda-standin/" + source + " is missing");
            Files.copy(in, c);
        }
        c.toFile().deleteOnExit();
        out.resolve(library).toFile().deleteOnExit();
        List<String> cmd = new ArrayList<>(List.of(compiler, "-shared", "-fPIC", "-O2", "-Wall", "-o", out.resolve(library).toString(), c.toString()));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(compiler + " is required to build the CUDA stand-in library for these tests and was not"
                    + " found on PATH (install gcc, e.g. apt-get install gcc): " + e.getMessage(), e);
        }
        String log;
        try {
            log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("gcc did not finish building " + library);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while building " + library, e);
        }
        if (p.exitValue() != 0) throw new AssertionError("gcc failed to build " + library + " (" + String.join(" ", cmd) + "):\n" + log);
    }
}
