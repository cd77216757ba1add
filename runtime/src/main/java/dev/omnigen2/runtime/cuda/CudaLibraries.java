package dev.omnigen2.runtime.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Finds libcudart and libcublas on disk, for CUDA 13 or 12, without loading anything.
 *
 * <p>Folders are searched in this order: the {@code -Domnigen2.cuda.lib} override alone when it is set; otherwise
 * {@code CUDA_HOME} and {@code CUDA_PATH} (lib64, lib, targets/x86_64-linux/lib), every {@code LD_LIBRARY_PATH}
 * entry, /usr/local/cuda/lib64 then {@code /usr/local/cuda-*}/lib64 (newest name first), the distribution folder /usr/lib/x86_64-linux-gnu,
 * and the library folders of NVIDIA's Python wheels (nvidia/cublas/lib, nvidia/cuda_runtime/lib, and the
 * nvidia/cu13/lib, nvidia/cu12/lib layout of the CUDA 13 wheels) under the Python site folders that can be listed
 * cheaply: {@code VIRTUAL_ENV}, {@code CONDA_PREFIX}, ~/.local, /usr/local and /usr (lib/python3*&#47;site-packages
 * and dist-packages). The CUDA major is the one of the first libcudart found in that order; libcublas must then have
 * the same major (a plain {@code .so} pairs with a plain {@code .so}).
 */
public final class CudaLibraries {
    /** System property naming the one folder to load both libraries from (tests, unusual installs). */
    public static final String OVERRIDE_PROPERTY = "omnigen2.cuda.lib";

    private static final List<String> MAJORS = List.of(".13", ".12", "");

    /** The outcome: both libraries (and cublasLt next to cublas, when present) or one line saying why not. */
    public record Found(Path cudart, Path cublas, Path cublasLt, String major) {}

    public record Result(Found found, String reason, List<Path> searched) {
        public boolean ok() { return found != null; }
    }

    private CudaLibraries() {}

    /** Searches the real machine: the process environment, system properties and user home. */
    public static Result search() {
        return search(System.getenv(), System.getProperty(OVERRIDE_PROPERTY), Path.of(System.getProperty("user.home", "/")),
                Path.of("/"));
    }

    /**
     * Searches with the given environment, override folder (or null), home folder and file-system root (the root is
     * a parameter so tests can lay out a fake /usr/local/cuda-12.4 and Python wheel tree in a temporary folder).
     */
    public static Result search(Map<String, String> env, String override, Path home, Path root) {
        List<Path> dirs = override != null && !override.isBlank() ? List.of(Path.of(override)) : candidateFolders(env, home, root);
        String partial = null;
        for (String major : majorsInOrder(dirs)) {
            Path cudart = first(dirs, "libcudart.so" + major);
            Path cublas = first(dirs, "libcublas.so" + major);
            if (cublas != null) {
                Path lt = cublas.resolveSibling("libcublasLt.so" + major);
                return new Result(new Found(cudart, cublas, Files.isRegularFile(lt) ? lt : null, major), null, dirs);
            }
            if (partial == null) {
                partial = "found " + cudart + " but no libcublas.so" + major + " in the " + dirs.size()
                        + " folders searched (install nvidia-cublas-cu" + (major.isEmpty() ? "12" : major.substring(1))
                        + " or point CUDA_HOME at a toolkit)";
            }
        }
        if (partial != null) return new Result(null, partial, dirs);
        String where = override != null && !override.isBlank()
                ? "in " + override + " (-D" + OVERRIDE_PROPERTY + ")"
                : "in CUDA_HOME, CUDA_PATH, LD_LIBRARY_PATH, /usr/local/cuda*/lib64 or the nvidia-* Python wheels ("
                        + dirs.size() + " folders searched)";
        return new Result(null, "no libcudart.so.13/.12 found " + where, dirs);
    }

    /** The folders to search, in order, without duplicates, existing ones only. */
    static List<Path> candidateFolders(Map<String, String> env, Path home, Path root) {
        Set<Path> out = new LinkedHashSet<>();
        for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
            String v = env.get(var);
            if (v == null || v.isBlank()) continue;
            Path base = Path.of(v);
            out.add(base.resolve("lib64"));
            out.add(base.resolve("lib"));
            out.add(base.resolve("targets/x86_64-linux/lib"));
        }
        String ld = env.get("LD_LIBRARY_PATH");
        if (ld != null) for (String p : ld.split(":")) if (!p.isBlank()) out.add(Path.of(p));
        Path usrLocal = root.resolve("usr/local");
        // /usr/local/cuda (the symlink an installer points at the default toolkit) first, then versions newest first.
        out.add(usrLocal.resolve("cuda/lib64"));
        for (Path cuda : list(usrLocal, "cuda-").reversed()) out.add(cuda.resolve("lib64"));
        out.add(root.resolve("usr/lib/x86_64-linux-gnu"));
        List<Path> prefixes = new ArrayList<>();
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = env.get(var);
            if (v != null && !v.isBlank()) prefixes.add(Path.of(v));
        }
        prefixes.add(home.resolve(".local"));
        prefixes.add(usrLocal);
        prefixes.add(root.resolve("usr"));
        for (Path prefix : prefixes) {
            for (Path python : list(prefix.resolve("lib"), "python3")) {
                for (String site : List.of("site-packages", "dist-packages")) {
                    Path nvidia = python.resolve(site).resolve("nvidia");
                    for (String sub : List.of("cu13/lib", "cublas/lib", "cuda_runtime/lib", "cu12/lib")) out.add(nvidia.resolve(sub));
                }
            }
        }
        return out.stream().filter(Files::isDirectory).toList();
    }

    /** Majors in the order their libcudart first appears along the folders; those not present are left out. */
    private static List<String> majorsInOrder(List<Path> dirs) {
        Set<String> order = new LinkedHashSet<>();
        for (Path d : dirs) for (String m : MAJORS) if (Files.isRegularFile(d.resolve("libcudart.so" + m))) order.add(m);
        return List.copyOf(order);
    }

    private static Path first(List<Path> dirs, String name) {
        for (Path d : dirs) {
            Path p = d.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /** Entries of a folder whose names start with a prefix, sorted by name; empty when the folder is absent. */
    private static List<Path> list(Path dir, String prefix) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith(prefix)).sorted().toList();
        } catch (IOException | SecurityException e) {
            return List.of();
        }
    }
}
