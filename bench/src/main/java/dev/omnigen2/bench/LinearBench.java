package dev.omnigen2.bench;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Linear;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code Y = X·Wᵀ} at the shapes of the OmniGen2 transformer (hidden 2520, MLP 10240, 4,096 image tokens) and of
 * Qwen2.5-VL-3B (hidden 2048, MLP 11008; a 128-token prompt and one decoded token). Time per call;
 * GFLOP/s = 2·M·K·N / time. Threads: {@code -p threads=N}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class LinearBench {
    @Param({"4096x2520x2520", "4096x2520x10240", "4096x10240x2520", "128x2048x11008", "1x2048x11008"})
    public String mkn;

    @Param({"BF16", "F32"})
    public String weights;

    @Param({"2"})
    public int threads;

    private Tensor x, w, y;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = mkn.split("x");
        int m = Integer.parseInt(p[0]), k = Integer.parseInt(p[1]), n = Integer.parseInt(p[2]);
        Parallel.setThreads(threads);
        x = filled(DType.F32, 1, m, k);
        w = filled(DType.valueOf(weights), 2, n, k);
        y = Tensor.zeros(m, n);
    }

    @Benchmark
    public Tensor linear() {
        Linear.forward(x, w, null, y);
        return y;
    }

    static Tensor filled(DType dtype, long seed, int... shape) {
        Tensor t = Tensor.allocate(dtype, shape);
        for (long i = 0; i < t.numel(); i++) {
            long h = (i + 1) * 0x9E3779B97F4A7C15L ^ seed * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
            t.setFloat(i, (h & 0xFFFFFF) / (float) (1 << 23) - 1f);
        }
        return t;
    }
}
