package dev.omnigen2.cli;

import dev.omnigen2.models.chat.Understanding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code omnigen2 understand}: images + question → answer, streamed to stdout. */
@Command(name = "understand", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Answer a question about images with Qwen2.5-VL (the understanding mode).")
final class UnderstandCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-p", "--prompt", "--question"}, required = true, paramLabel = "TEXT", description = "The question.")
    String question;

    @Option(names = {"-i", "--input-image", "--input_image_path"}, paramLabel = "FILE", description = "Image (repeatable).")
    List<Path> images = new ArrayList<>();

    @Option(names = {"-m", "--model", "--model_path"}, paramLabel = "DIR|REPO", description = "Checkpoint folder or repo id.")
    String model;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Longest answer in tokens (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = 512;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature = 0f;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass (default: ${DEFAULT-VALUE}).")
    float topP = 1f;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K likeliest tokens, 0 = all (default: ${DEFAULT-VALUE}).")
    int topK = 0;

    @Option(names = {"-s", "--seed"}, description = "Seed for sampling (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Mixin RuntimeOptions runtime = new RuntimeOptions();

    @Override
    public Integer call() {
        var err = spec.commandLine().getErr();
        var out = spec.commandLine().getOut();
        runtime.apply(err);
        if (maxNewTokens < 1) throw new UserException("--max-new-tokens must be at least 1");
        var loaded = GenerationOptions.loadImages(images);
        ModelLocator.Located located = ModelLocator.locate(model, err);
        Understanding.Options options = temperature > 0
                ? Understanding.Options.sampled(maxNewTokens, temperature, topK, topP, seed) : Understanding.Options.greedy(maxNewTokens);
        try (Understanding u = Understanding.load(located.checkpoint(), null)) {
            u.understand(loaded, question, options, piece -> {
                out.print(piece);
                out.flush();
            }, () -> Thread.currentThread().isInterrupted());
            out.println();
            out.flush();
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        return 0;
    }
}
