package dev.omnigen2.models.geneval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omnigen2.models.pipeline.AtomicFiles;
import dev.omnigen2.models.pipeline.PngFiles;
import dev.omnigen2.models.image.RgbImage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A resumable, shardable GenEval sweep: for every prompt of the shard and every sample, one PNG in GenEval's
 * layout ({@code <out>/<index:05d>/metadata.jsonl}, {@code samples/<k:05d>.png}, optional {@code grid.png}) and
 * {@code <out>/sweep.json} with the model and every generation setting.
 *
 * <p>An image is finished once it has been renamed into place; rerunning the same sweep skips finished images,
 * removes partial files left by an interrupted run and redoes the interrupted image. Seeds come from
 * {@link SweepSeeds}, so the images do not depend on sharding or resumption.
 */
public final class GenevalSweep {
    /** Makes one image; anything it throws fails that image (and prompt) only. */
    @FunctionalInterface
    public interface ImageMaker {
        RgbImage make(String prompt, long seed) throws Exception;
    }

    /** Progress after each image. */
    public record Progress(int promptsDone, int promptsTotal, int imagesMade, int imagesSkipped, int imagesTotal,
                           double imagesPerHour, Duration eta, int currentPrompt, int currentSample) {}

    @FunctionalInterface
    public interface Listener {
        void onProgress(Progress p);
    }

    public record Failure(int promptIndex, int lineNumber, String message) {}

    public record Summary(int prompts, int imagesMade, int imagesSkipped, int imagesExpected, List<Failure> failures,
                          Duration elapsed) {
        public boolean complete() { return failures.isEmpty() && imagesMade + imagesSkipped == imagesExpected; }
    }

    /**
     * @param settings   every generation setting, recorded in sweep.json and compared on resume
     * @param allowSettingsChange resume even when sweep.json records other settings (and rewrite it)
     */
    public record Options(Path out, int samples, Shard shard, long seed, boolean grid, boolean failFast,
                          boolean allowSettingsChange, String model, String toolVersion, Map<String, Object> settings) {
        public Options {
            if (samples < 1) throw new IllegalArgumentException("--samples must be >= 1, got " + samples);
        }
    }

    /** Settings of an existing sweep.json that disagree with this run. */
    public static final class SettingsMismatchException extends RuntimeException {
        public SettingsMismatchException(String message) { super(message); }
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Options options;

    public GenevalSweep(Options options) { this.options = options; }

    public Summary run(List<GenevalPrompts.Entry> prompts, ImageMaker maker, Listener listener) throws IOException {
        Files.createDirectories(options.out());
        writeOrCheckSweepJson();
        List<GenevalPrompts.Entry> mine = prompts.stream().filter(e -> options.shard().contains(e.index())).toList();
        int total = mine.size() * options.samples();
        long start = System.nanoTime();
        int made = 0, skipped = 0, done = 0;
        List<Failure> failures = new ArrayList<>();
        for (GenevalPrompts.Entry e : mine) {
            if (!e.ok()) {
                failures.add(new Failure(e.index(), e.lineNumber(), e.error()));
                if (options.failFast()) break;
                done++;
                continue;
            }
            Path folder = options.out().resolve(String.format(Locale.ROOT, "%05d", e.index()));
            Path samples = folder.resolve("samples");
            Files.createDirectories(samples);
            removePartialFiles(samples);
            writeAtomically(folder.resolve("metadata.jsonl"), e.metadataJson());
            boolean failed = false;
            List<Path> files = new ArrayList<>();
            for (int k = 0; k < options.samples(); k++) {
                Path png = samples.resolve(String.format(Locale.ROOT, "%05d.png", k));
                files.add(png);
                if (Files.exists(png)) {
                    skipped++;
                } else {
                    long seed = SweepSeeds.seed(options.seed(), e.index(), k);
                    try {
                        RgbImage img = maker.make(e.prompt(), seed);
                        PngFiles.write(img, pngText(e.prompt(), seed, k), png);
                        made++;
                    } catch (Exception ex) {
                        failures.add(new Failure(e.index(), e.lineNumber(), "prompt " + e.index() + " sample " + k + ": " + ex.getMessage()));
                        failed = true;
                        if (options.failFast()) break;
                    }
                }
                if (listener != null) {
                    double hours = (System.nanoTime() - start) / 3.6e12;
                    double rate = made > 0 ? made / hours : 0;
                    int left = total - made - skipped;
                    Duration eta = made > 0 ? Duration.ofSeconds((long) (left / rate * 3600)) : null;
                    listener.onProgress(new Progress(done, mine.size(), made, skipped, total, rate, eta, e.index(), k));
                }
            }
            if (!failed && options.grid()) writeGrid(files, folder.resolve("grid.png"));
            done++;
            if (failed && options.failFast()) break;
        }
        return new Summary(mine.size(), made, skipped, total, failures, Duration.ofNanos(System.nanoTime() - start));
    }

    private Map<String, String> pngText(String prompt, long seed, int sample) {
        Map<String, String> t = new TreeMap<>();
        t.put("prompt", prompt);
        t.put("seed", Long.toString(seed));
        t.put("sample", Integer.toString(sample));
        if (options.model() != null) t.put("model", options.model());
        options.settings().forEach((k, v) -> t.put(k, String.valueOf(v)));
        t.put("Software", "omnigen2-java " + options.toolVersion());
        return t;
    }

    private void writeOrCheckSweepJson() throws IOException {
        ObjectNode mine = JSON.createObjectNode();
        mine.put("tool", "omnigen2-java");
        mine.put("version", options.toolVersion());
        mine.put("model", options.model());
        mine.put("seed", options.seed());
        mine.put("seed_rule", "splitmix64(splitmix64(seed) + 0x9E3779B97F4A7C15*prompt_index + sample_index) & (2^63-1)");
        mine.put("samples", options.samples());
        mine.set("settings", JSON.valueToTree(new TreeMap<>(options.settings())));
        Path file = options.out().resolve("sweep.json");
        if (Files.exists(file)) {
            JsonNode old;
            try {
                old = JSON.readTree(file.toFile());
            } catch (IOException e) {
                throw new SettingsMismatchException(file + ": unreadable (" + e.getMessage() + "); remove it or use another --out");
            }
            JsonNode now = JSON.readTree(JSON.writeValueAsString(mine)); // same number types as the parsed file
            List<String> diffs = new ArrayList<>();
            for (String key : List.of("model", "seed", "settings"))
                if (!now.path(key).equals(old.path(key))) diffs.add(key + ": was " + old.path(key) + ", now " + now.path(key));
            if (!diffs.isEmpty() && !options.allowSettingsChange())
                throw new SettingsMismatchException(file + " records other settings (" + String.join("; ", diffs)
                        + "); use another --out, or --allow-settings-change to mix them");
            if (diffs.isEmpty()) return;
        }
        writeAtomically(file, JSON.writeValueAsString(mine) + "\n");
    }

    private static void removePartialFiles(Path dir) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, AtomicFiles.PARTIAL_GLOB)) {
            for (Path p : s) Files.deleteIfExists(p);
        }
    }

    static void writeAtomically(Path target, String content) throws IOException {
        if (Files.exists(target) && Files.readString(target, StandardCharsets.UTF_8).equals(content)) return;
        AtomicFiles.write(target, tmp -> Files.writeString(tmp, content, StandardCharsets.UTF_8));
    }

    /** The samples side by side with a 2-pixel gap, as GenEval's make_grid with one row. */
    private static void writeGrid(List<Path> files, Path target) throws IOException {
        List<RgbImage> imgs = new ArrayList<>();
        for (Path f : files) imgs.add(PngFiles.read(f));
        int pad = 2, h = 0, w = pad;
        for (RgbImage i : imgs) { h = Math.max(h, i.height()); w += i.width() + pad; }
        h += 2 * pad;
        byte[] px = new byte[w * h * 3];
        int x0 = pad;
        for (RgbImage i : imgs) {
            for (int y = 0; y < i.height(); y++)
                System.arraycopy(i.rgb(), y * i.width() * 3, px, ((y + pad) * w + x0) * 3, i.width() * 3);
            x0 += i.width() + pad;
        }
        PngFiles.write(new RgbImage(w, h, px), Map.of(), target);
    }
}
