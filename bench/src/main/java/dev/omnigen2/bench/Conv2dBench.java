package dev.omnigen2.bench;

import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.DType;
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
 * A 3×3 convolution of 128 channels to 128 on a 512×512 map, stride 1, padding 1: the Flux VAE decoder's last
 * up block at a 512² image. Weights packed once (as the VAE does when it loads); time per call; GFLOP/s =
 * 2·Cout·Cin·9·H·W / time. Threads: {@code -p threads=N}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class Conv2dBench {
    @Param({"BF16", "F32"})
    public String weights;

    @Param({"2"})
    public int threads;

    private Tensor x, out;
    private Conv2d.Packed packed;

    @Setup(Level.Trial)
    public void setup() {
        int ch = 128, hw = 512;
        Parallel.setThreads(threads);
        x = LinearBench.filled(DType.F32, 3, ch, hw, hw);
        packed = Conv2d.prepare(LinearBench.filled(DType.valueOf(weights), 4, ch, ch, 3, 3),
                LinearBench.filled(DType.F32, 5, ch));
        out = Tensor.zeros(ch, hw, hw);
    }

    @Benchmark
    public Tensor conv() {
        Conv2d.forward(x, packed, 1, 1, 1, 1, 1, out);
        return out;
    }
}
