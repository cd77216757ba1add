package dev.omnigen2.bench;

import dev.omnigen2.models.transformer.JointSequence;
import dev.omnigen2.models.transformer.OmniGen2Transformer;
import dev.omnigen2.models.transformer.StageTimes;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seconds per OmniGen2 transformer forward on a checkpoint of the real dimensions (e.g. {@code omnigen2 synth DIR
 * --preset full --zeros}: values do not change the work), per output size, prompt length and reference image.
 * A plain main, not JMH: one forward at 1024² takes minutes on two cores.
 *
 * <p>A forward is timed in its three public stages: {@code prepare} (embeddings and all refiners), the main layers,
 * {@code finish}. With {@code --layers K < num_layers} only the first K of the identical main layers run and the
 * layer time is scaled by num_layers / K (stated in the output); the per-block time at the joint length is that
 * layer time divided by K. Per-stage block times come from {@link StageTimes}. Peak RSS is VmHWM of the process.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.omnigen2.bench.TransformerBench \
 *   DIR [--sizes 512,1024] [--prompt 100] [--ref none|1024|both] [--layers K] [--reps N] [--threads N]
 * </pre>
 */
public final class TransformerBench {
    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: TransformerBench TRANSFORMER_OR_CHECKPOINT_DIR [--sizes 512,1024] [--prompt 100] "
                    + "[--ref none|1024|both] [--layers K] [--reps N] [--threads N]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        if (Files.isDirectory(dir.resolve("transformer"))) dir = dir.resolve("transformer");
        String sizes = "512,1024", ref = "both";
        int prompt = 100, layersToRun = -1, reps = 1, threads = Parallel.threads();
        for (int i = 1; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--sizes" -> sizes = v;
                case "--prompt" -> prompt = Integer.parseInt(v);
                case "--ref" -> ref = v;
                case "--layers" -> layersToRun = Integer.parseInt(v);
                case "--reps" -> reps = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Parallel.setThreads(threads);
        StageTimes.enable(true);
        long t0 = System.nanoTime();
        try (OmniGen2Transformer model = OmniGen2Transformer.load(dir)) {
            var c = model.config();
            int total = c.numLayers();
            int k = layersToRun < 0 ? total : Math.min(layersToRun, total);
            System.out.printf("checkpoint %s: hidden %d, %d layers, heads %d/%d, head dim %d, ffn %d; load %.2f s; threads %d; "
                            + "main layers run %d of %d%s%n", dir, c.hiddenSize(), total, c.numAttentionHeads(), c.numKvHeads(),
                    c.headDim(), c.ffnInnerDim(), (System.nanoTime() - t0) / 1e9, threads, k, total,
                    k < total ? " (layer time scaled by " + total + "/" + k + ")" : "");
            System.out.printf("load average at start: %s%n", loadAverage());
            SplittableRandom rnd = new SplittableRandom(7);
            Tensor text = random(rnd, 1, prompt, c.textFeatDim());
            List<Integer> refSizes = switch (ref) {
                case "none" -> List.of(0);
                case "both" -> List.of(0, 1024);
                default -> List.of(Integer.parseInt(ref));
            };
            for (String s : sizes.split(",")) {
                int px = Integer.parseInt(s.trim());
                for (int refPx : refSizes) {
                    int lat = px / 8;
                    Tensor latents = random(rnd, 1, c.inChannels(), lat, lat);
                    List<List<Tensor>> refs = null;
                    if (refPx > 0) refs = List.of(List.of(random(rnd, c.inChannels(), refPx / 8, refPx / 8)));
                    var in = new OmniGen2Transformer.Input(latents, new float[]{0.3f}, text, new int[]{prompt}, refs);
                    for (int r = 0; r < reps; r++) run(model, in, k, total, px, refPx, prompt);
                }
            }
        }
        System.out.printf("peak RSS (VmHWM) %d MiB; load average at end: %s%n", peakRssMiB(), loadAverage());
    }

    private static void run(OmniGen2Transformer model, OmniGen2Transformer.Input in, int k, int total, int px, int refPx, int prompt) {
        StageTimes.reset();
        long cpu0 = processCpuNanos();
        long a = System.nanoTime();
        JointSequence s = model.prepare(in, null);
        long b = System.nanoTime();
        Map<StageTimes.Stage, Double> refinerStages = StageTimes.seconds();
        StageTimes.reset();
        model.runLayers(s, k);
        long c = System.nanoTime();
        model.finish(s);
        long d = System.nanoTime();
        long cpu = processCpuNanos() - cpu0;
        double prepare = (b - a) / 1e9, layers = (c - b) / 1e9, finish = (d - c) / 1e9;
        double perBlock = k == 0 ? 0 : layers / k;
        double forward = prepare + perBlock * total + finish;
        int tokens = s.seqLength(0);
        System.out.printf("%dx%d, prompt %d, %s: joint tokens %d | prepare (embeds + refiners) %.2f s | main layer %.3f s each at %d tokens "
                        + "| finish %.3f s | forward %.1f s%s | CPU/wall %.2f%n",
                px, px, prompt, refPx == 0 ? "no reference" : "one " + refPx + "x" + refPx + " reference", tokens, prepare,
                perBlock, tokens, finish, forward, k < total ? " (est.)" : "", cpu / 1e9 / ((d - a) / 1e9));
        StringBuilder sb = new StringBuilder("  main-layer stages per block:");
        StageTimes.seconds().forEach((st, sec) -> sb.append(String.format(" %s %.3f", st.name().toLowerCase(), k == 0 ? 0 : sec / k)));
        System.out.println(sb);
        StringBuilder rb = new StringBuilder("  refiner stages (all refiners):");
        refinerStages.forEach((st, sec) -> rb.append(String.format(" %s %.3f", st.name().toLowerCase(), sec)));
        System.out.println(rb);
    }

    static Tensor random(SplittableRandom rnd, int... shape) {
        Tensor t = Tensor.zeros(shape);
        long n = t.numel();
        for (long i = 0; i < n; i++) t.setFloat(i, (float) (rnd.nextDouble() * 2 - 1));
        return t;
    }

    static long peakRssMiB() { return dev.omnigen2.runtime.ProcessMemory.peakRssMiB(); }

    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "?";
        }
    }

    static long processCpuNanos() {
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : 0;
    }

    private TransformerBench() {}
}
