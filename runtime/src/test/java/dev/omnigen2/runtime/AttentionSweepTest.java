package dev.omnigen2.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Attention: the scalar twin against a naive double-precision softmax, the vector path at every width the
 * machine supports against the twin (GQA 1, 3, 8; causal with offset; padded keys with fully masked rows;
 * segments including length 1; odd head dims and vector tails), and bit-identity across thread counts.
 */
class AttentionSweepTest {
    @AfterEach
    void restore() {
        Vectors.force("preferred");
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    record Case(String name, int lq, int lk, int heads, int kvHeads, int hd, Attention.Mask mask) {}

    static Tensor random(Random r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) r.nextGaussian());
        return t;
    }

    static List<Case> cases() {
        Random r = new Random(7);
        List<Case> cs = new ArrayList<>();
        cs.add(new Case("mha", 37, 37, 2, 2, 16, Attention.Mask.NONE));
        cs.add(new Case("gqa3 odd hd", 29, 53, 6, 2, 13, Attention.Mask.NONE));
        cs.add(new Case("gqa8 causal", 33, 33, 8, 1, 24, Attention.Mask.causal(0)));
        cs.add(new Case("gqa3 causal offset (kv cache)", 5, 70, 3, 1, 40, Attention.Mask.causal(65)));
        cs.add(new Case("decode", 1, 131, 16, 2, 32, Attention.Mask.causal(130)));
        boolean[] valid = new boolean[45];
        for (int j = 0; j < valid.length; j++) valid[j] = r.nextInt(3) != 0;
        cs.add(new Case("padded keys", 20, 45, 4, 4, 20, Attention.Mask.keys(valid)));
        cs.add(new Case("all keys padded (zero rows)", 9, 45, 2, 1, 8, Attention.Mask.keys(new boolean[45])));
        boolean[] prefix = new boolean[40];
        for (int j = 0; j < 3; j++) prefix[j] = true;
        // causal + padding: rows before the first valid key see nothing; later rows see only the prefix
        cs.add(new Case("causal + tail padding", 40, 40, 3, 3, 16,
                new Attention.Mask(true, 0, shiftValid(prefix, 2), null)));
        cs.add(new Case("segments incl. length 1", 75, 75, 4, 2, 80,
                Attention.Mask.segments(new int[] {0, 1, 2, 40, 41, 41, 75})));
        cs.add(new Case("long gqa7 hd120", 300, 300, 21, 7, 120, Attention.Mask.NONE));
        boolean[] packedValid = new boolean[50];
        for (int j = 0; j < 50; j++) packedValid[j] = j % 7 != 3;
        cs.add(new Case("causal + segments + padding", 50, 50, 6, 2, 12,
                new Attention.Mask(true, 0, packedValid, new int[] {0, 17, 18, 50})));
        cs.add(new Case("no keys at all", 3, 0, 2, 1, 8, Attention.Mask.NONE));
        // Longer than several score tiles: the running max rises from tile to tile and the accumulators rescale.
        cs.add(new Case("keys over several score tiles", 30, 1300, 4, 2, 24, Attention.Mask.NONE));
        cs.add(new Case("causal over several score tiles", 26, 1300, 3, 1, 16, Attention.Mask.causal(1274)));
        boolean[] cacheValid = new boolean[90];
        for (int j = 0; j < 90; j++) cacheValid[j] = j % 5 != 0;
        cs.add(new Case("few queries, padded cache, causal offset", 3, 90, 6, 2, 40,
                new Attention.Mask(true, 86, cacheValid, null)));
        return cs;
    }

    private static boolean[] shiftValid(boolean[] v, int by) {
        boolean[] out = new boolean[v.length];
        for (int j = 0; j + by < v.length; j++) out[j + by] = v[j];
        return out;
    }

    @Test
    void scalarTwinMatchesNaiveDoubleSoftmax() {
        for (Case c : cases()) {
            Random r = new Random(c.name().hashCode());
            Tensor q = random(r, c.lq(), c.heads() * c.hd()), k = random(r, c.lk(), c.kvHeads() * c.hd()),
                    v = random(r, c.lk(), c.kvHeads() * c.hd());
            float scale = (float) (1 / Math.sqrt(c.hd()));
            Tensor out = Tensor.zeros(c.lq(), c.heads() * c.hd());
            Attention.forwardScalar(q, k, v, out, c.heads(), c.kvHeads(), c.hd(), scale, c.mask());
            double[] ref = naive(q, k, v, c, scale);
            assertClose(c.name() + " scalar vs double", out.toFloatArray(), ref, 2e-6);
        }
    }

    @Test
    void vectorMatchesScalarAtEveryWidthAndIsThreadCountInvariant() {
        for (Case c : cases()) {
            Random r = new Random(c.name().hashCode() + 1);
            Tensor q = random(r, c.lq(), c.heads() * c.hd()), k = random(r, c.lk(), c.kvHeads() * c.hd()),
                    v = random(r, c.lk(), c.kvHeads() * c.hd());
            float scale = (float) (1 / Math.sqrt(c.hd()));
            Tensor twin = Tensor.zeros(c.lq(), c.heads() * c.hd());
            Attention.forwardScalar(q, k, v, twin, c.heads(), c.kvHeads(), c.hd(), scale, c.mask());
            double[] exact = naive(q, k, v, c, scale);
            for (String width : Widths.supported()) {
                Vectors.force(width);
                float[] first = null;
                for (int threads : new int[] {1, 2, 3}) {
                    Parallel.setThreads(threads);
                    Tensor out = Attention.forward(q, k, v, c.heads(), c.kvHeads(), c.hd(), scale, c.mask());
                    float[] y = out.toFloatArray();
                    if (first == null) {
                        first = y;
                        // the vector path folds scale·log2(e) into Q (one more rounding) and sums in another order
                        assertClose(c.name() + " " + width + " vs scalar twin", y, toDouble(twin.toFloatArray()), 4e-6);
                        assertClose(c.name() + " " + width + " vs double", y, exact, 3e-6);
                    } else {
                        assertThat(y).as(c.name() + " " + width + " threads " + threads + " bit-identical").isEqualTo(first);
                    }
                }
            }
        }
    }

    @Test
    void keyPanelTransposeAndQueryScalingMatchTheirDefinitions() {
        Random r = new Random(5);
        KernelCheck.forEachSpecies(sp -> {
            if (Vectors.scalar()) return;
            OpKernels kern = OpKernels.of(Vectors.floats());
            int nr = 2 * kern.lanes();
            for (int n : new int[] {1, 13, 128}) {
                int stride = n + 16;
                float[] src = new float[nr * stride];
                for (int i = 0; i < src.length; i++) src[i] = (float) r.nextGaussian();
                float[] dst = new float[3 + n * nr];
                kern.transposeRows(src, stride, n, dst, 3);
                for (int t = 0; t < n; t++)
                    for (int c = 0; c < nr; c++)
                        assertThat(dst[3 + t * nr + c]).as(sp + " n " + n + " step " + t + " row " + c).isEqualTo(src[t + c * stride]);
            }
            for (int n : new int[] {1, kern.lanes() - 1, kern.lanes(), 3 * kern.lanes() + 5}) {
                Tensor x = random(r, n + 2);
                float[] dst = new float[n + 4];
                kern.scaleFrom(x.data(), 8, 0.37f, dst, 1, n);
                for (int i = 0; i < n + 4; i++)
                    assertThat(dst[i]).as(sp + " n " + n + " at " + i)
                            .isEqualTo(i >= 1 && i <= n ? x.getFloat(i + 1) * 0.37f : 0f);
            }
        });
    }

    @Test
    void fullyMaskedRowsAreZeroNotNaN() {
        Random r = new Random(3);
        Tensor q = random(r, 4, 8), k = random(r, 6, 8), v = random(r, 6, 8);
        for (String width : Widths.supported()) {
            Vectors.force(width);
            float[] y = Attention.forward(q, k, v, 1, 1, 8, 1f, Attention.Mask.keys(new boolean[6])).toFloatArray();
            assertThat(y).containsOnly(0f);
        }
    }

    static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** Max abs error relative to the max abs of the reference (outputs are convex mixes of V, |V| ~ 1). */
    static void assertClose(String what, float[] y, double[] ref, double tol) {
        assertThat(y.length).as(what + " length").isEqualTo(ref.length);
        double maxErr = 0, maxRef = 1e-30;
        for (int i = 0; i < y.length; i++) {
            assertThat(Float.isFinite(y[i])).as(what + " finite at " + i).isTrue();
            maxErr = Math.max(maxErr, Math.abs(y[i] - ref[i]));
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        assertThat(maxErr / maxRef).as(what + " max error / max |ref|").isLessThanOrEqualTo(tol);
    }

    /** Straightforward double-precision attention with an explicit mask, one (row, head) at a time. */
    static double[] naive(Tensor q, Tensor k, Tensor v, Case c, float scale) {
        int h = c.heads(), kvh = c.kvHeads(), hd = c.hd(), g = h / kvh;
        Attention.Mask m = c.mask();
        float[] qa = q.toFloatArray(), ka = k.toFloatArray(), va = v.toFloatArray();
        double[] out = new double[c.lq() * h * hd];
        for (int i = 0; i < c.lq(); i++) {
            for (int head = 0; head < h; head++) {
                int kh = head / g;
                double[] s = new double[c.lk()];
                boolean[] see = new boolean[c.lk()];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < c.lk(); j++) {
                    boolean ok = m.keyValid() == null || m.keyValid()[j];
                    if (m.causal() && j > m.causalOffset() + i) ok = false;
                    if (m.segments() != null && segmentOf(m.segments(), i) != segmentOf(m.segments(), j)) ok = false;
                    if (!ok) continue;
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += (double) qa[(i * h + head) * hd + d] * ka[(j * kvh + kh) * hd + d];
                    s[j] = dot * scale;
                    see[j] = true;
                    max = Math.max(max, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < c.lk(); j++) if (see[j]) sum += Math.exp(s[j] - max);
                for (int d = 0; d < hd; d++) {
                    double acc = 0;
                    for (int j = 0; j < c.lk(); j++) if (see[j]) acc += Math.exp(s[j] - max) * va[(j * kvh + kh) * hd + d];
                    out[(i * h + head) * hd + d] = sum == 0 ? 0 : acc / sum;
                }
            }
        }
        return out;
    }

    static int segmentOf(int[] seg, int i) {
        for (int s = 0; s + 1 < seg.length; s++) if (i >= seg[s] && i < seg[s + 1]) return s;
        return -1;
    }
}
