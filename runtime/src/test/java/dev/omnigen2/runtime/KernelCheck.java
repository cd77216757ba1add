package dev.omnigen2.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import jdk.incubator.vector.VectorShape;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Shared helpers of the kernel tests: random tensors in any float dtype, a relative-error assertion, a bit-exact
 * assertion, and loops over the vector widths this machine runs and over thread counts (each restoring the
 * setting it changed).
 */
public final class KernelCheck {
    private KernelCheck() {}

    /** Uniform values in [-1, 1) stored in {@code dtype} (rounded to it), reproducible from {@code seed}. */
    public static Tensor random(DType dtype, long seed, int... shape) {
        Tensor t = Tensor.allocate(dtype, shape);
        Random r = new Random(seed);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, r.nextFloat() * 2 - 1);
        return t;
    }

    /**
     * Every element within {@code relTol · max|expected|} of the expected value (float reordering only: the error of
     * a reordered sum scales with the magnitude of the result, not of each element).
     */
    public static void assertClose(String what, Tensor actual, Tensor expected, double relTol) {
        assertThat(actual.numel()).as(what + ": element count").isEqualTo(expected.numel());
        double scale = 0, worst = 0;
        long at = -1;
        for (long i = 0; i < expected.numel(); i++) scale = Math.max(scale, Math.abs(expected.getFloat(i)));
        for (long i = 0; i < expected.numel(); i++) {
            float a = actual.getFloat(i), e = expected.getFloat(i);
            double d = Float.isNaN(a) != Float.isNaN(e) ? Double.POSITIVE_INFINITY : Math.abs((double) a - e);
            if (d > worst) { worst = d; at = i; }
        }
        double allowed = relTol * Math.max(scale, Float.MIN_NORMAL);
        assertThat(worst).as("%s: max |actual - expected| = %g at flat index %d (actual %s, expected %s), allowed %g",
                what, worst, at, at < 0 ? "-" : actual.getFloat(at), at < 0 ? "-" : expected.getFloat(at), allowed)
                .isLessThanOrEqualTo(allowed);
    }

    /** Both tensors hold exactly the same bits. */
    public static void assertBitIdentical(String what, Tensor a, Tensor b) {
        assertThat(a.numel()).as(what + ": element count").isEqualTo(b.numel());
        for (long i = 0; i < a.numel(); i++) {
            int x = Float.floatToRawIntBits(a.getFloat(i)), y = Float.floatToRawIntBits(b.getFloat(i));
            if (x != y) assertThat(a.getFloat(i)).as("%s: element %d differs", what, i).isEqualTo(b.getFloat(i));
        }
    }

    /** "scalar", then every forced width up to the machine's preferred one, then "preferred". */
    public static List<String> species() {
        List<String> out = new ArrayList<>();
        out.add("scalar");
        int max = VectorShape.preferredShape().vectorBitSize();
        for (int bits : new int[] {128, 256, 512}) if (bits <= max) out.add(Integer.toString(bits));
        out.add("preferred");
        return out;
    }

    /** Runs {@code body} once per entry of {@link #species()} with that width forced, restoring the default after. */
    public static void forEachSpecies(Consumer<String> body) {
        try {
            for (String s : species()) {
                Vectors.force(s);
                body.accept(s);
            }
        } finally {
            Vectors.force(System.getProperty("omnigen2.vector", "preferred"));
        }
    }

    /** Runs {@code body} with the worker pool sized {@code threads}, restoring the previous size after. */
    public static void withThreads(int threads, Runnable body) {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(threads);
            body.run();
        } finally {
            Parallel.setThreads(before);
        }
    }
}
