package dev.omnigen2.runtime.cuda;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Half;
import dev.omnigen2.runtime.Linear;
import dev.omnigen2.runtime.Tensor;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The GPU check run by bench/gpu-check.sh on a machine with an NVIDIA GPU: the GEMM comparisons of the stand-in
 * tests, now against the real cuBLAS, on the products of OmniGen2's transformer and of Qwen2.5-VL-3B, then GPU
 * timings of the transformer's products at 1024² (4096 image tokens plus text) next to the CPU kernel.
 *
 * <p>Exit status: 0 when every comparison is within its bound, 1 when one is not, 2 when CUDA is unavailable.
 * Arguments: {@code --rows N} (rows of the timed products, default 4352), {@code --quick} (fewer shapes).
 */
public final class GpuCheck {
    /** (K, N) of the products: transformer q/o, k/v, SwiGLU up and down, caption embedder, patch in/out; Qwen's. */
    private static final int[][] PRODUCTS = {
            {2520, 2520}, {2520, 840}, {2520, 6912}, {6912, 2520}, {2048, 2520}, {64, 2520}, {2520, 64}, {1024, 2520},
            {2048, 2048}, {2048, 256}, {2048, 11008}, {11008, 2048}};
    private static final int[] CHECK_ROWS = {1, 17, 333};

    private GpuCheck() {}

    public static void main(String[] args) {
        int timedRows = 4352;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rows" -> timedRows = Integer.parseInt(args[++i]);
                case "--quick" -> quick = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (expected --rows N, --quick)");
            }
        }
        CudaStatus status = CudaStatus.probe();
        System.out.println(status.line());
        if (!status.available()) System.exit(2);
        boolean ok = true;
        for (CudaLinear.Precision p : CudaLinear.Precision.values()) {
            try (CudaLinear gpu = CudaLinear.open(status, new CudaLinear.Options(p, 0, 0))) {
                ok &= compare(gpu, quick);
            }
        }
        try (CudaLinear gpu = CudaLinear.open(status, CudaLinear.Options.defaults())) {
            time(gpu, timedRows, quick);
        }
        System.out.println(ok ? "GEMM comparisons: all within bounds" : "GEMM comparisons: FAILED");
        System.exit(ok ? 0 : 1);
    }

    private static boolean compare(CudaLinear gpu, boolean quick) {
        System.out.printf(Locale.ROOT, "%n## GEMM vs CPU kernel, precision %s%n| M | K | N | W | bias | max err / bound |%n|---|---|---|---|---|---|%n",
                gpu.precision());
        SplittableRandom rnd = new SplittableRandom(1);
        boolean ok = true;
        int count = 0;
        for (int[] kn : PRODUCTS) {
            for (int m : CHECK_ROWS) {
                for (DType wt : new DType[] {DType.BF16, DType.F32, DType.F16}) {
                    if (wt != DType.BF16 && (m != 17 || count++ % 3 != 0)) continue;
                    if (quick && m == 333) continue;
                    int k = kn[0], n = kn[1];
                    Tensor x = random(rnd, DType.F32, m, k), w = random(rnd, wt, n, k);
                    Tensor b = m == 17 ? null : random(rnd, DType.F32, n);
                    Tensor y = Tensor.zeros(m, n);
                    gpu.linear(x, w, b, y);
                    boolean bf16 = gpu.precision() == CudaLinear.Precision.BF16 && wt == DType.BF16;
                    Tensor ref = Linear.forward(bf16 ? roundedToBf16(x) : x, w, b);
                    // Against the CPU kernel on the same inputs the GPU saw: float rounding of a K-term dot product
                    // (cuBLAS may split K and use fused multiply-adds), relative to Σ|x·w|.
                    double worst = worstRatio(y, ref, x, w, 1e-5 * Math.max(1, Math.sqrt(k) / 8));
                    ok &= worst <= 1;
                    System.out.printf(Locale.ROOT, "| %d | %d | %d | %s | %s | %.3f%s |%n", m, k, n, wt, b != null, worst,
                            worst <= 1 ? "" : " FAIL");
                }
            }
        }
        return ok;
    }

    private static void time(CudaLinear gpu, int rows, boolean quick) {
        System.out.printf(Locale.ROOT, "%n## Transformer products at %d rows (BF16 weights)%n| K | N | GPU ms | GPU TFLOP/s | CPU ms (%s) | speed-up |%n|---|---|---|---|---|---|%n",
                rows, "64 rows, scaled");
        SplittableRandom rnd = new SplittableRandom(2);
        for (int i = 0; i < (quick ? 2 : 8); i++) {
            int k = PRODUCTS[i][0], n = PRODUCTS[i][1];
            Tensor x = random(rnd, DType.F32, rows, k), w = random(rnd, DType.BF16, n, k), y = Tensor.zeros(rows, n);
            gpu.linear(x, w, null, y);  // upload and warm up
            int reps = 5;
            long t0 = System.nanoTime();
            for (int r = 0; r < reps; r++) gpu.linear(x, w, null, y);
            double gpuMs = (System.nanoTime() - t0) / 1e6 / reps;
            int cpuRows = Math.min(rows, 64);
            Tensor xs = x.slice0(0, cpuRows), ys = Tensor.zeros(cpuRows, n);
            Linear.forward(xs, w, null, ys);
            long t1 = System.nanoTime();
            Linear.forward(xs, w, null, ys);
            double cpuMs = (System.nanoTime() - t1) / 1e6 * rows / cpuRows;
            double tflops = 2.0 * rows * k * n / (gpuMs * 1e-3) / 1e12;
            System.out.printf(Locale.ROOT, "| %d | %d | %.2f | %.1f | %.0f | %.0fx |%n", k, n, gpuMs, tflops, cpuMs, cpuMs / gpuMs);
        }
        System.out.println("(GPU times include rounding X to BF16 on the host, the copies and the bias-free copy-out.)");
    }

    private static Tensor random(SplittableRandom rnd, DType dtype, int... shape) {
        Tensor t = Tensor.allocate(dtype, shape);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) (rnd.nextDouble() * 2 - 1));
        return t;
    }

    private static Tensor roundedToBf16(Tensor x) {
        Tensor r = Tensor.zeros(x.shape());
        for (long i = 0; i < x.numel(); i++) r.setFloat(i, Half.bf16ToF32(Half.f32ToBf16(x.getFloat(i))));
        return r;
    }

    /** max over outputs of |y − ref| / (rel·Σ|x·w| + 1e-6), with Σ|x·w| = |X|·|W|ᵀ from the CPU kernel. */
    private static double worstRatio(Tensor y, Tensor ref, Tensor x, Tensor w, double rel) {
        Tensor scale = Linear.forward(abs(x), abs(w), null);
        double worst = 0;
        for (long i = 0; i < y.numel(); i++)
            worst = Math.max(worst, Math.abs(y.getFloat(i) - ref.getFloat(i)) / (rel * scale.getFloat(i) + 1e-6));
        return worst;
    }

    private static Tensor abs(Tensor t) {
        Tensor r = Tensor.zeros(t.shape());
        for (long i = 0; i < t.numel(); i++) r.setFloat(i, Math.abs(t.getFloat(i)));
        return r;
    }
}
