package dev.omnigen2.runtime;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A quick look at what this machine does with the runtime's kernels: each benchmark shape runs for a few seconds
 * through the public kernel entry points and reports GFLOP/s and GB/s (the median of the timed runs, after half as
 * long again of warm-up). The JMH benchmarks in the bench module are the careful measurement; this is for
 * {@code omnigen2 bench kernels} and for a first check on a new machine.
 */
public final class KernelBench {
    private KernelBench() {}

    /** One measured shape: {@code gbps} counts the bytes the kernel must at least read and write once. */
    public record Result(String kernel, String shape, int threads, double gflops, double gbps) {
        public String toJson() {
            return String.format(Locale.ROOT, "{\"kernel\":\"%s\",\"shape\":\"%s\",\"threads\":%d,\"gflops\":%.2f,\"gbps\":%.2f}",
                    kernel, shape, threads, gflops, gbps);
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-12s %-36s threads %d  %8.1f GFLOP/s  %7.2f GB/s", kernel, shape, threads, gflops, gbps);
        }
    }

    /** A shape to measure: the operation is built (inputs allocated) only when the case runs. */
    private record Case(String kernel, String shape, double flops, double bytes, Supplier<Runnable> setup) {}

    /** Size of the bandwidth probe's buffer and of the cycled decode weights: far larger than the L3 cache. */
    static final long BANDWIDTH_BYTES = Long.getLong("omnigen2.bench.bandwidthBytes", 1L << 30);

    private static List<Case> cases() {
        List<Case> c = new ArrayList<>();
        int[][] linear = {{4096, 2520, 2520}, {4096, 2520, 10240}, {4096, 10240, 2520}, {128, 2048, 11008}, {1, 2048, 11008}};
        for (DType dt : List.of(DType.BF16, DType.F32))
            for (int[] s : linear) {
                int m = s[0], k = s[1], n = s[2];
                c.add(new Case("linear-" + dt.name().toLowerCase(Locale.ROOT), "M=" + m + " K=" + k + " N=" + n,
                        2.0 * m * k * n, (double) n * k * dt.byteSize() + 4.0 * m * k + 4.0 * m * n, () -> {
                    Tensor x = filled(DType.F32, 1, m, k), w = filled(dt, 2, n, k), y = Tensor.zeros(m, n);
                    return () -> Linear.forward(x, w, null, y);
                }));
            }
        // Decode GEMV from memory: the shape above fits a third of its 45 MB BF16 weights in the 32 MB L3 when
        // called again and again; cycling over copies of 1 GiB in all reads every call from memory, as decoding
        // does (each layer's weights are read once per token).
        for (DType dt : List.of(DType.BF16, DType.F32)) {
            int k = 2048, n = 11008;
            long one = (long) n * k * dt.byteSize();
            int copies = (int) Math.max(2, (BANDWIDTH_BYTES + one - 1) / one);
            c.add(new Case("linear-" + dt.name().toLowerCase(Locale.ROOT),
                    "M=1 K=" + k + " N=" + n + " x" + copies + " copies", 2.0 * k * n, one + 4.0 * k + 4.0 * n, () -> {
                Tensor x = filled(DType.F32, 1, 1, k), y = Tensor.zeros(1, n);
                Tensor[] ws = new Tensor[copies];
                ws[0] = filled(dt, 2, n, k);
                for (int i = 1; i < copies; i++) {
                    ws[i] = Tensor.allocate(dt, n, k);
                    java.lang.foreign.MemorySegment.copy(ws[0].data(), 0, ws[i].data(), 0, one);
                }
                int[] next = {0};
                return () -> Linear.forward(x, ws[next[0]++ % copies], null, y);
            }));
        }
        for (int streams : new int[] {1, 4, 8})
            c.add(new Case("bandwidth", "read " + (BANDWIDTH_BYTES >> 20) + " MiB off-heap " + streams + " streams/task",
                    0, BANDWIDTH_BYTES, () -> {
                Tensor buf = Tensor.allocate(DType.I64, (int) (BANDWIDTH_BYTES / 8));
                for (long i = 0; i < buf.numel(); i++) buf.data().setAtIndex(Tensor.I64, i, i);
                return () -> MemoryBandwidth.read(buf.data(), streams);
            }));
        c.add(attention("attention", 21, 7, 4352, 120, false));
        // Causal: Qwen2.5-VL-3B's text attention (16 query heads over 2 KV heads), as in the issue and bench/README.
        c.add(attention("attention", 16, 2, 1024, 128, true));
        int ch = 128, hw = 512;
        // BF16 weights first: the Flux VAE's convolutions run with them (the checkpoint is bf16); F32 for F32 files.
        for (DType dt : new DType[] {DType.BF16, DType.F32})
            c.add(new Case("conv2d", ch + "->" + ch + " 3x3 " + hw + "x" + hw + " " + dt.name().toLowerCase(java.util.Locale.ROOT),
                    2.0 * ch * ch * 9 * hw * hw, 4.0 * 2.0 * ch * hw * hw + dt.byteSize() * (double) ch * ch * 9, () -> {
                // Weights packed once and the output written in place, as the VAE runs it (a fresh 128 MiB output
                // per call would time the allocator's page faults as much as the convolution).
                Tensor x = filled(DType.F32, 3, ch, hw, hw), out = Tensor.zeros(ch, hw, hw);
                Conv2d.Packed p = Conv2d.prepare(filled(dt, 4, ch, ch, 3, 3), filled(DType.F32, 5, ch));
                return () -> Conv2d.forward(x, p, 1, 1, 1, 1, 1, out);
            }));
        return c;
    }

    private static Case attention(String kernel, int heads, int kvHeads, int len, int dim, boolean causal) {
        double pairs = causal ? len * (len + 1) / 2.0 : (double) len * len;
        String shape = heads + "h/" + kvHeads + "kv L=" + len + " d=" + dim + (causal ? " causal" : " bidirectional");
        return new Case(kernel, shape, 4.0 * heads * pairs * dim, 4.0 * len * dim * (2.0 * heads + 2.0 * kvHeads), () -> {
            Tensor q = filled(DType.F32, 6, len, heads * dim), k = filled(DType.F32, 7, len, kvHeads * dim);
            Tensor v = filled(DType.F32, 8, len, kvHeads * dim), out = Tensor.zeros(len, heads * dim);
            Attention.Mask mask = causal ? Attention.Mask.causal(0) : Attention.Mask.NONE;
            float scale = (float) (1 / Math.sqrt(dim));
            return () -> Attention.forward(q, k, v, out, heads, kvHeads, dim, scale, mask);
        });
    }

    /** Cheap reproducible values in [-1, 1) (a hash of the index, not java.util.Random: the weights are large). */
    private static Tensor filled(DType dtype, long seed, int... shape) {
        Tensor t = Tensor.allocate(dtype, shape);
        for (long i = 0; i < t.numel(); i++) {
            long h = (i + 1) * 0x9E3779B97F4A7C15L ^ seed * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
            t.setFloat(i, (h & 0xFFFFFF) / (float) (1 << 23) - 1f);
        }
        return t;
    }

    /** The names of the kernels measured, for filters. */
    public static List<String> kernels() {
        return cases().stream().map(Case::kernel).distinct().toList();
    }

    /**
     * Measures every case whose kernel name passes {@code kernelFilter}, about {@code seconds} each (at least one
     * timed run after the warm-up), on {@code threads} worker threads; {@code onEach} sees each result as it is made.
     */
    public static List<Result> run(int threads, double seconds, Predicate<String> kernelFilter, Consumer<Result> onEach) {
        return run(threads, seconds, (kernel, shape) -> kernelFilter.test(kernel), onEach);
    }

    /** As {@link #run(int, double, Predicate, Consumer)}, choosing cases by kernel name and shape. */
    public static List<Result> run(int threads, double seconds, java.util.function.BiPredicate<String, String> filter,
                                   Consumer<Result> onEach) {
        int before = Parallel.threads();
        List<Result> out = new ArrayList<>();
        try {
            Parallel.setThreads(threads);
            for (Case c : cases()) {
                if (!filter.test(c.kernel(), c.shape())) continue;
                Runnable op = c.setup().get();
                // Warm up for half the time (at least one run): the JIT compiles the kernels in the first seconds
                // of a JVM, on the same cores, so the first case measured would otherwise pay for it.
                long warm = System.nanoTime() + (long) (seconds * 0.5e9);
                do op.run(); while (System.nanoTime() < warm);
                List<Double> times = new ArrayList<>();
                long end = System.nanoTime() + (long) (seconds * 1e9);
                do {
                    long t0 = System.nanoTime();
                    op.run();
                    times.add((System.nanoTime() - t0) * 1e-9);
                } while (System.nanoTime() < end);
                double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                double median = sorted[sorted.length / 2];
                Result r = new Result(c.kernel(), c.shape(), threads, c.flops() / median / 1e9, c.bytes() / median / 1e9);
                out.add(r);
                onEach.accept(r);
                // The inputs are off-heap and freed only when collected: the 1 GiB cases would otherwise pile up
                // (several GB) before the small heap triggers a collection.
                op = null;
                System.gc();
            }
        } finally {
            Parallel.setThreads(before);
        }
        return out;
    }

    /** {@code [--threads N] [--seconds S] [--only kernel,kernel] [--shape "M=1 K=2048 N=11008[,shape…]"] [--json]}. */
    public static void main(String[] args) {
        int threads = Parallel.threads();
        double seconds = 3;
        boolean json = false;
        List<String> only = null;
        String shapeOnly = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Double.parseDouble(args[++i]);
                case "--only" -> only = Arrays.asList(args[++i].split(","));
                case "--shape" -> shapeOnly = args[++i];
                case "--json" -> json = true;
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "'; expected --threads N, --seconds S, --only " + String.join(",", kernels()) + ", --shape S, --json");
            }
        }
        List<String> wanted = only;
        List<String> wantedShape = shapeOnly == null ? null : Arrays.asList(shapeOnly.split(","));
        boolean asJson = json;
        if (!asJson) System.out.println("vectors: " + Vectors.describe());
        List<Result> results = run(threads, seconds,
                (k, s) -> (wanted == null || wanted.contains(k)) && (wantedShape == null || wantedShape.contains(s)),
                r -> { if (!asJson) System.out.println(r); });
        if (asJson) System.out.println(results.stream().map(Result::toJson).toList().toString().replace(", ", ","));
    }
}
