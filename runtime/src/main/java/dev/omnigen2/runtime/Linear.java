package dev.omnigen2.runtime;

/**
 * {@code Y = X·Wᵀ + b}: X F32 [M, K], W [N, K] in its stored dtype (F32, BF16, F16), b [N] or null,
 * Y F32 [M, N]. X and Y may carry leading batch dimensions (flattened into M).
 */
public final class Linear {
    private Linear() {}

    public static Tensor forward(Tensor x, Tensor w, Tensor bias) {
        int k = x.size(-1);
        int n = w.size(0);
        int[] s = x.shape();
        s[s.length - 1] = n;
        Tensor y = Tensor.zeros(s);
        forward(x, w, bias, y);
        return y;
    }

    public static void forward(Tensor x, Tensor w, Tensor bias, Tensor y) {
        int k = x.size(-1);
        int n = w.size(0);
        if (w.size(1) != k) throw new IllegalArgumentException("linear: x " + x + " vs weight " + w);
        int m = (int) (x.numel() / k);
        if (y.numel() != (long) m * n) throw new IllegalArgumentException("linear: output " + y + " for x " + x + " and weight " + w);
        Parallel.forEach(m, i -> {
            for (int j = 0; j < n; j++) {
                float acc = 0;
                long xo = (long) i * k, wo = (long) j * k;
                for (int t = 0; t < k; t++) acc += x.getFloat(xo + t) * w.getFloat(wo + t);
                if (bias != null) acc += bias.getFloat(j);
                y.setFloat((long) i * n + j, acc);
            }
        });
    }
}
