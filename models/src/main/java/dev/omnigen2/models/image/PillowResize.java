package dev.omnigen2.models.image;

/**
 * Pillow's 8-bit resampling ({@code Image.resize} with {@code reducing_gap=None}), reproduced bit for bit:
 * a separable convolution, horizontal pass first (into a uint8 image) then vertical, each pass only when that
 * side changes. Downscaling widens the kernel by the scale (antialiasing). Weights are normalised in double and
 * rounded to 22-bit fixed point; each output is {@code clip8((1 << 21) + Σ src·k) >> 22}.
 */
public final class PillowResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;

    /** The resampling kernels used here, with Pillow's support radii. */
    public enum Filter {
        BICUBIC(2.0) {
            @Override double weight(double x) {
                final double a = -0.5;
                if (x < 0) x = -x;
                if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
                if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
                return 0;
            }
        },
        LANCZOS(3.0) {
            @Override double weight(double x) {
                if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
                return 0;
            }
        };

        final double support;

        Filter(double support) { this.support = support; }

        abstract double weight(double x);

        private static double sinc(double x) {
            if (x == 0.0) return 1.0;
            x = x * Math.PI;
            return StrictMath.sin(x) / x;
        }
    }

    private PillowResize() {}

    /** Resizes to {@code width} × {@code height}; the same size returns a copy without filtering, as Pillow. */
    public static RgbImage resize(RgbImage in, int width, int height, Filter filter) {
        if (width < 1 || height < 1) throw new IllegalArgumentException("target size must be positive, got " + width + "x" + height);
        RgbImage img = in;
        if (width != img.width()) img = horizontal(img, width, filter);
        if (height != img.height()) img = vertical(img, height, filter);
        return img == in ? new RgbImage(in.width(), in.height(), in.rgb().clone()) : img;
    }

    /** Fixed-point weights of each output index: bounds[2i] = first input index, bounds[2i+1] = count; k[i*ksize + j]. */
    private record Coefficients(int[] bounds, int[] k, int ksize) {}

    private static Coefficients coefficients(int inSize, int outSize, Filter filter) {
        double scale = (double) inSize / outSize;
        double filterScale = Math.max(scale, 1.0);
        double support = filter.support * filterScale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        int[] bounds = new int[2 * outSize];
        int[] k = new int[outSize * ksize];
        double[] w = new double[ksize];
        for (int i = 0; i < outSize; i++) {
            double center = (i + 0.5) * scale;
            double ss = 1.0 / filterScale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            double sum = 0;
            for (int j = 0; j < xmax; j++) {
                w[j] = filter.weight((j + xmin - center + 0.5) * ss);
                sum += w[j];
            }
            for (int j = 0; j < xmax; j++) {
                double v = sum != 0.0 ? w[j] / sum : w[j];
                k[i * ksize + j] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
            }
            bounds[2 * i] = xmin;
            bounds[2 * i + 1] = xmax;
        }
        return new Coefficients(bounds, k, ksize);
    }

    private static byte clip8(int v) {
        if (v >= (1 << PRECISION_BITS) << 8) return (byte) 255;
        if (v <= 0) return 0;
        return (byte) (v >> PRECISION_BITS);
    }

    private static RgbImage horizontal(RgbImage in, int outW, Filter filter) {
        Coefficients c = coefficients(in.width(), outW, filter);
        int h = in.height(), inW = in.width();
        byte[] src = in.rgb(), dst = new byte[outW * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < outW; x++) {
                int xmin = c.bounds[2 * x], n = c.bounds[2 * x + 1], ko = x * c.ksize;
                for (int ch = 0; ch < 3; ch++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int j = 0; j < n; j++) ss += (src[(y * inW + xmin + j) * 3 + ch] & 0xFF) * c.k[ko + j];
                    dst[(y * outW + x) * 3 + ch] = clip8(ss);
                }
            }
        return new RgbImage(outW, h, dst);
    }

    private static RgbImage vertical(RgbImage in, int outH, Filter filter) {
        Coefficients c = coefficients(in.height(), outH, filter);
        int w = in.width();
        byte[] src = in.rgb(), dst = new byte[w * outH * 3];
        for (int y = 0; y < outH; y++) {
            int ymin = c.bounds[2 * y], n = c.bounds[2 * y + 1], ko = y * c.ksize;
            for (int x = 0; x < w; x++)
                for (int ch = 0; ch < 3; ch++) {
                    int ss = 1 << (PRECISION_BITS - 1);
                    for (int j = 0; j < n; j++) ss += (src[((ymin + j) * w + x) * 3 + ch] & 0xFF) * c.k[ko + j];
                    dst[(y * w + x) * 3 + ch] = clip8(ss);
                }
        }
        return new RgbImage(w, outH, dst);
    }
}
