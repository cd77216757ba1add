package dev.omnigen2.cli;

import dev.omnigen2.models.chat.ChatListener;
import dev.omnigen2.models.chat.ChatPipeline;
import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.PngFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code omnigen2 chat}: OmniGen2's own data flow — Qwen2.5-VL reads the instruction and the images and answers in
 * text (streamed to stdout); an answer that starts with {@code <|img|>} generates an image, written to -o.
 */
@Command(name = "chat", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Chat mode: the model answers in text, or generates an image when it answers <|img|>.")
final class ChatCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-p", "--prompt", "--instruction"}, required = true, paramLabel = "TEXT", description = "The message.")
    String prompt;

    @Option(names = {"-i", "--input-image", "--input_image_path"}, paramLabel = "FILE", description = "Input image (up to 5).")
    List<Path> inputImages = new ArrayList<>();

    @Option(names = {"-o", "--output", "--output_image_path"}, paramLabel = "FILE",
            description = "Where an image answer goes (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("chat.png");

    @Option(names = {"-m", "--model", "--model_path"}, paramLabel = "DIR|REPO", description = "Checkpoint folder or repo id.")
    String model;

    @Mixin GenerationOptions generation = new GenerationOptions();
    @Mixin RuntimeOptions runtime = new RuntimeOptions();

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr(), out = spec.commandLine().getOut();
        runtime.apply(err);
        GenerateCommand.checkWritable(output);
        List<RgbImage> images = GenerationOptions.loadImagesWithoutOrientation(inputImages);
        GenerationRequest request = generation.request(prompt, images).build();
        long start = System.nanoTime();
        ModelLocator.Located located = ModelLocator.locate(model, err);
        try (Progress progress = new Progress(err, runtime.verbose, runtime.quiet);
             ChatPipeline chat = ChatPipeline.load(located.checkpoint(), null, progress)) {
            ChatListener listener = new ChatListener() {
                @Override public void stage(String name) { progress.stage(name); }
                @Override public void step(dev.omnigen2.sampler.StepListener.StepEvent e) { progress.step(e); }
                @Override public void warning(String message) { progress.warning(message); }
                @Override public void text(String piece) { out.print(piece); out.flush(); }
            };
            ChatPipeline.Reply reply = chat.chat(request, listener, () -> Thread.currentThread().isInterrupted(), false);
            out.println();
            out.flush();
            if (reply.image() != null) {
                Map<String, String> text = new LinkedHashMap<>();
                text.put("prompt", prompt);
                text.put("seed", Long.toString(request.seed()));
                generation.settings().forEach((k, v) -> text.put(k, String.valueOf(v)));
                text.put("Software", "omnigen2-java " + GenerateCommand.version());
                PngFiles.write(reply.image().image(), text, output);
                progress.done("wrote " + output, Duration.ofNanos(System.nanoTime() - start));
            }
        } catch (CheckpointFolder.CheckpointException | IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        return 0;
    }
}
