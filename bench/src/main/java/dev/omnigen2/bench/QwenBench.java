package dev.omnigen2.bench;

import dev.omnigen2.models.image.QwenImageProcessor;
import dev.omnigen2.models.qwen.GenerationOptions;
import dev.omnigen2.models.qwen.Qwen25Vl;
import dev.omnigen2.models.qwen.Qwen25VlConfig;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.Safetensors;
import dev.omnigen2.safetensors.TensorStore;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Qwen2.5-VL-3B speed on a checkpoint of the real dimensions (e.g. {@code bin/omnigen2 synth DIR --preset full
 * --zeros}; the values of the weights do not change the work): prefill of a generation prompt (what every
 * OmniGen2 generation encodes), vision encoding of a 1024×1024 image, greedy decoding, peak resident memory, and
 * the memory-bandwidth bound of decoding.
 *
 * <p>The decode bound is measured, not assumed: every text-decoder weight (the layers, the final norm and the tied
 * embedding read as lm_head: the bytes one decode step must read) is read by the runtime's bandwidth probe
 * ({@link dev.omnigen2.runtime.MemoryBandwidth}: 64-bit sums, four streams per task) on all worker threads,
 * straight from the same memory-mapped files; bound = 1 / that time. An anonymous 1 GiB buffer is read the same
 * way for reference. {@code stages} breaks one decode step down ({@link DecodeStages}).
 *
 * <p>Usage: {@code java @cli/target/omnigen2.jvmargs -cp <bench classpath> dev.omnigen2.bench.QwenBench MLLM_DIR
 * [prompt tokens=120] [new tokens=32] [rounds=3] [phases=bw,prefill,decode,vision]}.
 */
public final class QwenBench {
    private QwenBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int promptTokens = args.length > 1 ? Integer.parseInt(args[1]) : 120;
        int newTokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        List<String> phases = Arrays.asList((args.length > 4 ? args[4] : "bw,prefill,decode,vision").split(","));
        System.out.printf("threads %d, vector %s, load %s%n", Parallel.threads(), dev.omnigen2.runtime.Vectors.describe(), loadAverage());

        try (Qwen25Vl model = Qwen25Vl.load(dir)) {
            Qwen25VlConfig c = model.config();
            long decodeBytes = textDecoderBytes(dir, c);
            System.out.printf("text decoder weights read per decode step: %.3f GB (%d layers, vocab %d x %d tied)%n",
                    decodeBytes / 1e9, c.numLayers(), c.vocabSize(), c.hiddenSize());
            int[] prompt = randomIds(promptTokens, c, 1);

            if (phases.contains("bw")) bandwidth(dir, decodeBytes, rounds);

            if (phases.contains("prefill")) {
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime(), cpu0 = cpuNanos();
                    model.encode(new int[][] {prompt}, null, null, null);
                    double s = (System.nanoTime() - t0) / 1e9, cpu = (cpuNanos() - cpu0) / 1e9;
                    System.out.printf("prefill %d tokens: %.3f s = %.1f tokens/s, %.2f CPU-s = %.1f tokens per CPU-s (round %d, load %s)%n",
                            promptTokens, s, promptTokens / s, cpu, promptTokens / cpu, r, loadAverage());
                }
            }

            if (phases.contains("decode")) {
                // Each round: stream the weights once (the bound, measured now), then decode; the ratio compares
                // the two under the same machine load.
                try (TensorStore store = Safetensors.open(dir)) {
                    List<MemorySegment> weights = decoderSegments(store);
                    for (int r = 0; r < rounds; r++) {
                        long b0 = System.nanoTime();
                        streamSum(weights);
                        double boundTps = 1e9 / (System.nanoTime() - b0);
                        long[] at = new long[newTokens];
                        int[] n = {0};
                        long t0 = System.nanoTime();
                        model.generate(prompt, null, null, GenerationOptions.greedy(newTokens), token -> at[n[0]++] = System.nanoTime());
                        double prefill = (at[0] - t0) / 1e9, decode = (at[n[0] - 1] - at[0]) / 1e9;
                        double tps = (n[0] - 1) / decode;
                        System.out.printf("decode: prompt %.2f s, %d steps in %.3f s = %.2f tokens/s = %.1f GB/s of weights; "
                                        + "bound just before %.2f tokens/s (%.1f GB/s) -> %.0f %% of bound (round %d, load %s)%n",
                                prefill, n[0] - 1, decode, tps, tps * decodeBytes / 1e9, boundTps, boundTps * decodeBytes / 1e9,
                                100 * tps / boundTps, r, loadAverage());
                    }
                }
            }

            if (phases.contains("profile")) profileDecodeLinears(dir, c, rounds);

            if (phases.contains("stages")) DecodeStages.run(dir, c, promptTokens, Math.max(4, newTokens / 2), rounds);

            if (phases.contains("vision")) {
                int[] hw = QwenImageProcessor.smartResize(1024, 1024, 28, 56 * 56, 12_845_056);
                Qwen25VlConfig.Vision v = c.vision();
                int gh = hw[0] / v.patchSize(), gw = hw[1] / v.patchSize();
                int[][] grids = {{1, gh, gw}};
                Tensor pixels = randomPixels(gh * gw, v.patchDim());
                for (int r = 0; r < Math.max(1, rounds - 1); r++) {
                    long t0 = System.nanoTime(), cpu0 = cpuNanos();
                    Tensor e = model.vision().forward(pixels, grids);
                    double s = (System.nanoTime() - t0) / 1e9, cpu = (cpuNanos() - cpu0) / 1e9;
                    System.out.printf("vision 1024x1024 -> %dx%d (%d patches, %d tokens): %.2f s, %.1f CPU-s (round %d, load %s)%n",
                            hw[0], hw[1], gh * gw, e.size(0), s, cpu, r, loadAverage());
                }
            }
        }
        System.out.println(memoryLine());
    }

    /** Bytes of every text-decoder weight (layers, final norm, embedding as the tied lm_head). */
    static long textDecoderBytes(Path dir, Qwen25VlConfig c) {
        try (TensorStore store = Safetensors.open(dir)) {
            long bytes = 0;
            for (String name : store.names()) if (name.startsWith("model.")) bytes += store.tensor(name).data().byteSize();
            return bytes;
        }
    }

    /** The bound: stream the decoder's mapped weights (and an anonymous buffer) through a sum on all threads. */
    private static void bandwidth(Path dir, long decodeBytes, int rounds) {
        try (TensorStore store = Safetensors.open(dir); Arena arena = Arena.ofShared()) {
            List<MemorySegment> weights = decoderSegments(store);
            for (int r = 0; r < rounds + 1; r++) {
                long t0 = System.nanoTime();
                long sum = streamSum(weights);
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("bandwidth, mapped text-decoder weights: %.2f GB in %.3f s = %.1f GB/s -> decode bound %.2f tokens/s%s (sum %d, load %s)%n",
                        decodeBytes / 1e9, s, decodeBytes / 1e9 / s, 1 / s, r == 0 ? " [first pass, page cache warm-up]" : "", sum, loadAverage());
            }
            MemorySegment anon = arena.allocate(1L << 30, 64);
            for (long i = 0; i < anon.byteSize(); i += 8) anon.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, i, i * 0x9E3779B97F4A7C15L);
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                long sum = streamSum(List.of(anon));
                double s = (System.nanoTime() - t0) / 1e9;
                System.out.printf("bandwidth, anonymous 1 GiB: %.1f GB/s (sum %d)%n", anon.byteSize() / 1e9 / s, sum);
            }
        }
    }

    /**
     * Where a decode step's time goes: every M=1 product of the step on the mapped weights, alone (the layers'
     * seven projections, then the tied lm_head), as GB/s of weights, next to the streaming-sum bound.
     */
    private static void profileDecodeLinears(Path dir, Qwen25VlConfig c, int rounds) {
        try (TensorStore store = Safetensors.open(dir)) {
            List<MemorySegment> all = decoderSegments(store);
            List<Tensor> layerWeights = new ArrayList<>();
            for (int l = 0; l < c.numLayers(); l++)
                for (String p : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                        "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"))
                    layerWeights.add(store.tensor("model.layers." + l + "." + p + ".weight"));
            Tensor head = store.tensor("model.embed_tokens.weight");
            for (int r = 0; r < rounds; r++) {
                long b0 = System.nanoTime();
                streamSum(all);
                double bound = (System.nanoTime() - b0) / 1e9;
                long layerBytes = 0, t0 = System.nanoTime();
                for (Tensor w : layerWeights) {
                    Tensor x = Tensor.zeros(1, w.size(1));
                    dev.omnigen2.runtime.Device.linear(x, w, null);
                    layerBytes += w.byteSize();
                }
                double layers = (System.nanoTime() - t0) / 1e9;
                long h0 = System.nanoTime();
                dev.omnigen2.runtime.Device.linear(Tensor.zeros(1, c.hiddenSize()), head, null);
                double lm = (System.nanoTime() - h0) / 1e9;
                System.out.printf("profile: stream-sum %.1f GB/s; %d layer products %.3f s = %.1f GB/s; lm_head %.3f s = %.1f GB/s; "
                                + "products alone %.2f tokens/s (round %d, load %s)%n",
                        all.stream().mapToLong(MemorySegment::byteSize).sum() / 1e9 / bound, layerWeights.size(), layers,
                        layerBytes / 1e9 / layers, lm, head.byteSize() / 1e9 / lm, 1 / (layers + lm), r, loadAverage());
            }
        }
    }

    /** The mapped bytes of every text-decoder tensor (what one decode step reads). */
    private static List<MemorySegment> decoderSegments(TensorStore store) {
        List<MemorySegment> weights = new ArrayList<>();
        for (String name : store.names()) if (name.startsWith("model.")) weights.add(store.tensor(name).data());
        return weights;
    }

    /**
     * Every byte of the segments read once on the worker pool by the runtime's bandwidth probe (4 MiB tasks, four
     * sequential streams each: the same access pattern as the decode GEMV; one stream per task reads ~20 % slower).
     */
    private static long streamSum(List<MemorySegment> segments) {
        return dev.omnigen2.runtime.MemoryBandwidth.read(segments, 4);
    }

    /** Token ids drawn from the ordinary vocabulary (below the special tokens). */
    static int[] randomIds(int n, Qwen25VlConfig c, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(Math.min(c.vocabSize(), 151_643));
        return ids;
    }

    private static Tensor randomPixels(int patches, int dim) {
        SplittableRandom r = new SplittableRandom(7);
        Tensor t = Tensor.allocate(DType.F32, patches, dim);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) (r.nextDouble() * 4 - 2));
        return t;
    }

    /** CPU time of the whole process (all worker threads). */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    /** Peak and current resident memory of this process (file-backed mapped weights included). */
    static String memoryLine() {
        StringBuilder sb = new StringBuilder("memory:");
        for (String f : new String[] {"VmHWM", "VmRSS", "RssAnon", "RssFile"})
            sb.append(' ').append(f).append(": ").append(dev.omnigen2.runtime.ProcessMemory.bytes(f) / 1024).append(" kB");
        return sb.toString();
    }
}
