package dev.omnigen2.models.geneval;

import dev.omnigen2.models.image.RgbImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenevalSweepTest {
    /** A cheap deterministic stand-in for the pipeline: the image is a function of prompt and seed. */
    static RgbImage noiseImage(String prompt, long seed) {
        SplittableRandom r = new SplittableRandom(seed ^ prompt.hashCode());
        byte[] px = new byte[16 * 8 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) r.nextInt(256);
        return new RgbImage(16, 8, px);
    }

    static Path metadata(Path dir, String... lines) throws IOException {
        Path f = dir.resolve("evaluation_metadata.jsonl");
        Files.writeString(f, String.join("\n", lines) + "\n");
        return f;
    }

    static GenevalSweep.Options options(Path out, Shard shard) {
        return new GenevalSweep.Options(out, 2, shard, 7, true, false, false, "fake", "test", Map.of("steps", 3));
    }

    static Map<String, byte[]> tree(Path root) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList())
                if (!p.getFileName().toString().equals("sweep.json")) m.put(root.relativize(p).toString(), Files.readAllBytes(p));
        }
        return m;
    }

    @Test
    void writesGenevalLayoutWithMetadataLinesByteForByte(@TempDir Path dir) throws Exception {
        String l0 = "{\"tag\": \"single_object\", \"include\": [{\"class\": \"bench\", \"count\": 1}], \"prompt\": \"a photo of a bench\"}";
        String l1 = "{\"tag\": \"single_object\", \"include\": [{\"class\": \"cow\", \"count\": 1}], \"prompt\": \"a photo of a cow\"}";
        Path out = dir.resolve("out");
        var summary = new GenevalSweep(options(out, Shard.ALL)).run(GenevalPrompts.readJsonl(metadata(dir, l0, l1)), GenevalSweepTest::noiseImage, null);
        assertThat(summary.complete()).isTrue();
        assertThat(summary.imagesMade()).isEqualTo(4);
        assertThat(Files.readString(out.resolve("00000/metadata.jsonl"))).isEqualTo(l0);
        assertThat(Files.readString(out.resolve("00001/metadata.jsonl"))).isEqualTo(l1);
        assertThat(out.resolve("00001/samples/00000.png")).isRegularFile();
        assertThat(out.resolve("00001/samples/00001.png")).isRegularFile();
        assertThat(out.resolve("00000/grid.png")).isRegularFile();
        assertThat(out.resolve("sweep.json")).content().contains("\"steps\" : 3");
        var again = new GenevalSweep(options(out, Shard.ALL)).run(GenevalPrompts.readJsonl(metadata(dir, l0, l1)), GenevalSweepTest::noiseImage, null);
        assertThat(again.imagesMade()).isZero();
        assertThat(again.imagesSkipped()).isEqualTo(4);
    }

    @Test
    void twoShardsTogetherEqualTheUnshardedRun(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 5; i++) lines.add("{\"prompt\": \"prompt number " + i + "\"}");
        var prompts = GenevalPrompts.readJsonl(metadata(dir, lines.toArray(String[]::new)));
        new GenevalSweep(options(dir.resolve("all"), Shard.ALL)).run(prompts, GenevalSweepTest::noiseImage, null);
        new GenevalSweep(options(dir.resolve("merged"), new Shard(0, 2))).run(prompts, GenevalSweepTest::noiseImage, null);
        new GenevalSweep(options(dir.resolve("merged"), new Shard(1, 2))).run(prompts, GenevalSweepTest::noiseImage, null);
        assertThat(tree(dir.resolve("merged"))).containsOnlyKeys(tree(dir.resolve("all")).keySet());
        Map<String, byte[]> merged = tree(dir.resolve("merged"));
        tree(dir.resolve("all")).forEach((k, v) -> assertThat(merged.get(k)).as(k).isEqualTo(v));
    }

    @Test
    void malformedLineIsReportedWithItsLineNumberAndTheSweepGoesOn(@TempDir Path dir) throws Exception {
        Path meta = metadata(dir, "{\"prompt\": \"ok one\"}", "{\"prompt\": ", "{\"tag\": 1}", "{\"prompt\": \"ok two\"}");
        var s = new GenevalSweep(options(dir.resolve("out"), Shard.ALL)).run(GenevalPrompts.readJsonl(meta), GenevalSweepTest::noiseImage, null);
        assertThat(s.complete()).isFalse();
        assertThat(s.failures()).extracting(GenevalSweep.Failure::message)
                .anySatisfy(m -> assertThat(m).contains("evaluation_metadata.jsonl:2").contains("not valid JSON"))
                .anySatisfy(m -> assertThat(m).contains("evaluation_metadata.jsonl:3").contains("\"prompt\""));
        assertThat(dir.resolve("out/00003/samples/00001.png")).isRegularFile();
    }

    @Test
    void refusesToMixSettingsUnlessTold(@TempDir Path dir) throws Exception {
        var prompts = GenevalPrompts.readText(Files.writeString(dir.resolve("p.txt"), "a cat\n\na dog\n"));
        assertThat(prompts).extracting(GenevalPrompts.Entry::prompt).containsExactly("a cat", "a dog");
        Path out = dir.resolve("out");
        new GenevalSweep(options(out, Shard.ALL)).run(prompts, GenevalSweepTest::noiseImage, null);
        var other = new GenevalSweep.Options(out, 2, Shard.ALL, 8, false, false, false, "fake", "test", Map.of("steps", 3));
        assertThatThrownBy(() -> new GenevalSweep(other).run(prompts, GenevalSweepTest::noiseImage, null))
                .isInstanceOf(GenevalSweep.SettingsMismatchException.class).hasMessageContaining("seed");
        var allowed = new GenevalSweep.Options(out, 2, Shard.ALL, 8, false, false, true, "fake", "test", Map.of("steps", 3));
        assertThat(new GenevalSweep(allowed).run(prompts, GenevalSweepTest::noiseImage, null).imagesSkipped()).isEqualTo(4);
    }

    @Test
    void seedsDependOnlyOnBasePromptAndSample() {
        assertThat(SweepSeeds.seed(0, 3, 1)).isEqualTo(SweepSeeds.seed(0, 3, 1)).isNotEqualTo(SweepSeeds.seed(0, 3, 2))
                .isNotEqualTo(SweepSeeds.seed(1, 3, 1)).isNotEqualTo(SweepSeeds.seed(0, 4, 1)).isNotNegative();
    }

    @Test
    void autoShardReadsKubernetesAndSlurmEnvironments() {
        assertThat(Shard.auto(Map.of("JOB_COMPLETION_INDEX", "2"), 4)).isEqualTo(new Shard(2, 4));
        assertThat(Shard.auto(Map.of("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_COUNT", "3"), null)).isEqualTo(new Shard(2, 3));
        assertThatThrownBy(() -> Shard.auto(Map.of(), null)).hasMessageContaining("JOB_COMPLETION_INDEX");
        assertThatThrownBy(() -> Shard.parse("3/2")).hasMessageContaining("0 <= K < N");
    }

    /** Entry point of the child process that {@link #killedSweepResumesToTheSameImages} kills. */
    public static final class SlowChild {
        public static void main(String[] args) throws Exception {
            var prompts = GenevalPrompts.readJsonl(Path.of(args[0]));
            new GenevalSweep(options(Path.of(args[1]), Shard.ALL)).run(prompts, (p, s) -> {
                Thread.sleep(150);
                return noiseImage(p, s);
            }, null);
        }
    }

    @Test
    void killedSweepResumesToTheSameImages(@TempDir Path dir) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 12; i++) lines.add("{\"prompt\": \"p" + i + "\"}");
        Path meta = metadata(dir, lines.toArray(String[]::new));
        var prompts = GenevalPrompts.readJsonl(meta);
        new GenevalSweep(options(dir.resolve("reference"), Shard.ALL)).run(prompts, GenevalSweepTest::noiseImage, null);

        Path out = dir.resolve("killed");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), SlowChild.class.getName(),
                meta.toString(), out.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (countPngs(out) < 5 && System.nanoTime() < deadline && child.isAlive()) Thread.sleep(20);
        assertThat(child.isAlive()).as("child still running when killed; log: " + Files.readString(dir.resolve("child.log"), StandardCharsets.UTF_8)).isTrue();
        child.destroyForcibly().waitFor(); // SIGKILL
        assertThat(countPngs(out)).isBetween(5L, 23L);

        new GenevalSweep(options(out, Shard.ALL)).run(prompts, GenevalSweepTest::noiseImage, null);
        Map<String, byte[]> want = tree(dir.resolve("reference")), got = tree(out);
        assertThat(got.keySet()).containsExactlyElementsOf(want.keySet());
        want.forEach((k, v) -> assertThat(got.get(k)).as(k).isEqualTo(v));
    }

    static long countPngs(Path out) throws IOException {
        if (!Files.exists(out)) return 0;
        try (Stream<Path> s = Files.walk(out)) {
            return s.filter(p -> p.toString().endsWith(".png") && p.getParent().getFileName().toString().equals("samples")).count();
        }
    }
}
