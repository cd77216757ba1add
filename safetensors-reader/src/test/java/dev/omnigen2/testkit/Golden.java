package dev.omnigen2.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shared helpers for golden tests: the fixture root from {@code -Dgolden.dir} (default: the repo's
 * testdata/golden), each folder's cases, and relative-L2 comparison.
 */
public final class Golden {
    private Golden() {}

    public static Path root() {
        String p = System.getProperty("golden.dir");
        if (p != null) return Path.of(p);
        Path here = Path.of("").toAbsolutePath();
        for (Path d = here; d != null; d = d.getParent())
            if (Files.isDirectory(d.resolve("testdata/golden"))) return d.resolve("testdata/golden");
        throw new IllegalStateException("no testdata/golden above " + here + "; set -Dgolden.dir");
    }

    /** The fixture folder {@code name} (e.g. "flux-vae"). */
    public static Path dir(String name) {
        Path d = root().resolve(name);
        assertThat(d).as("golden folder").isDirectory();
        return d;
    }

    public static JsonNode json(Path file) {
        try {
            return new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static SafetensorsFile cases(String name) { return SafetensorsFile.open(dir(name).resolve("cases.safetensors")); }

    /** The bytes of a U8 (or other integer) image tensor, each checked to be 0..255. */
    public static byte[] u8(Tensor t) {
        long[] v = t.toLongArray();
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            assertThat(v[i]).as(t + " value " + i).isBetween(0L, 255L);
            b[i] = (byte) v[i];
        }
        return b;
    }

    public static double relL2(float[] y, float[] r) {
        if (y.length != r.length) throw new AssertionError("length " + y.length + " vs reference " + r.length);
        double num = 0, den = 0;
        for (int i = 0; i < y.length; i++) {
            double d = (double) y[i] - r[i];
            num += d * d;
            den += (double) r[i] * r[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    /** Asserts ||y − r|| / ||r|| ≤ tol, reporting the error in the message. */
    public static double assertClose(String what, Tensor y, Tensor r, double tol) {
        assertThat(y.shape()).as(what + " shape").containsExactly(r.shape());
        double e = relL2(y.toFloatArray(), r.toFloatArray());
        assertThat(e).as(what + " relative L2 error").isLessThanOrEqualTo(tol);
        return e;
    }

    /** As {@link #assertClose}, over rows where {@code rowMask} (length = rows) is true only. */
    public static double assertCloseRows(String what, Tensor y, Tensor r, boolean[] rowMask, double tol) {
        assertThat(y.shape()).as(what + " shape").containsExactly(r.shape());
        float[] a = y.toFloatArray(), b = r.toFloatArray();
        int row = a.length / rowMask.length;
        for (int i = 0; i < rowMask.length; i++)
            if (!rowMask[i]) for (int j = 0; j < row; j++) { a[i * row + j] = 0; b[i * row + j] = 0; }
        double e = relL2(a, b);
        assertThat(e).as(what + " relative L2 error (valid rows)").isLessThanOrEqualTo(tol);
        return e;
    }
}
