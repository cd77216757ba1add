package dev.omnigen2.cli;

import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.pipeline.PngFiles;
import dev.omnigen2.models.vae.Tiling;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code omnigen2 generate}: text-to-image, or editing / in-context generation with input images. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate an image from a prompt (with -i images: edit or in-context generation).")
class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-p", "--prompt", "--instruction"}, required = true, paramLabel = "TEXT", description = "What to generate.")
    String prompt;

    @Option(names = {"-i", "-r", "--input-image", "--input_image_path"}, paramLabel = "FILE",
            description = "Input image (repeat for up to 5; PNG, JPEG, WebP).")
    List<Path> inputImages = new ArrayList<>();

    @Option(names = {"-o", "--output", "--output_image_path"}, paramLabel = "FILE", description = "Output PNG (default: ${DEFAULT-VALUE}).")
    Path output = Path.of("output.png");

    @Option(names = {"-m", "--model", "--model_path"}, paramLabel = "DIR|REPO",
            description = "Checkpoint folder or Hugging Face repo id (default: OmniGen2/OmniGen2 from the HF cache, else a demo).")
    String model;

    @Mixin GenerationOptions generation = new GenerationOptions();
    @Mixin RuntimeOptions runtime = new RuntimeOptions();

    /** At least this many input images (edit needs one). */
    int minimumImages() { return 0; }

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        runtime.apply(err);
        checkWritable(output);
        if (inputImages.size() < minimumImages())
            throw new UserException(spec.name() + " needs at least " + minimumImages() + " input image (-i FILE)");
        List<RgbImage> images = GenerationOptions.loadImages(inputImages);
        GenerationRequest request = generation.request(prompt, images).build();
        checkMemory(request);

        long start = System.nanoTime();
        try (Progress progress = new Progress(err, runtime.verbose, runtime.quiet)) {
            ModelLocator.Located located = ModelLocator.locate(model, err);
            try (OmniGen2Pipeline pipeline = load(located.checkpoint(), progress)) {
                OmniGen2Pipeline.Result result = pipeline.generate(request, progress, () -> Thread.currentThread().isInterrupted(), false);
                Map<String, String> text = new LinkedHashMap<>();
                text.put("prompt", prompt);
                text.put("seed", Long.toString(request.seed()));
                generation.settings().forEach((k, v) -> text.put(k, String.valueOf(v)));
                text.put("model", located.demo() ? "demo (random weights)" : located.checkpoint().root().toString());
                for (int i = 0; i < inputImages.size(); i++) text.put("input_image_" + i, inputImages.get(i).toString());
                text.put("Software", "omnigen2-java " + version());
                progress.stage("writing " + output);
                PngFiles.write(result.image(), text, output);
                progress.done("wrote " + output + " (" + result.image().width() + "x" + result.image().height() + ")",
                        Duration.ofNanos(System.nanoTime() - start));
            }
        }
        return 0;
    }

    OmniGen2Pipeline load(CheckpointFolder checkpoint, Progress progress) {
        try {
            return OmniGen2Pipeline.load(checkpoint, progress, generation.vaeTiling ? Tiling.of(512) : null);
        } catch (CheckpointFolder.CheckpointException e) {
            throw new UserException(e.getMessage());
        }
    }

    /** Physical memory (activations live off the Java heap), or -1 when unknown. */
    static long physicalMemory() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
            return os.getTotalMemorySize();
        return -1;
    }

    static String version() {
        String v = GenerateCommand.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Fails before any work when the output cannot be written. */
    static void checkWritable(Path output) {
        Path dir = output.toAbsolutePath().getParent();
        if (Files.isDirectory(output)) throw new UserException(output + ": is a folder, expected an output file name");
        if (dir == null || !Files.isDirectory(dir)) throw new UserException(output + ": the folder " + dir + " does not exist");
        if (!Files.isWritable(dir)) throw new UserException(output + ": the folder " + dir + " is not writable");
        if (Files.exists(output) && !Files.isWritable(output)) throw new UserException(output + ": exists and is not writable");
    }

    /**
     * A rough bound on working memory: the VAE decoder's full-resolution activations (without tiling) dominate;
     * refuses sizes the JVM cannot hold, saying how much they need.
     */
    void checkMemory(GenerationRequest r) {
        long pixels = (long) r.width() * r.height();
        if (pixels > 64L * 1024 * 1024) throw new UserException(r.width() + "x" + r.height() + " is too large: at most 64 megapixels");
        long need = generation.vaeTiling ? 2L << 30 : pixels * 128 * 4 * 4 + (1L << 30);
        long have = physicalMemory();
        if (have > 0 && need > have)
            throw new UserException(String.format("%dx%d needs about %.1f GiB of working memory but this machine has %.1f GiB;"
                            + " use --vae-tiling or a smaller size", r.width(), r.height(),
                    need / (double) (1L << 30), have / (double) (1L << 30)));
    }
}
