package dev.omnigen2.runtime;

import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Conv2d: scalar twin against a naive double-precision convolution; the vector path at every supported width and
 * weight dtype (F32, BF16, F16) against the twin on odd channel counts, widths with vector tails, 3×3 and 1×1,
 * stride 1 and 2, symmetric and the VAE downsampler's asymmetric (0, 1, 0, 1) padding; thread counts 1, 2, 3 give
 * bit-identical results. BF16 and F16 weights, packed in their own width or widened, give bit for bit the result of
 * their exact F32 copy at every width (the widening is exact and the taps are summed in the same order).
 */
class ConvSweepTest {
    @AfterEach
    void restore() {
        Vectors.force("preferred");
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    record Case(String name, int cin, int cout, int h, int w, int k, int stride, int[] pad, boolean bias) {}

    static final List<Case> CASES = List.of(
            new Case("3x3 same", 5, 7, 9, 13, 3, 1, new int[] {1, 1, 1, 1}, true),
            new Case("3x3 wide tail", 3, 13, 4, 37, 3, 1, new int[] {1, 1, 1, 1}, false),
            new Case("1x1", 17, 6, 5, 19, 1, 1, new int[] {0, 0, 0, 0}, true),
            new Case("3x3 stride 2 asym pad (VAE down)", 6, 5, 12, 18, 3, 2, new int[] {0, 0, 1, 1}, true),
            new Case("3x3 stride 2 odd", 4, 8, 11, 15, 3, 2, new int[] {0, 0, 1, 1}, true),
            new Case("3x3 stride 2 sym", 3, 3, 10, 10, 3, 2, new int[] {1, 1, 1, 1}, false),
            new Case("tiny image", 2, 1, 1, 1, 3, 1, new int[] {1, 1, 1, 1}, true),
            new Case("no padding", 7, 12, 8, 40, 3, 1, new int[] {0, 0, 0, 0}, true),
            // 520 input channels: the band strip limit splits each row into several pixel-panel groups
            new Case("many channels, several panel groups", 520, 7, 3, 90, 3, 1, new int[] {1, 1, 1, 1}, true));

    static Tensor random(Random r, DType dtype, int... shape) {
        Tensor t = Tensor.allocate(dtype, shape);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) r.nextGaussian());
        return t;
    }

    /** Float sums over Cin·k² taps: rounding error grows like √taps (relative to the largest output). */
    static double tolerance(Case c) {
        return Math.max(1e-6, 2e-7 * Math.sqrt((double) c.cin() * c.k() * c.k()));
    }

    static Tensor conv(Case c, Tensor x, Tensor w, Tensor b) {
        return Conv2d.forward(x, w, b, c.stride(), c.pad()[0], c.pad()[1], c.pad()[2], c.pad()[3]);
    }

    @Test
    void scalarTwinMatchesNaiveDouble() {
        for (Case c : CASES) {
            Random r = new Random(c.name().hashCode());
            Tensor x = random(r, DType.F32, c.cin(), c.h(), c.w());
            Tensor w = random(r, DType.BF16, c.cout(), c.cin(), c.k(), c.k());
            Tensor b = c.bias() ? random(r, DType.F32, c.cout()) : null;
            Vectors.force("scalar");
            float[] y = conv(c, x, w, b).toFloatArray();
            double[] ref = naive(c, x, w, b);
            assertClose(c.name() + " scalar vs double", y, ref, tolerance(c));
        }
    }

    @Test
    void vectorMatchesScalarForEveryWidthAndDtypeAndThreadCount() {
        for (Case c : CASES) {
            for (DType dt : new DType[] {DType.F32, DType.BF16, DType.F16}) {
                Random r = new Random(c.name().hashCode() + dt.ordinal());
                Tensor x = random(r, DType.F32, c.cin(), c.h(), c.w());
                Tensor w = random(r, dt, c.cout(), c.cin(), c.k(), c.k());
                Tensor b = c.bias() ? random(r, DType.F32, c.cout()) : null;
                Vectors.force("scalar");
                double[] twin = AttentionSweepTest.toDouble(conv(c, x, w, b).toFloatArray());
                for (String width : Widths.supported()) {
                    Vectors.force(width);
                    float[] first = null;
                    for (int threads : new int[] {1, 2, 3}) {
                        Parallel.setThreads(threads);
                        float[] y = conv(c, x, w, b).toFloatArray();
                        if (first == null) {
                            first = y;
                            assertClose(c.name() + " " + dt + " " + width + " vs twin", y, twin, tolerance(c));
                        } else {
                            assertThat(y).as(c.name() + " " + dt + " " + width + " threads " + threads).isEqualTo(first);
                        }
                    }
                }
            }
        }
    }

    @Test
    void halfPrecisionWeightsEqualTheirF32CopyBitForBitAtEveryWidth() {
        for (Case c : CASES) {
            for (DType dt : new DType[] {DType.BF16, DType.F16}) {
                Random r = new Random(c.name().hashCode() + 31 * dt.ordinal());
                Tensor x = random(r, DType.F32, c.cin(), c.h(), c.w());
                Tensor w = random(r, dt, c.cout(), c.cin(), c.k(), c.k());
                Tensor wf = w.toF32();
                Tensor b = c.bias() ? random(r, DType.F32, c.cout()) : null;
                for (String width : widthsAndScalar()) {
                    Vectors.force(width);
                    assertThat(conv(c, x, w, b).toFloatArray()).as(c.name() + " " + dt + " " + width)
                            .isEqualTo(conv(c, x, wf, b).toFloatArray());
                }
            }
        }
    }

    static List<String> widthsAndScalar() {
        List<String> out = new java.util.ArrayList<>(Widths.supported());
        out.add("scalar");
        return out;
    }

    @Test
    void rejectsMismatchedChannels() {
        Tensor x = Tensor.zeros(3, 4, 4), w = Tensor.zeros(2, 4, 3, 3);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Conv2d.same(x, w, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conv2d");
    }

    /** Max abs error relative to the reference's RMS times sqrt(taps) bound: compared against max |ref|. */
    static void assertClose(String what, float[] y, double[] ref, double tol) {
        assertThat(y.length).as(what + " length").isEqualTo(ref.length);
        double maxErr = 0, maxRef = 1e-30;
        for (int i = 0; i < y.length; i++) {
            maxErr = Math.max(maxErr, Math.abs(y[i] - ref[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        assertThat(maxErr / maxRef).as(what + " max error / max |ref|").isLessThanOrEqualTo(tol);
    }

    static double[] naive(Case c, Tensor x, Tensor w, Tensor b) {
        int ho = (c.h() + c.pad()[0] + c.pad()[2] - c.k()) / c.stride() + 1;
        int wo = (c.w() + c.pad()[1] + c.pad()[3] - c.k()) / c.stride() + 1;
        double[] out = new double[c.cout() * ho * wo];
        for (int co = 0; co < c.cout(); co++)
            for (int oy = 0; oy < ho; oy++)
                for (int ox = 0; ox < wo; ox++) {
                    double acc = b == null ? 0 : b.getFloat(co);
                    for (int ci = 0; ci < c.cin(); ci++)
                        for (int ky = 0; ky < c.k(); ky++)
                            for (int kx = 0; kx < c.k(); kx++) {
                                int iy = oy * c.stride() + ky - c.pad()[0], ix = ox * c.stride() + kx - c.pad()[1];
                                if (iy < 0 || iy >= c.h() || ix < 0 || ix >= c.w()) continue;
                                acc += (double) x.get(ci, iy, ix) * w.get(co, ci, ky, kx);
                            }
                    out[(co * ho + oy) * wo + ox] = acc;
                }
        return out;
    }
}
