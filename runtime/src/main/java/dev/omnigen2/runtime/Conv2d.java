package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * 2-D convolution of one image x [Cin, H, W] (F32) with weight [Cout, Cin, kh, kw] (stored dtype: F32, BF16,
 * F16), bias [Cout] or null, stride s and explicit (top, left, bottom, right) zero padding → [Cout, Ho, Wo].
 *
 * <p>The vector path is an implicit GEMM (out[co, pixel] = Σ_k W[co, k]·X[k, pixel], k = (ci, ky, kx)): one task
 * per output row copies the kh input rows it needs, zero-padded and split into s column phases, into a
 * per-thread buffer, so every tap (ci, ky, kx) is a contiguous run of the buffer for any stride; then a 6-Cout ×
 * 2-vector register block runs over all taps. Weights are widened to F32 once per call. Memory beyond the output
 * is one row band per thread and the packed weights. Results do not depend on the thread count.
 */
public final class Conv2d {
    private Conv2d() {}

    public static Tensor forward(Tensor x, Tensor w, Tensor bias, int stride, int padTop, int padLeft, int padBottom, int padRight) {
        if (x.rank() != 3 || w.rank() != 4)
            throw new IllegalArgumentException("conv2d: input " + x + " must be [Cin, H, W] and weight " + w + " [Cout, Cin, kh, kw]");
        int cin = x.size(0), h = x.size(1), wd = x.size(2);
        int cout = w.size(0), kh = w.size(2), kw = w.size(3);
        if (w.size(1) != cin) throw new IllegalArgumentException("conv2d: input " + x + " vs weight " + w);
        if (bias != null && bias.numel() != cout) throw new IllegalArgumentException("conv2d: bias " + bias + " for " + cout + " output channels");
        if (stride < 1 || padTop < 0 || padLeft < 0 || padBottom < 0 || padRight < 0)
            throw new IllegalArgumentException("conv2d: stride " + stride + " and padding must be positive / non-negative");
        int ho = (h + padTop + padBottom - kh) / stride + 1;
        int wo = (wd + padLeft + padRight - kw) / stride + 1;
        if (ho <= 0 || wo <= 0) throw new IllegalArgumentException("conv2d: empty output for input " + x + " and weight " + w);
        Tensor out = Tensor.zeros(cout, ho, wo);
        Tensor xf = x.toF32();
        if (Vectors.scalar()) forwardScalar(xf, w, bias, stride, padTop, padLeft, out);
        else ConvKernel.forward(xf, w, bias, stride, padTop, padLeft, out, Vectors.floats());
        return out;
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
