package dev.omnigen2.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * 2-D convolution of one image x [Cin, H, W] (F32) with weight [Cout, Cin, kh, kw] (stored dtype: F32, BF16,
 * F16), bias [Cout] or null, stride s and explicit (top, left, bottom, right) zero padding → [Cout, Ho, Wo].
 *
 * <p>The vector path is an implicit GEMM (out[co, pixel] = Σ_k W[co, k]·X[k, pixel], k = (ci, ky, kx)): one task
 * per output row copies the kh input rows it needs, zero-padded and split into s column phases, into a
 * per-thread buffer, so every tap (ci, ky, kx) is a contiguous run of the buffer for any stride; then a 6-Cout ×
 * 2-vector register block runs over all taps. Weights are packed once per {@link Packed}, off the Java heap and in
 * BF16 when stored so (widened to F32 in registers, which is exact), else in F32 (blocks that run a convolution
 * repeatedly hold one from {@link #prepare}); the plain {@code forward} packs per call. Memory beyond the output is
 * one row band per thread and the packed weights. Results do not depend on the thread count.
 */
public final class Conv2d {
    private Conv2d() {}

    public static Tensor forward(Tensor x, Tensor w, Tensor bias, int stride, int padTop, int padLeft, int padBottom, int padRight) {
        try (Arena arena = Arena.ofShared()) {
            return forward(x, new Packed(w, bias, arena), stride, padTop, padLeft, padBottom, padRight);
        }
    }

    /**
     * Weights (and bias) of one convolution, packed for the kernel once, at the first vector call, then reused: a
     * model block holds one per convolution instead of repacking [Cout, Cin, kh, kw] every call. The packed copy
     * lives off the Java heap, 2 bytes per weight for BF16 weights and 4 for F32 and F16 ones (F16 is widened to F32
     * when packing), and is freed when the Packed is collected; see {@link #prepare(Tensor, Tensor, Arena)} to free
     * it at a known time.
     */
    public static Packed prepare(Tensor w, Tensor bias) { return new Packed(w, bias, null); }

    /**
     * As {@link #prepare(Tensor, Tensor)} with the packed copy allocated from {@code arena} (at the first vector
     * call, possibly on a pool thread, so the arena must accept allocations from any thread: shared, global or
     * automatic) and freed when the caller closes it; a convolution run after that fails with an
     * {@link IllegalStateException}. A model holds one arena for all its convolutions and closes it with itself.
     */
    public static Packed prepare(Tensor w, Tensor bias, Arena arena) {
        java.util.Objects.requireNonNull(arena, "conv2d: arena for the packed weights of " + w);
        return new Packed(w, bias, arena);
    }

    /** As {@link #forward(Tensor, Tensor, Tensor, int, int, int, int, int)} with prepared weights. */
    public static Tensor forward(Tensor x, Packed p, int stride, int padTop, int padLeft, int padBottom, int padRight) {
        Tensor out = Tensor.zeros(p.cout, outSize(x.size(1), padTop + padBottom, p.kh, stride, x, p),
                outSize(x.size(2), padLeft + padRight, p.kw, stride, x, p));
        forward(x, p, stride, padTop, padLeft, padBottom, padRight, out);
        return out;
    }

    /**
     * As above into {@code out} [Cout, Ho, Wo] (F32, every element overwritten; must not overlap x), so that
     * callers can reuse workspaces.
     */
    public static void forward(Tensor x, Packed p, int stride, int padTop, int padLeft, int padBottom, int padRight, Tensor out) {
        run(x, null, p, stride, padTop, padLeft, padBottom, padRight, false, false, out);
    }

    /**
     * The convolution of {@code norm}(x) — x normalised element by element as it is read, equal bit for bit to
     * convolving the output of {@link Norms#groupNorm} — into {@code out}; with {@code accumulate} the result is
     * added to what {@code out} holds (out = conv + out, e.g. a residual connection written in place). Neither
     * the normalised input nor the convolution's own output is ever materialised; x is not modified. norm may be
     * null (x as it is). out must not overlap x.
     */
    public static void forward(Tensor x, GroupNormInput norm, Packed p, int stride, int padTop, int padLeft, int padBottom,
                               int padRight, boolean accumulate, Tensor out) {
        if (norm != null && norm.channels != x.size(0))
            throw new IllegalArgumentException("conv2d: norm for " + norm.channels + " channels, input " + x);
        run(x, norm, p, stride, padTop, padLeft, padBottom, padRight, false, accumulate, out);
    }

    /**
     * Nearest-neighbour ×2 upsampling of x [Cin, H, W] followed by a same-padded stride-1 convolution, into
     * {@code out} [Cout, 2H, 2W]; equal to {@code same(Upsample.nearest2x(x), w, bias)} without materialising the
     * upsampled input (4× the size of x).
     */
    public static void upsample2xSame(Tensor x, Packed p, Tensor out) {
        int pv = p.kh / 2, ph = p.kw / 2;
        run(x, null, p, 1, pv, ph, pv, ph, true, false, out);
    }

    private static void run(Tensor x, GroupNormInput norm, Packed p, int stride, int padTop, int padLeft, int padBottom,
                            int padRight, boolean up2, boolean accumulate, Tensor out) {
        if (x.rank() != 3) throw new IllegalArgumentException("conv2d: input " + x + " must be [Cin, H, W] for weight " + p.weight);
        int f = up2 ? 2 : 1;
        int cin = x.size(0), h = f * x.size(1), wd = f * x.size(2);
        if (cin != p.cin) throw new IllegalArgumentException("conv2d: input " + x + " vs weight " + p.weight);
        if (stride < 1 || padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0)
            throw new IllegalArgumentException("conv2d: stride " + stride + " and padding must be positive / non-negative");
        int ho = outSize(h, padTop + padBottom, p.kh, stride, x, p), wo = outSize(wd, padLeft + padRight, p.kw, stride, x, p);
        if (out.rank() != 3 || out.dtype() != DType.F32 || out.size(0) != p.cout || out.size(1) != ho || out.size(2) != wo)
            throw new IllegalArgumentException("conv2d: out " + out + " must be F32 [" + p.cout + ", " + ho + ", " + wo + "]");
        Tensor xf = x.toF32();
        if (Vectors.scalar()) {
            // the twin materialises what the vector path computes on the fly
            if (norm != null) {
                Tensor normed = Tensor.zeros(xf.shape());
                norm.apply(xf, normed);
                xf = normed;
            }
            Tensor conv = accumulate ? Tensor.zeros(out.shape()) : out;
            forwardScalar(up2 ? Upsample.nearest2x(xf) : xf, p.weight, p.bias, stride, padTop, padLeft, conv);
            if (accumulate) Elementwise.add(conv, out, out);
        } else {
            ConvKernel.forward(xf, norm, up2, p, stride, padTop, padLeft, accumulate, out, Vectors.floats());
        }
    }

    private static int outSize(int n, int pad, int k, int stride, Tensor x, Packed p) {
        int o = (n + pad - k) / stride + 1;
        if (n + pad < k || o <= 0) throw new IllegalArgumentException("conv2d: empty output for input " + x + " and weight " + p.weight);
        return o;
    }

    /** See {@link #prepare}. */
    public static final class Packed {
        final Tensor weight, bias;
        final int cout, cin, kh, kw;
        /** Packed in BF16 (the stored dtype) rather than F32. */
        final boolean bf16;
        private final Arena arena;
        private volatile MemorySegment packed;
        private float[] packedBias;

        private Packed(Tensor w, Tensor bias, Arena arena) {
            if (w.rank() != 4) throw new IllegalArgumentException("conv2d: weight " + w + " must be [Cout, Cin, kh, kw]");
            cout = w.size(0); cin = w.size(1); kh = w.size(2); kw = w.size(3);
            if (bias != null && bias.numel() != cout) throw new IllegalArgumentException("conv2d: bias " + bias + " for " + cout + " output channels");
            this.weight = w;
            this.bias = bias;
            this.bf16 = w.dtype() == DType.BF16;
            this.arena = arena;
        }

        public Tensor weight() { return weight; }

        /** Bytes of the packed weights once packed (0 before the first vector call). */
        public long packedBytes() {
            MemorySegment wp = packed;
            return wp == null ? 0 : wp.byteSize();
        }

        /**
         * Packed weights, element (cb·taps + k)·MR + r for blocks of MR output channels (rows past Cout are 0), in
         * BF16 when {@link #bf16}, else F32.
         */
        MemorySegment packedWeights() {
            MemorySegment wp = packed;
            if (wp == null) {
                synchronized (this) {
                    wp = packed;
                    if (wp == null) {
                        packedBias = ConvKernel.packBias(bias, cout);
                        packed = wp = ConvKernel.packWeights(weight, bf16, arena == null ? Arena.ofAuto() : arena);
                        // From now on the vector path reads only the packed copy: let the OS drop the memory-mapped
                        // source pages from this process's resident set (clean file pages: a later read, e.g. by
                        // the scalar twin, faults them back in from the page cache).
                        if (weight.data().isMapped()) weight.data().unload();
                    }
                }
            }
            return wp;
        }

        float[] packedBias() { packedWeights(); return packedBias; }
    }

    /** Same-size padding (k/2 on every side), stride 1. */
    public static Tensor same(Tensor x, Tensor w, Tensor bias) {
        int p = w.size(2) / 2;
        return forward(x, w, bias, 1, p, p, p, p);
    }

    /** Scalar twin: direct convolution, one output channel per task, taps summed in (ci, ky, kx) order. */
    static void forwardScalar(Tensor x, Tensor w, Tensor bias, int stride, int padTop, int padLeft, Tensor out) {
        int cin = x.size(0), h = x.size(1), wd = x.size(2);
        int cout = w.size(0), kh = w.size(2), kw = w.size(3);
        int ho = out.size(1), wo = out.size(2);
        MemorySegment xs = x.data(), os = out.data();
        Parallel.forEach(cout, co -> {
            float b = bias == null ? 0f : bias.getFloat(co);
            float[] wt = new float[cin * kh * kw];
            for (int i = 0; i < wt.length; i++) wt[i] = w.getFloat((long) co * wt.length + i);
            for (int oy = 0; oy < ho; oy++) {
                for (int ox = 0; ox < wo; ox++) {
                    float acc = 0;
                    for (int ci = 0; ci < cin; ci++) {
                        for (int ky = 0; ky < kh; ky++) {
                            int iy = oy * stride + ky - padTop;
                            if (iy < 0 || iy >= h) continue;
                            for (int kx = 0; kx < kw; kx++) {
                                int ix = ox * stride + kx - padLeft;
                                if (ix < 0 || ix >= wd) continue;
                                acc += xs.getAtIndex(Tensor.F32, ((long) ci * h + iy) * wd + ix) * wt[(ci * kh + ky) * kw + kx];
                            }
                        }
                    }
                    os.setAtIndex(Tensor.F32, ((long) co * ho + oy) * wo + ox, acc + b);
                }
            }
        });
    }
}
