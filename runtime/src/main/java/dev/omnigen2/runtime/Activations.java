package dev.omnigen2.runtime;

/** Pointwise activations and row softmax on F32 tensors; input and output may be the same tensor. */
public final class Activations {
    private Activations() {}

    public static float silu(float x) { return x / (1f + (float) Math.exp(-x)); }

    public static float geluTanh(float x) {
        return 0.5f * x * (1f + (float) Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    }

    public static float geluErf(float x) { return (float) (0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)))); }

    public static void silu(Tensor x, Tensor out) { for (long i = 0; i < x.numel(); i++) out.setFloat(i, silu(x.getFloat(i))); }

    public static void geluTanh(Tensor x, Tensor out) { for (long i = 0; i < x.numel(); i++) out.setFloat(i, geluTanh(x.getFloat(i))); }

    public static void geluErf(Tensor x, Tensor out) { for (long i = 0; i < x.numel(); i++) out.setFloat(i, geluErf(x.getFloat(i))); }

    /** {@code out = silu(gate) · up}. */
    public static void swiglu(Tensor gate, Tensor up, Tensor out) {
        for (long i = 0; i < gate.numel(); i++) out.setFloat(i, silu(gate.getFloat(i)) * up.getFloat(i));
    }

    /** Softmax over the last dimension. */
    public static void softmax(Tensor x, Tensor out) {
        int d = x.size(-1);
        int rows = (int) (x.numel() / d);
        for (int r = 0; r < rows; r++) {
            long o = (long) r * d;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < d; i++) max = Math.max(max, x.getFloat(o + i));
            float sum = 0;
            for (int i = 0; i < d; i++) { float e = (float) Math.exp(x.getFloat(o + i) - max); out.setFloat(o + i, e); sum += e; }
            for (int i = 0; i < d; i++) out.setFloat(o + i, out.getFloat(o + i) / sum);
        }
    }

    /** erf in double precision (Abramowitz–Stegun 7.1.26 is too coarse; this uses a series / continued fraction). */
    static final class Erf {
        static double erf(double x) {
            double ax = Math.abs(x);
            double r;
            if (ax < 2.5) { // Maclaurin series
                double term = ax, sum = ax, x2 = ax * ax;
                for (int n = 1; n < 200; n++) {
                    term *= -x2 / n;
                    double add = term / (2 * n + 1);
                    sum += add;
                    if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
                }
                r = 2 / Math.sqrt(Math.PI) * sum;
            } else { // continued fraction for erfc
                double f = 0;
                for (int n = 60; n >= 1; n--) f = n / 2.0 / (ax + f);
                r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
            }
            return x < 0 ? -r : r;
        }
    }
}
