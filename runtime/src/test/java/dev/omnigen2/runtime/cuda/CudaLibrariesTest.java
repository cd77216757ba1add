package dev.omnigen2.runtime.cuda;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CudaLibrariesTest {
    @TempDir Path root;

    private Path touch(String relative) throws IOException {
        Path p = root.resolve(relative);
        Files.createDirectories(p.getParent());
        Files.writeString(p, "");
        return p;
    }

    private CudaLibraries.Result search(Map<String, String> env) {
        return CudaLibraries.search(env, null, root.resolve("home/user"), root);
    }

    @Test
    void cudaHomeLib64WithCublasLtNextToCublas() throws IOException {
        Path rt = touch("opt/cuda/lib64/libcudart.so.12");
        Path blas = touch("opt/cuda/lib64/libcublas.so.12");
        Path lt = touch("opt/cuda/lib64/libcublasLt.so.12");
        CudaLibraries.Result r = search(Map.of("CUDA_HOME", root.resolve("opt/cuda").toString()));
        assertThat(r.ok()).isTrue();
        assertThat(r.found()).isEqualTo(new CudaLibraries.Found(rt, blas, lt, ".12"));
    }

    @Test
    void cudaPathLibFolder() throws IOException {
        Path rt = touch("cuda13/lib/libcudart.so.13");
        Path blas = touch("cuda13/lib/libcublas.so.13");
        CudaLibraries.Result r = search(Map.of("CUDA_PATH", root.resolve("cuda13").toString()));
        assertThat(r.found()).isEqualTo(new CudaLibraries.Found(rt, blas, null, ".13"));
    }

    @Test
    void usrLocalCudaSymlinkFolderComesBeforeVersionedOnes() throws IOException {
        touch("usr/local/cuda-12.4/lib64/libcudart.so.12");
        touch("usr/local/cuda-12.4/lib64/libcublas.so.12");
        Path rt = touch("usr/local/cuda/lib64/libcudart.so.12");
        Path blas = touch("usr/local/cuda/lib64/libcublas.so.12");
        assertThat(search(Map.of()).found()).isEqualTo(new CudaLibraries.Found(rt, blas, null, ".12"));
    }

    @Test
    void newestVersionedToolkitWhenNoSymlink() throws IOException {
        touch("usr/local/cuda-12.4/lib64/libcudart.so.12");
        touch("usr/local/cuda-12.4/lib64/libcublas.so.12");
        Path rt = touch("usr/local/cuda-13.0/lib64/libcudart.so.13");
        touch("usr/local/cuda-13.0/lib64/libcublas.so.13");
        CudaLibraries.Result r = search(Map.of());
        assertThat(r.found().cudart()).isEqualTo(rt);
        assertThat(r.found().major()).isEqualTo(".13");
    }

    @Test
    void cuda12WheelsInUserSitePackagesFromTwoFolders() throws IOException {
        String site = "home/user/.local/lib/python3.11/site-packages/nvidia/";
        Path rt = touch(site + "cuda_runtime/lib/libcudart.so.12");
        Path blas = touch(site + "cublas/lib/libcublas.so.12");
        Path lt = touch(site + "cublas/lib/libcublasLt.so.12");
        assertThat(search(Map.of()).found()).isEqualTo(new CudaLibraries.Found(rt, blas, lt, ".12"));
    }

    @Test
    void cuda13WheelsInVirtualEnvAndCondaAndSystemDistPackages() throws IOException {
        Path rt = touch("venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcudart.so.13");
        Path blas = touch("venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13");
        assertThat(search(Map.of("VIRTUAL_ENV", root.resolve("venv").toString())).found())
                .isEqualTo(new CudaLibraries.Found(rt, blas, null, ".13"));

        Path crt = touch("conda/lib/python3.10/site-packages/nvidia/cuda_runtime/lib/libcudart.so.12");
        Path cblas = touch("conda/lib/python3.10/site-packages/nvidia/cublas/lib/libcublas.so.12");
        assertThat(search(Map.of("CONDA_PREFIX", root.resolve("conda").toString())).found())
                .isEqualTo(new CudaLibraries.Found(crt, cblas, null, ".12"));

        Path drt = touch("usr/local/lib/python3.11/dist-packages/nvidia/cuda_runtime/lib/libcudart.so.12");
        Path dblas = touch("usr/lib/python3/dist-packages/nvidia/cublas/lib/libcublas.so.12");
        assertThat(search(Map.of()).found()).isEqualTo(new CudaLibraries.Found(drt, dblas, null, ".12"));
    }

    @Test
    void ldLibraryPathOrderDecidesAndMajorsArePaired() throws IOException {
        Path rt13 = touch("a/libcudart.so.13");
        Path rt12 = touch("b/libcudart.so.12");
        Path blas12 = touch("b/libcublas.so.12");
        String ld = root.resolve("a") + ":" + root.resolve("b");
        // cudart 13 comes first, but without a cublas 13 the CUDA 12 pair is taken rather than a mixed one.
        CudaLibraries.Result r = search(Map.of("LD_LIBRARY_PATH", ld));
        assertThat(r.found()).isEqualTo(new CudaLibraries.Found(rt12, blas12, null, ".12"));
        Path blas13 = touch("b/libcublas.so.13");
        assertThat(search(Map.of("LD_LIBRARY_PATH", ld)).found()).isEqualTo(new CudaLibraries.Found(rt13, blas13, null, ".13"));
    }

    @Test
    void plainSoNamesPairWithEachOther() throws IOException {
        Path rt = touch("x/libcudart.so");
        Path blas = touch("x/libcublas.so");
        assertThat(search(Map.of("LD_LIBRARY_PATH", root.resolve("x").toString())).found())
                .isEqualTo(new CudaLibraries.Found(rt, blas, null, ""));
    }

    @Test
    void nothingFoundIsOneLineNamingWhereItLooked() {
        CudaLibraries.Result r = search(Map.of());
        assertThat(r.ok()).isFalse();
        assertThat(r.reason()).contains("no libcudart").contains("CUDA_HOME").contains("LD_LIBRARY_PATH")
                .contains("/usr/local/cuda").contains("wheels").doesNotContain("\n");
    }

    @Test
    void runtimeWithoutCublasSaysWhatIsMissing() throws IOException {
        Path rt = touch("usr/local/cuda/lib64/libcudart.so.12");
        CudaLibraries.Result r = search(Map.of());
        assertThat(r.ok()).isFalse();
        assertThat(r.reason()).contains(rt.toString()).contains("no libcublas.so.12").contains("nvidia-cublas-cu12");
    }

    @Test
    void overrideFolderIsTheOnlyPlaceSearched() throws IOException {
        touch("usr/local/cuda/lib64/libcudart.so.12");
        touch("usr/local/cuda/lib64/libcublas.so.12");
        Path empty = Files.createDirectories(root.resolve("empty"));
        CudaLibraries.Result r = CudaLibraries.search(Map.of(), empty.toString(), root.resolve("home"), root);
        assertThat(r.ok()).isFalse();
        assertThat(r.reason()).contains(empty.toString()).contains("-Domnigen2.cuda.lib");
        assertThat(r.searched()).containsExactly(empty);
    }

    @Test
    void missingLibrariesMakeAnUnavailableStatusNotAnException() throws IOException {
        Path empty = Files.createDirectories(root.resolve("empty"));
        CudaStatus s = CudaStatus.probe(CudaLibraries.search(Map.of(), empty.toString(), root, root));
        assertThat(s.available()).isFalse();
        assertThat(s.line()).startsWith("CUDA unavailable: no libcudart");
    }

    @Test
    void filesThatAreNotLibrariesMakeAnUnavailableStatus() throws IOException {
        Files.writeString(touch("junk/libcudart.so.12"), "not a shared library\n".repeat(20));
        Files.writeString(touch("junk/libcublas.so.12"), "not a shared library\n".repeat(20));
        CudaStatus s = CudaStatus.probe(CudaLibraries.search(Map.of(), root.resolve("junk").toString(), root, root));
        assertThat(s.available()).isFalse();
        assertThat(s.line()).startsWith("CUDA unavailable: cannot load").doesNotContain("\n");
    }
}
