package dev.omnigen2.runtime.cuda;

import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Map;

/**
 * Whether the CUDA backend can run here, and one line saying why (or why not) for {@code doctor} and
 * {@code --verbose}. Probing searches for the libraries ({@link CudaLibraries}), loads them and asks
 * cudaGetDeviceCount; any failure along the way becomes an unavailable status, never an exception.
 */
public record CudaStatus(boolean available, String line, CudaLibraries.Found libraries, int deviceCount) {

    /** Libraries bound once per set of files, for the life of the process (CUDA libraries are never unloaded). */
    private static final Map<CudaLibraries.Found, Bindings> LOADED = new HashMap<>();

    record Bindings(CudaRuntime runtime, Cublas blas) {}

    public static CudaStatus unavailable(String why) { return new CudaStatus(false, "CUDA unavailable: " + why, null, 0); }

    /** Probes the real machine (environment, {@code -Domnigen2.cuda.lib}). */
    public static CudaStatus probe() { return probe(CudaLibraries.search()); }

    public static CudaStatus probe(CudaLibraries.Result search) {
        if (!search.ok()) return unavailable(search.reason());
        CudaLibraries.Found libs = search.found();
        Bindings b;
        try {
            b = bind(libs);
        } catch (RuntimeException e) {
            return unavailable("cannot load " + libs.cudart() + " / " + libs.cublas() + ": " + oneLine(e));
        }
        int count;
        try {
            count = b.runtime().deviceCount();
        } catch (CudaException e) {
            return unavailable(e.getMessage() + " [" + libs.cudart() + "]");
        }
        if (count <= 0) return unavailable("cudaGetDeviceCount reports no device [" + libs.cudart() + "]");
        String major = libs.major().isEmpty() ? "" : " " + libs.major().substring(1);
        return new CudaStatus(true, "CUDA" + major + ": " + count + " device(s), " + libs.cudart() + ", " + libs.cublas(),
                libs, count);
    }

    static synchronized Bindings bind(CudaLibraries.Found libs) {
        Bindings b = LOADED.get(libs);
        if (b != null) return b;
        Arena forever = Arena.global();
        // libcublas needs libcublasLt; loading it first from the same folder lets the dynamic linker find it by
        // soname even when that folder is not on the loader's search path.
        if (libs.cublasLt() != null) java.lang.foreign.SymbolLookup.libraryLookup(libs.cublasLt(), forever);
        b = new Bindings(new CudaRuntime(libs.cudart(), forever), new Cublas(libs.cublas(), forever));
        LOADED.put(libs, b);
        return b;
    }

    private static String oneLine(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
