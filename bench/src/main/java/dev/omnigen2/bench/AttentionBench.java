package dev.omnigen2.bench;

import dev.omnigen2.runtime.Attention;
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
 * softmax(Q·Kᵀ·scale)·V at the shapes of the OmniGen2 transformer (21 heads over 7 KV heads, head dim 120, 4,352
 * tokens: a 1024² image and its prompt, bidirectional) and of Qwen2.5-VL-3B's text attention (16 heads over 2 KV
 * heads, head dim 128, a 1,024-token prefill, causal). Time per call; GFLOP/s = 4·H·L²·hd / time, causal counting
 * only the unmasked half (L·(L+1)/2 pairs). Threads: {@code -p threads=N}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AttentionBench {
    /** heads / KV heads × tokens × head dim, and the mask. */
    @Param({"21/7x4352x120 bidirectional", "16/2x1024x128 causal"})
    public String shape;

    @Param({"2"})
    public int threads;

    private Tensor q, k, v, out;
    private int heads, kvHeads, headDim;
    private Attention.Mask mask;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = shape.split("[/x ]");
        heads = Integer.parseInt(p[0]);
        kvHeads = Integer.parseInt(p[1]);
        int tokens = Integer.parseInt(p[2]);
        headDim = Integer.parseInt(p[3]);
        mask = p[4].equals("causal") ? Attention.Mask.causal(0) : Attention.Mask.NONE;
        Parallel.setThreads(threads);
        q = LinearBench.filled(DType.F32, 6, tokens, heads * headDim);
        k = LinearBench.filled(DType.F32, 7, tokens, kvHeads * headDim);
        v = LinearBench.filled(DType.F32, 8, tokens, kvHeads * headDim);
        out = Tensor.zeros(tokens, heads * headDim);
    }

    @Benchmark
    public Tensor attention() {
        Attention.forward(q, k, v, out, heads, kvHeads, headDim, (float) (1 / Math.sqrt(headDim)), mask);
        return out;
    }
}
