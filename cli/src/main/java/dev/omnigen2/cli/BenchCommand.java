package dev.omnigen2.cli;

import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.pipeline.PipelineListener;
import dev.omnigen2.models.pipeline.TransformerVelocityModel;
import dev.omnigen2.runtime.KernelBench;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.sampler.Guidance;
import dev.omnigen2.sampler.Rng;
import dev.omnigen2.sampler.Sampler;
import dev.omnigen2.sampler.Scheduler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code omnigen2 bench}: what this machine does, kernel by kernel and for whole generations. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure kernels (GFLOP/s, GB/s) or the pipeline (seconds per step and per image).",
        subcommands = {BenchCommand.Kernels.class, BenchCommand.Pipeline.class})
final class BenchCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() { spec.commandLine().usage(spec.commandLine().getErr()); }

    @Command(name = "kernels", mixinStandardHelpOptions = true,
            description = "Run the runtime's kernels on the benchmark shapes for a few seconds each.")
    static final class Kernels implements Runnable {
        @Spec CommandSpec spec;

        @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Threads (default: all processors).")
        Integer threads;

        @Option(names = "--seconds", paramLabel = "S", description = "Time per shape (default: ${DEFAULT-VALUE}).")
        double seconds = 3;

        @Option(names = "--only", paramLabel = "KERNEL", split = ",", description = "Only these kernels.")
        List<String> only;

        @Option(names = "--json", description = "Print [{\"kernel\",\"shape\",\"threads\",\"gflops\",\"gbps\"}].")
        boolean json;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
            if (t < 1) throw new UserException("--threads must be at least 1");
            if (only != null)
                for (String k : only)
                    if (!KernelBench.kernels().contains(k))
                        throw new UserException("--only: unknown kernel '" + k + "' (expected one of " + KernelBench.kernels() + ")");
            List<String> rows = new ArrayList<>();
            KernelBench.run(t, seconds, k -> only == null || only.contains(k), r -> {
                if (json) rows.add(r.toJson());
                else {
                    out.println(r);
                    out.flush();
                }
            });
            if (json) out.println("[" + String.join(",\n ", rows) + "]");
            out.flush();
        }
    }

    @Command(name = "pipeline", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Time text encoding, denoising steps and VAE decoding on a checkpoint (e.g. `synth --preset full`).")
    static final class Pipeline implements Runnable {
        @Spec CommandSpec spec;

        @Option(names = {"-m", "--model"}, paramLabel = "DIR|REPO", description = "Checkpoint (default: as generate).")
        String model;

        @Option(names = "--sizes", split = ",", paramLabel = "PX", description = "Square sizes (default: ${DEFAULT-VALUE}).")
        List<Integer> sizes = List.of(512, 1024);

        @Option(names = "--steps", paramLabel = "N", description = "Steps timed per size (default: ${DEFAULT-VALUE}).")
        int steps = 2;

        @Option(names = "--json", description = "Machine-readable output.")
        boolean json;

        @Mixin RuntimeOptions runtime = new RuntimeOptions();

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
            runtime.apply(err);
            if (steps < 1) throw new UserException("--steps must be at least 1");
            Map<String, Object> report = new LinkedHashMap<>();
            ModelLocator.Located located = ModelLocator.locate(model, err);
            report.put("model", located.checkpoint().root().toString());
            report.put("threads", Parallel.threads());
            long t0 = System.nanoTime();
            try (OmniGen2Pipeline p = OmniGen2Pipeline.load(located.checkpoint(), PipelineListener.NONE)) {
                report.put("load_s", secs(t0));
                String prompt = "A photograph of a red apple next to a blue ceramic cup on a wooden kitchen table, soft morning "
                        + "light from a window on the left, shallow depth of field, a few crumbs on the table, highly detailed.";
                p.encodePrompt(prompt, 1024); // warm-up
                long e0 = System.nanoTime();
                OmniGen2Pipeline.EncodedPrompt cond = p.encodePrompt(prompt, 1024);
                report.put("text_encoding_s", secs(e0));
                report.put("prompt_tokens", cond.ids().length);
                OmniGen2Pipeline.EncodedPrompt neg = p.encodePrompt(GenerationRequest.INFERENCE_NEGATIVE_PROMPT, 1024);
                int f = p.vaeScaleFactor(), c = p.transformer().config().inChannels();
                for (int size : sizes) {
                    if (size % 16 != 0 || size <= 0) throw new UserException("--sizes: " + size + " is not a positive multiple of 16");
                    Map<String, Object> r = new LinkedHashMap<>();
                    Tensor noise = Rng.TORCH.randn(0, 1, c, size / f, size / f);
                    var model = new TransformerVelocityModel(p.transformer(), TransformerVelocityModel.TextConditioning.of(cond.hiddenStates()),
                            TransformerVelocityModel.TextConditioning.of(neg.hiddenStates()), List.of(), false);
                    Scheduler euler = Scheduler.fromConfig(located.checkpoint().component("scheduler").resolve("scheduler_config.json"));
                    Sampler sampler = new Sampler(euler, Guidance.of(5f, 1f, 0, 1, false));
                    long s0 = System.nanoTime();
                    Sampler.Result res = sampler.sample(model, noise, steps);
                    double perStep = secs(s0) / steps;
                    r.put("seconds_per_step_cfg", perStep);
                    long d0 = System.nanoTime();
                    p.vae().decode(p.vae().unscaleLatent(res.latents()));
                    double decode = secs(d0);
                    r.put("vae_decode_s", decode);
                    double enc = 2 * (double) report.get("text_encoding_s");
                    r.put("estimated_image_s_euler50", enc + 50 * perStep + decode);
                    // DPM-Solver++ costs one model call per step like Euler; TeaCache would skip a model-dependent share.
                    r.put("estimated_image_s_dpm28_no_skips", enc + 28 * perStep + decode);
                    r.put("note", "per-image times are extrapolated from " + steps + " timed steps");
                    report.put(size + "x" + size, r);
                    if (!json) {
                        out.printf(Locale.ROOT, "%dx%d: %.2f s/step (2 passes), VAE decode %.2f s, ~%.0f s per image (50 Euler steps), "
                                        + "~%.0f s (28 DPM-Solver++ steps, before TeaCache skips)%n",
                                size, size, perStep, decode, (double) r.get("estimated_image_s_euler50"),
                                (double) r.get("estimated_image_s_dpm28_no_skips"));
                        out.flush();
                    }
                }
            } catch (CheckpointFolder.CheckpointException e) {
                throw new UserException(e.getMessage());
            }
            report.put("peak_rss_mib", peakRssMib());
            if (json) {
                try {
                    out.println(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                out.printf(Locale.ROOT, "load %.2f s, text encoding %.3f s (%d tokens), peak RSS %s MiB%n", (double) report.get("load_s"),
                        (double) report.get("text_encoding_s"), (int) report.get("prompt_tokens"), report.get("peak_rss_mib"));
            }
            out.flush();
        }

        private static double secs(long start) { return (System.nanoTime() - start) / 1e9; }

        static long peakRssMib() { return dev.omnigen2.runtime.ProcessMemory.peakRssMiB(); }
    }
}
