package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * Pointwise activations and row softmax on F32 tensors; input and output may be the same tensor. The vector
 * paths use the polynomial exp of {@link VecMath} (≤ ~2 ulp); GELU-tanh is evaluated as x·sigmoid(2y), which
 * equals 0.5·x·(1 + tanh(y)) without its cancellation for very negative x. GELU-erf stays scalar (parallel): it
 * appears only in the small Qwen vision merger. Results do not depend on the thread count.
 */
public final class Activations {
    private Activations() {}

    public static float silu(float x) { return x / (1f + (float) Math.exp(-x)); }

    public static float geluTanh(float x) {
        return 0.5f * x * (1f + (float) Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    }

    public static float geluErf(float x) { return (float) (0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)))); }

    public static void silu(Tensor x, Tensor out) { unary(OpKernels.SILU, x, out); }

    public static void geluTanh(Tensor x, Tensor out) { unary(OpKernels.GELU_TANH, x, out); }

    public static void geluErf(Tensor x, Tensor out) {
        check(x, out, "geluErf");
        chunks(x.numel(), (i, n) -> { for (long j = i; j < i + n; j++) out.setFloat(j, geluErf(x.getFloat(j))); });
    }

    /** {@code out = silu(gate) · up}. */
    public static void swiglu(Tensor gate, Tensor up, Tensor out) {
        check(gate, out, "swiglu");
        check(up, out, "swiglu");
        if (Vectors.scalar()) {
            chunks(gate.numel(), (i, n) -> {
                for (long j = i; j < i + n; j++) out.setFloat(j, silu(gate.getFloat(j)) * up.getFloat(j));
            });
            return;
        }
        OpKernels k = OpKernels.of(Vectors.floats());
        MemorySegment g = gate.data(), u = up.data(), o = out.data();
        chunks(gate.numel(), (i, n) -> k.swiglu(g, 4 * i, u, 4 * i, o, 4 * i, n));
    }

    /** Softmax over the last dimension. */
    public static void softmax(Tensor x, Tensor out) {
        check(x, out, "softmax");
        int d = x.size(-1);
        int rows = (int) (x.numel() / d);
        if (Vectors.scalar()) {
            Norms.forRows(rows, d, r -> softmaxRowScalar(x, out, (long) r * d, d));
            return;
        }
        OpKernels k = OpKernels.of(Vectors.floats());
        MemorySegment xs = x.data(), os = out.data();
        Norms.forRows(rows, d, r -> k.softmax(xs, 4L * r * d, os, 4L * r * d, d));
    }

    private static void softmaxRowScalar(Tensor x, Tensor out, long o, int d) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < d; i++) max = Math.max(max, x.getFloat(o + i));
        float sum = 0;
        for (int i = 0; i < d; i++) { float e = (float) Math.exp(x.getFloat(o + i) - max); out.setFloat(o + i, e); sum += e; }
        for (int i = 0; i < d; i++) out.setFloat(o + i, out.getFloat(o + i) / sum);
    }

    private static void unary(int op, Tensor x, Tensor out) {
        check(x, out, op == OpKernels.SILU ? "silu" : "geluTanh");
        if (Vectors.scalar()) {
            chunks(x.numel(), (i, n) -> {
                for (long j = i; j < i + n; j++) {
                    float v = x.getFloat(j);
                    out.setFloat(j, op == OpKernels.SILU ? silu(v) : geluTanh(v));
                }
            });
            return;
        }
        OpKernels k = OpKernels.of(Vectors.floats());
        MemorySegment xs = x.data(), os = out.data();
        chunks(x.numel(), (i, n) -> k.unary(op, xs, 4 * i, os, 4 * i, n));
    }

    private static void check(Tensor x, Tensor out, String op) {
        if (x.dtype() != DType.F32 || out.dtype() != DType.F32 || x.numel() != out.numel())
            throw new IllegalArgumentException(op + ": input " + x + " and output " + out + " must be F32 of one size");
    }

    interface Range { void run(long start, int n); }

    /** Runs body over [0, n) in fixed chunks of {@link Norms#CHUNK} elements, in parallel. */
    static void chunks(long n, Range body) {
        long tasks = (n + Norms.CHUNK - 1) / Norms.CHUNK;
        if (tasks > Integer.MAX_VALUE) throw new IllegalArgumentException("tensor too large: " + n + " elements");
        Parallel.forEach((int) tasks, t -> {
            long start = (long) t * Norms.CHUNK;
            body.run(start, (int) Math.min(Norms.CHUNK, n - start));
        });
    }

    /** erf in double precision (Abramowitz–Stegun 7.1.26 is too coarse; this uses a series / continued fraction). */
    static final class Erf {
        /** Terms enough for |x| < 2.5 (the last ones there are below 1e-17 of the sum). */
        private static final int SERIES_TERMS = 200;
        /** INV[i] = 1 / i. */
        private static final double[] INV = new double[2 * SERIES_TERMS + 2];

        static {
            for (int i = 1; i < INV.length; i++) INV[i] = 1.0 / i;
        }

        static double erf(double x) {
            double ax = Math.abs(x);
            double r;
            if (ax < 2.5) { // Maclaurin series (reciprocals from tables: no division in the loop, 5x faster)
                double term = ax, sum = ax, x2 = ax * ax;
                for (int n = 1; n < SERIES_TERMS; n++) {
                    term *= -x2 * INV[n];
                    double add = term * INV[2 * n + 1];
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
