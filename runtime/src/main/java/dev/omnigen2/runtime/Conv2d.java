package dev.omnigen2.runtime;

/**
 * 2-D convolution of one image x [Cin, H, W] with weight [Cout, Cin, kh, kw] (stored dtype), bias [Cout]
 * or null, stride s and explicit (top, left, bottom, right) zero padding → [Cout, Ho, Wo].
 */
public final class Conv2d {
    private Conv2d() {}

    public static Tensor forward(Tensor x, Tensor w, Tensor bias, int stride, int padTop, int padLeft, int padBottom, int padRight) {
        int cin = x.size(0), h = x.size(1), wd = x.size(2);
        int cout = w.size(0), kh = w.size(2), kw = w.size(3);
        if (w.size(1) != cin) throw new IllegalArgumentException("conv2d: input " + x + " vs weight " + w);
        int ho = (h + padTop + padBottom - kh) / stride + 1;
        int wo = (wd + padLeft + padRight - kw) / stride + 1;
        Tensor out = Tensor.zeros(cout, ho, wo);
        Parallel.forEach(cout, co -> {
            float b = bias == null ? 0f : bias.getFloat(co);
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
                                acc += x.getFloat(((long) ci * h + iy) * wd + ix)
                                        * w.getFloat((((long) co * cin + ci) * kh + ky) * kw + kx);
                            }
                        }
                    }
                    out.setFloat(((long) co * ho + oy) * wo + ox, acc + b);
                }
            }
        });
        return out;
    }

    /** Same-size padding (k/2 on every side), stride 1. */
    public static Tensor same(Tensor x, Tensor w, Tensor bias) {
        int p = w.size(2) / 2;
        return forward(x, w, bias, 1, p, p, p, p);
    }
}
