package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * {@code Y = X·Wᵀ + b}: X F32 [M, K], W [N, K] in its stored dtype (F32, BF16, F16), b [N] (any float dtype) or
 * null, Y F32 [M, N]. X and Y may carry leading batch dimensions (flattened into M).
 *
 * <p>The path is chosen by shape only (never by thread count, so results are bit-identical for any number of
 * threads): up to {@link #STREAMED_MAX_ROWS} rows of X (default 64, {@code -Domnigen2.linear.streamedRows}) the
 * weight rows are streamed straight from the (memory-mapped) checkpoint and dotted with every X row
 * ({@link StreamedLinear}: decoding and short prompts are bound by memory bandwidth, and packing the weights would
 * cost more than it saves); above, weights are packed per call into cache-sized panels for a register-blocked GEMM
 * ({@link PackedLinear}: compute bound). With {@code -Domnigen2.vector=scalar} the scalar twin {@link #scalar} runs
 * instead.
 */
public final class Linear {
    /** Largest M served by the streamed (GEMV-like) path. */
    static final int STREAMED_MAX_ROWS = Integer.getInteger("omnigen2.linear.streamedRows", 64);

    private Linear() {}

    public static Tensor forward(Tensor x, Tensor w, Tensor bias) {
        Tensor y = outputFor(x, w);
        forward(x, w, bias, y);
        return y;
    }

    public static void forward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        forward(x, w, bias, y, Path.BY_SHAPE);
    }

    /** Which algorithm runs: chosen from M, or forced (tests cover both paths whatever the threshold). */
    enum Path { BY_SHAPE, STREAMED, PACKED }

    static void forward(Tensor x, Tensor w, Tensor bias, Tensor y, Path path) {
        int m = check(x, w, bias, y);
        int k = x.size(-1), n = w.size(0);
        if (m == 0 || n == 0) return;
        if (Vectors.scalar()) {
            scalar(x, w, bias, y);
            return;
        }
        LinearKernels kernels = LinearKernels.of(Vectors.floats());
        float[] b = biasArray(bias, n, 2 * kernels.lanes());
        if (k == 0) {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) y.data().setAtIndex(Tensor.F32, (long) i * n + j, b == null ? 0f : b[j]);
        } else if (path == Path.STREAMED || path == Path.BY_SHAPE && m <= STREAMED_MAX_ROWS) {
            StreamedLinear.run(kernels, x.data(), w, b, y.data(), m, k, n);
        } else {
            PackedLinear.run(kernels, x.data(), w, b, y.data(), m, k, n);
        }
    }

    /**
     * Several products of the same x: {@code ys[i] = x·ws[i]ᵀ + biases[i]} (biases may be null, or hold nulls).
     * Bit-identical to calling {@link #forward(Tensor, Tensor, Tensor, Tensor)} for each; with few rows of x
     * (decoding: q/k/v, gate/up) the products share one pass over the worker pool instead of one fork/join each.
     */
    public static void forwardAll(Tensor x, Tensor[] ws, Tensor[] biases, Tensor[] ys) {
        if (ws.length != ys.length || biases != null && biases.length != ws.length)
            throw new IllegalArgumentException("linear: " + ws.length + " weights, " + ys.length + " outputs and "
                    + (biases == null ? "no" : biases.length) + " biases");
        int m = 0;
        for (int i = 0; i < ws.length; i++) m = check(x, ws[i], biases == null ? null : biases[i], ys[i]);
        int k = x.size(-1);
        if (ws.length == 0) return;
        if (Vectors.scalar() || m == 0 || k == 0 || m > STREAMED_MAX_ROWS) {
            for (int i = 0; i < ws.length; i++) forward(x, ws[i], biases == null ? null : biases[i], ys[i]);
            return;
        }
        LinearKernels kernels = LinearKernels.of(Vectors.floats());
        StreamedLinear.Product[] products = new StreamedLinear.Product[ws.length];
        for (int i = 0; i < ws.length; i++) {
            int n = ws[i].size(0);
            products[i] = new StreamedLinear.Product(ws[i], biasArray(biases == null ? null : biases[i], n, 2 * kernels.lanes()),
                    ys[i].data(), n);
        }
        StreamedLinear.runAll(kernels, x.data(), products, m, k);
    }

    /** As {@link #forwardAll(Tensor, Tensor[], Tensor[], Tensor[])} into new F32 tensors [rows of x, N_i]. */
    public static Tensor[] forwardAll(Tensor x, Tensor[] ws, Tensor[] biases) {
        Tensor[] ys = new Tensor[ws.length];
        for (int i = 0; i < ws.length; i++) ys[i] = outputFor(x, ws[i]);
        forwardAll(x, ws, biases, ys);
        return ys;
    }

    /** A zero F32 tensor shaped like x with the last dimension N of w. */
    static Tensor outputFor(Tensor x, Tensor w) {
        int[] s = x.shape();
        if (s.length == 0 || w.rank() != 2)
            throw new IllegalArgumentException("linear: x " + x + " must have rank >= 1 and weight " + w + " rank 2");
        s[s.length - 1] = w.size(0);
        return Tensor.zeros(s);
    }

    /**
     * The scalar twin: the same product with one float accumulator per output element, summed in K order, then the
     * bias added. The reference of the kernel tests and the path of {@code -Domnigen2.vector=scalar}.
     */
    public static void scalar(Tensor x, Tensor w, Tensor bias, Tensor y) {
        int m = check(x, w, bias, y);
        int k = x.size(-1), n = w.size(0);
        MemorySegment xs = x.data(), ys = y.data();
        Parallel.forEach(n, j -> {
            float[] row = new float[k];
            for (int t = 0; t < k; t++) row[t] = w.getFloat((long) j * k + t);
            float b = bias == null ? 0f : bias.getFloat(j);
            for (int i = 0; i < m; i++) {
                float acc = 0;
                long xo = (long) i * k;
                for (int t = 0; t < k; t++) acc += xs.getAtIndex(Tensor.F32, xo + t) * row[t];
                ys.setAtIndex(Tensor.F32, (long) i * n + j, acc + b);
            }
        });
    }

    /** Validates the operands; returns M. */
    private static int check(Tensor x, Tensor w, Tensor bias, Tensor y) {
        if (w.rank() != 2) throw new IllegalArgumentException("linear: weight must be [N, K], got " + w);
        if (w.dtype() != DType.F32 && w.dtype() != DType.BF16 && w.dtype() != DType.F16)
            throw new IllegalArgumentException("linear: weight dtype must be F32, BF16 or F16, got " + w);
        if (x.dtype() != DType.F32) throw new IllegalArgumentException("linear: x must be F32, got " + x);
        if (y.dtype() != DType.F32) throw new IllegalArgumentException("linear: output must be F32, got " + y);
        if (x.rank() == 0) throw new IllegalArgumentException("linear: x must have rank >= 1, got " + x);
        int k = x.size(-1), n = w.size(0);
        if (w.size(1) != k) throw new IllegalArgumentException("linear: x " + x + " vs weight " + w);
        long m = 1;
        for (int d = 0; d < x.rank() - 1; d++) m *= x.size(d);
        if (m > Integer.MAX_VALUE) throw new IllegalArgumentException("linear: too many rows in " + x);
        if (y.numel() != m * n || y.size(-1) != n)
            throw new IllegalArgumentException("linear: output " + y + " for x " + x + " and weight " + w);
        if (bias != null && (bias.numel() != n || !bias.dtype().isFloating()))
            throw new IllegalArgumentException("linear: bias must hold " + n + " floats, got " + bias);
        return (int) m;
    }

    /** The bias as floats, zero-padded to a multiple of {@code pad}, or null. */
    static float[] biasArray(Tensor bias, int n, int pad) {
        if (bias == null) return null;
        float[] b = new float[(n + pad - 1) / pad * pad];
        for (int j = 0; j < n; j++) b[j] = bias.getFloat(j);
        return b;
    }
}
