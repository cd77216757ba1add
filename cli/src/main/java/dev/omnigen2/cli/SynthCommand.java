package dev.omnigen2.cli;

import dev.omnigen2.models.synth.SyntheticCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code omnigen2 synth}: a checkpoint folder in the real layout with random weights, for tests and benchmarks. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a checkpoint folder in the Hugging Face layout with random BF16 weights.")
final class SynthCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Folder to create (must be absent or empty).")
    Path out;

    @Option(names = "--preset", paramLabel = "NAME", description = "tiny (seconds) or full (the real dimensions, ~16 GB) (default: ${DEFAULT-VALUE}).")
    String preset = "tiny";

    @Option(names = {"-s", "--seed"}, description = "Seed of the weights (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--zeros", description = "Leave weights as zeros in sparse files (instant, no disk; for load/memory tests).")
    boolean zeros;

    @Override
    public Integer call() {
        var err = spec.commandLine().getErr();
        SyntheticCheckpoint.Preset p;
        try {
            p = SyntheticCheckpoint.Preset.parse(preset);
        } catch (IllegalArgumentException e) {
            throw new UserException("--preset: " + e.getMessage());
        }
        long start = System.nanoTime();
        try {
            SyntheticCheckpoint.write(out, p, seed, zeros, stage -> {
                err.println(stage + "...");
                err.flush();
            });
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        err.printf("wrote %s (%s preset) in %.1f s%n", out, preset, (System.nanoTime() - start) / 1e9);
        err.flush();
        return 0;
    }
}
