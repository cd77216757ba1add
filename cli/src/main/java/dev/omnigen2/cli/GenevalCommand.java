package dev.omnigen2.cli;

import dev.omnigen2.models.geneval.GenevalPrompts;
import dev.omnigen2.models.geneval.GenevalSweep;
import dev.omnigen2.models.geneval.Shard;
import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.vae.Tiling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code omnigen2 geneval}: a resumable, shardable batch of images in GenEval's layout. Seeds per image follow
 * {@link dev.omnigen2.models.geneval.SweepSeeds}; rerunning the same command resumes.
 */
@Command(name = "geneval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate GenEval's images (prompt folders, samples, sweep.json); rerun to resume.")
final class GenevalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--metadata", paramLabel = "FILE", description = "evaluation_metadata.jsonl (or any JSONL with a \"prompt\" field).")
    Path metadata;

    @Option(names = "--prompt-file", paramLabel = "FILE", description = "A text file with one prompt per line (instead of --metadata).")
    Path promptFile;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (GenEval layout).")
    Path out;

    @Option(names = "--samples", paramLabel = "N", description = "Images per prompt (default: ${DEFAULT-VALUE}).")
    int samples = 4;

    @Option(names = "--shard", paramLabel = "K/N|auto", description = "Take prompts with index mod N == K (0-based), or read the index from Kubernetes/Slurm.")
    String shard;

    @Option(names = "--shards", paramLabel = "N", description = "Shard count for --shard auto under a Kubernetes Indexed Job.")
    Integer shards;

    @Option(names = "--grid", description = "Also write grid.png per prompt.")
    boolean grid;

    @Option(names = "--fail-fast", description = "Stop at the first failed prompt.")
    boolean failFast;

    @Option(names = "--allow-settings-change", description = "Resume even though sweep.json records other settings.")
    boolean allowSettingsChange;

    @Option(names = {"-m", "--model", "--model_path"}, paramLabel = "DIR|REPO", description = "Checkpoint folder or repo id.")
    String model;

    @Mixin GenerationOptions generation = new GenerationOptions();
    @Mixin RuntimeOptions runtime = new RuntimeOptions();

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        runtime.apply(err);
        if ((metadata == null) == (promptFile == null)) throw new UserException("give exactly one of --metadata FILE and --prompt-file FILE");
        List<GenevalPrompts.Entry> prompts;
        try {
            prompts = metadata != null ? GenevalPrompts.readJsonl(metadata) : GenevalPrompts.readText(promptFile);
        } catch (IOException e) {
            throw new UserException(e.getMessage());
        }
        Shard s;
        try {
            s = shard == null ? Shard.ALL : shard.equals("auto") ? Shard.auto(System.getenv(), shards) : Shard.parse(shard);
        } catch (IllegalArgumentException e) {
            throw new UserException("--shard: " + e.getMessage());
        }
        GenerationRequest template = generation.request("", List.of()).build();
        ModelLocator.Located located = ModelLocator.locate(model, err);
        String modelName = located.demo() ? "demo" : located.checkpoint().root().toString();
        var options = new GenevalSweep.Options(out, samples, s, generation.seed, grid, failFast, allowSettingsChange, modelName,
                GenerateCommand.version(), generation.settings());
        long start = System.nanoTime();
        try (Progress progress = new Progress(err, runtime.verbose, true);
             OmniGen2Pipeline pipeline = load(located.checkpoint(), progress)) {
            GenevalSweep.Summary summary = new GenevalSweep(options).run(prompts,
                    (prompt, seed) -> pipeline.generate(template.toBuilder().prompt(prompt).seed(seed).build(), progress,
                            () -> Thread.currentThread().isInterrupted(), false).image(),
                    p -> {
                        if (runtime.quiet) return;
                        err.printf(Locale.ROOT, "prompt %d (%d/%d done), sample %d: %d made, %d skipped of %d; %.1f images/h, ETA %s%n",
                                p.currentPrompt(), p.promptsDone(), p.promptsTotal(), p.currentSample(), p.imagesMade(),
                                p.imagesSkipped(), p.imagesTotal(), p.imagesPerHour(), p.eta() == null ? "-" : format(p.eta()));
                        err.flush();
                    });
            for (GenevalSweep.Failure f : summary.failures())
                err.println("failed: prompt " + f.promptIndex() + " (line " + f.lineNumber() + "): " + f.message());
            err.printf(Locale.ROOT, "shard %s: %d prompts, %d images made, %d already there, %d failed, in %s%n", s, summary.prompts(),
                    summary.imagesMade(), summary.imagesSkipped(), summary.failures().size(),
                    format(Duration.ofNanos(System.nanoTime() - start)));
            err.flush();
            return summary.complete() ? 0 : 1;
        } catch (GenevalSweep.SettingsMismatchException e) {
            throw new UserException(e.getMessage());
        }
    }

    private OmniGen2Pipeline load(CheckpointFolder c, Progress progress) {
        try {
            return OmniGen2Pipeline.load(c, progress, generation.vaeTiling ? Tiling.of(512) : null);
        } catch (CheckpointFolder.CheckpointException e) {
            throw new UserException(e.getMessage());
        }
    }

    static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60) : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
    }
}
