package dev.omnigen2.runtime;

import java.util.Random;
import java.util.function.Supplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import jdk.incubator.vector.FloatVector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Norms, activations, softmax, rotary embeddings, elementwise ops, upsampling and patchify: each vector path at
 * every supported width against its scalar twin on odd sizes (vector tails), thread counts 1, 2, 3 bit-identical;
 * the twins themselves against naive double formulas; the polynomial exp against Math.exp in ulps.
 */
class PointwiseSweepTest {
    @AfterEach
    void restore() {
        Vectors.force("preferred");
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    static Tensor random(Random r, DType dt, double scale, int... shape) {
        Tensor t = Tensor.allocate(dt, shape);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) (r.nextGaussian() * scale));
        return t;
    }

    /**
     * Runs {@code op} with the scalar twin, then at every width and thread count; every vector result must be within
     * {@code tol} (max abs error / max |twin|) of the twin and identical across thread counts.
     */
    static void sweep(String what, double tol, Supplier<float[]> op) {
        Vectors.force("scalar");
        Parallel.setThreads(2);
        float[] twin = op.get();
        for (String width : Widths.supported()) {
            Vectors.force(width);
            float[] first = null;
            for (int threads : new int[] {1, 2, 3}) {
                Parallel.setThreads(threads);
                float[] y = op.get();
                if (first == null) {
                    first = y;
                    double maxErr = 0, maxRef = 1e-30;
                    for (int i = 0; i < y.length; i++) {
                        assertThat(Float.isNaN(y[i])).as(what + " " + width + " NaN at " + i).isEqualTo(Float.isNaN(twin[i]));
                        maxErr = Math.max(maxErr, Math.abs(y[i] - twin[i]));
                        maxRef = Math.max(maxRef, Math.abs(twin[i]));
                    }
                    assertThat(y.length).isEqualTo(twin.length);
                    assertThat(maxErr / maxRef).as(what + " " + width + " vs scalar twin").isLessThanOrEqualTo(tol);
                } else {
                    assertThat(y).as(what + " " + width + " threads " + threads).isEqualTo(first);
                }
            }
        }
    }

    @Test
    void polynomialExpIsWithinTwoUlp() {
        Random r = new Random(1);
        var sp = FloatVector.SPECIES_PREFERRED;
        float[] xs = new float[sp.length()], ys = new float[sp.length()];
        int worst = 0;
        for (int it = 0; it < 200_000; it++) {
            for (int i = 0; i < xs.length; i++) xs[i] = (float) (VecMath.EXP_LO + r.nextDouble() * (VecMath.EXP_HI - VecMath.EXP_LO));
            if (it == 0) { xs[0] = 0f; xs[1] = -1e-8f; }
            VecMath.exp(FloatVector.fromArray(sp, xs, 0)).intoArray(ys, 0);
            for (int i = 0; i < xs.length; i++) {
                float ref = (float) Math.exp(xs[i]);
                int ulps = Math.abs(Float.floatToIntBits(ys[i]) - Float.floatToIntBits(ref));
                worst = Math.max(worst, ulps);
                assertThat(VecMath.expScalar(xs[i])).as("scalar form of the polynomial at " + xs[i]).isEqualTo(ys[i]);
            }
        }
        assertThat(worst).as("max ulp error of VecMath.exp").isLessThanOrEqualTo(2);
        VecMath.exp(FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY)).intoArray(ys, 0);
        assertThat(ys[0]).isEqualTo(0f);
    }

    @Test
    void attentionExp2IsWithinTwoUlp() {
        Random r = new Random(11);
        var sp = FloatVector.SPECIES_PREFERRED;
        float[] xs = new float[sp.length()], ys = new float[sp.length()];
        int worst = 0;
        for (int it = 0; it < 100_000; it++) {
            for (int i = 0; i < xs.length; i++)
                xs[i] = (float) (it % 2 == 0 ? -r.nextDouble() * 126 : -r.nextDouble() * 2); // dense near 0 too
            if (it == 0) { xs[0] = 0f; xs[1] = -0.5f; xs[2] = -126f; }
            VecMath.exp2NonPositive(FloatVector.fromArray(sp, xs, 0)).intoArray(ys, 0);
            for (int i = 0; i < xs.length; i++) {
                float ref = (float) Math.pow(2, xs[i]);
                worst = Math.max(worst, Math.abs(Float.floatToIntBits(ys[i]) - Float.floatToIntBits(ref)));
                assertThat(VecMath.exp2NonPositive(xs[i])).as("scalar form at " + xs[i]).isEqualTo(ys[i]);
            }
        }
        assertThat(worst).as("max ulp error of VecMath.exp2NonPositive").isLessThanOrEqualTo(2);
        VecMath.exp2NonPositive(FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY)).intoArray(ys, 0);
        assertThat(ys[0]).isEqualTo(0f);
    }

    @Test
    void normsMatchTheirTwinsAndDoubleFormulas() {
        Random r = new Random(2);
        DType[] weightTypes = {DType.F32, DType.BF16, DType.F16};
        int[] dims = {1, 7, 33, 96, 2520};
        for (int di = 0; di < dims.length; di++) {
            int d = dims[di];
            Tensor x = random(r, DType.F32, 3, 5, d);
            x.setFloat(0, 40f); // an outlier
            Tensor w = random(r, weightTypes[di % 3], 1, d), b = random(r, weightTypes[(di + 1) % 3], 1, d);
            sweep("rmsNorm d=" + d, 2e-6, () -> Norms.rmsNorm(x, w, 1e-6f).toFloatArray());
            sweep("rmsNorm no weight d=" + d, 2e-6, () -> Norms.rmsNorm(x, null, 1e-6f).toFloatArray());
            sweep("layerNorm d=" + d, 5e-6, () -> Norms.layerNorm(x, w, b, 1e-5f).toFloatArray());
            sweep("layerNorm no affine d=" + d, 5e-6, () -> Norms.layerNorm(x, null, null, 1e-6f).toFloatArray());
            // twin vs double
            Vectors.force("scalar");
            float[] y = Norms.layerNorm(x, w, b, 1e-5f).toFloatArray(), ry = Norms.rmsNorm(x, w, 1e-6f).toFloatArray();
            for (int row = 0; row < 5; row++) {
                double mean = 0, var = 0, ss = 0;
                for (int i = 0; i < d; i++) { mean += x.getFloat(row * d + i); ss += Math.pow(x.getFloat(row * d + i), 2); }
                mean /= d;
                for (int i = 0; i < d; i++) var += Math.pow(x.getFloat(row * d + i) - mean, 2);
                var /= d;
                for (int i = 0; i < d; i++) {
                    double ln = (x.getFloat(row * d + i) - mean) / Math.sqrt(var + 1e-5) * w.getFloat(i) + b.getFloat(i);
                    double rms = x.getFloat(row * d + i) / Math.sqrt(ss / d + 1e-6) * w.getFloat(i);
                    assertThat((double) y[row * d + i]).as("layerNorm twin").isCloseTo(ln, org.assertj.core.data.Offset.offset(2e-5 * (1 + Math.abs(ln))));
                    assertThat((double) ry[row * d + i]).as("rmsNorm twin").isCloseTo(rms, org.assertj.core.data.Offset.offset(2e-5 * (1 + Math.abs(rms))));
                }
            }
            Vectors.force("preferred");
        }
    }

    @Test
    void groupNormWithAndWithoutSilu() {
        Random r = new Random(3);
        for (int[] s : new int[][] {{8, 5, 7}, {32, 9, 9}, {6, 1, 131}}) {
            Tensor x = random(r, DType.F32, 2, s);
            for (long i = 0; i < x.numel(); i++) x.setFloat(i, x.getFloat(i) + 3f); // non-zero mean
            Tensor w = random(r, DType.F32, 1, s[0]), b = random(r, DType.BF16, 1, s[0]);
            for (int groups : new int[] {1, 2, s[0] / 2}) {
                for (boolean silu : new boolean[] {false, true}) {
                    sweep("groupNorm " + java.util.Arrays.toString(s) + " g" + groups + " silu " + silu, 5e-6, () -> {
                        Tensor out = Tensor.zeros(x.shape());
                        Norms.groupNorm(x, groups, w, b, 1e-6f, silu, out);
                        return out.toFloatArray();
                    });
                }
            }
            Vectors.force("scalar");
            Tensor out = Tensor.zeros(x.shape());
            Norms.groupNorm(x, 1, null, null, 1e-6f, false, out);
            double mean = 0, sq = 0;
            for (float v : out.toFloatArray()) { mean += v; sq += v * v; }
            assertThat(mean / out.numel()).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-5));
            assertThat(sq / out.numel()).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-4));
            Vectors.force("preferred");
        }
    }

    @Test
    void activationsAndSoftmax() {
        Random r = new Random(4);
        Tensor x = random(r, DType.F32, 6, 3, 1001), up = random(r, DType.F32, 1, 3, 1001);
        for (long i = 0; i < 10; i++) x.setFloat(i, (float) (-100 + 20 * i)); // saturated ends
        sweep("silu", 1e-6, () -> { Tensor o = Tensor.zeros(x.shape()); Activations.silu(x, o); return o.toFloatArray(); });
        sweep("geluTanh", 1e-6, () -> { Tensor o = Tensor.zeros(x.shape()); Activations.geluTanh(x, o); return o.toFloatArray(); });
        sweep("geluErf", 0, () -> { Tensor o = Tensor.zeros(x.shape()); Activations.geluErf(x, o); return o.toFloatArray(); });
        sweep("swiglu", 1e-6, () -> { Tensor o = Tensor.zeros(x.shape()); Activations.swiglu(x, up, o); return o.toFloatArray(); });
        sweep("softmax", 3e-6, // float sums over 1001 terms in another order
                () -> { Tensor o = Tensor.zeros(x.shape()); Activations.softmax(x, o); return o.toFloatArray(); });
        // the scalar formulas themselves
        for (double v : new double[] {-30, -3, -0.5, 0, 0.7, 4, 25}) {
            float f = (float) v;
            assertThat((double) Activations.silu(f)).isCloseTo(v / (1 + Math.exp(-v)), org.assertj.core.data.Offset.offset(1e-6 * (1 + Math.abs(v))));
            double gt = 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)));
            assertThat((double) Activations.geluTanh(f)).isCloseTo(gt, org.assertj.core.data.Offset.offset(1e-6 * (1 + Math.abs(v))));
        }
        assertThat((double) Activations.geluErf(1f)).isCloseTo(0.8413447460685429, org.assertj.core.data.Offset.offset(1e-7));
        assertThat((double) Activations.geluErf(-3f)).isCloseTo(-0.004049694260, org.assertj.core.data.Offset.offset(1e-8));
    }

    @Test
    void rotaryEmbeddingsBothConventions() {
        Random r = new Random(5);
        int l = 13, heads = 3;
        for (int hd : new int[] {2, 16, 30, 120}) {
            Tensor x = random(r, DType.F32, 1, l, heads * hd);
            Tensor cos = random(r, DType.F32, 1, l, hd), sin = random(r, DType.F32, 1, l, hd);
            Tensor ch = random(r, DType.F32, 1, l, hd / 2), sh = random(r, DType.F32, 1, l, hd / 2);
            sweep("rotateHalf hd " + hd, 0, () -> { Tensor y = x.copy(); Rope.rotateHalf(y, cos, sin, heads, hd); return y.toFloatArray(); });
            sweep("interleaved hd " + hd, 0, () -> { Tensor y = x.copy(); Rope.interleaved(y, ch, sh, heads, hd); return y.toFloatArray(); });
        }
        // rotating by a table preserves the norm of each pair
        RopeTables.Table t = RopeTables.omni(new int[][] {{3, 1, 2}, {0, 0, 0}}, new int[] {4, 2, 2}, 10000);
        Tensor x = random(r, DType.F32, 1, 2, 8), y = x.copy();
        Rope.interleaved(y, t.cos(), t.sin(), 1, 8);
        for (int m = 0; m < 8; m += 2)
            assertThat((double) (y.getFloat(m) * y.getFloat(m) + y.getFloat(m + 1) * y.getFloat(m + 1)))
                    .isCloseTo(x.getFloat(m) * x.getFloat(m) + x.getFloat(m + 1) * x.getFloat(m + 1), org.assertj.core.data.Offset.offset(1e-5));
        assertThat(y.getFloat(8)).as("position 0 leaves the vector unchanged").isEqualTo(x.getFloat(8));
    }

    @Test
    void elementwiseWithBroadcasting() {
        Random r = new Random(6);
        int[][][] shapes = {
                {{4, 37}, {4, 37}}, {{4, 37}, {37}}, {{4, 37}, {4, 1}}, {{1, 37}, {5, 1}}, {{3, 1, 19}, {2, 19}},
                {{2, 3, 33}, {1}}, {{7}, {2, 3, 7}}};
        for (int[][] s : shapes) {
            Tensor a = random(r, DType.F32, 1, s[0]), b = random(r, DType.F32, 1, s[1]);
            String n = java.util.Arrays.deepToString(s);
            sweep("add " + n, 0, () -> Elementwise.add(a, b).toFloatArray());
            sweep("sub " + n, 0, () -> Elementwise.sub(a, b).toFloatArray());
            sweep("mul " + n, 0, () -> Elementwise.mul(a, b).toFloatArray());
            // against a naive broadcast
            Vectors.force("scalar");
            Tensor y = Elementwise.sub(a, b);
            int[] shape = y.shape();
            for (long i = 0; i < y.numel(); i++) {
                int[] idx = unflatten(i, shape);
                assertThat(y.getFloat(i)).as("sub " + n + " at " + i).isEqualTo(at(a, idx) - at(b, idx));
            }
            Vectors.force("preferred");
        }
        Tensor a = random(r, DType.F32, 1, 3, 41);
        sweep("scale", 0, () -> Elementwise.scale(a, 0.37f).toFloatArray());
        assertThatThrownBy(() -> Elementwise.add(Tensor.zeros(3, 4), Tensor.zeros(3))).hasMessageContaining("broadcast");
    }

    private static int[] unflatten(long i, int[] shape) {
        int[] idx = new int[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) { idx[d] = (int) (i % shape[d]); i /= shape[d]; }
        return idx;
    }

    private static float at(Tensor t, int[] outIdx) {
        int r = t.rank(), off = outIdx.length - r;
        int[] idx = new int[r];
        for (int d = 0; d < r; d++) idx[d] = t.size(d) == 1 ? 0 : outIdx[d + off];
        return t.get(idx);
    }

    @Test
    void upsampleAndPatchifyRoundTrip() {
        Random r = new Random(7);
        Tensor x = random(r, DType.F32, 1, 3, 5, 7);
        Tensor up = Upsample.nearest2x(x);
        assertThat(up.shape()).containsExactly(3, 10, 14);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 10; y++)
                for (int xx = 0; xx < 14; xx++) assertThat(up.get(c, y, xx)).isEqualTo(x.get(c, y / 2, xx / 2));
        Tensor lat = random(r, DType.F32, 1, 4, 6, 10);
        Tensor tok = Patchify.patchify(lat, 2);
        assertThat(tok.shape()).containsExactly(15, 16);
        // c (h p1) (w p2) -> (h w) (p1 p2 c)
        assertThat(tok.get(1 * 5 + 3, (1 * 2 + 0) * 4 + 2)).isEqualTo(lat.get(2, 1 * 2 + 1, 3 * 2 + 0));
        assertThat(Patchify.unpatchify(tok, 2, 4, 6, 10).toFloatArray()).isEqualTo(lat.toFloatArray());
        assertThatThrownBy(() -> Patchify.patchify(Tensor.zeros(1, 3, 4), 2)).hasMessageContaining("multiple of patch");
    }
}
