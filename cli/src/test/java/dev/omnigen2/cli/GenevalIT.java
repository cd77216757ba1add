package dev.omnigen2.cli;

import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * geneval through the launcher on the tiny checkpoint: a sweep killed with SIGKILL and rerun equals an
 * uninterrupted one byte for byte, two shards together equal the whole, and the layout is GenEval's.
 */
class GenevalIT {
    static final Path CHECKPOINT = Golden.dir("pipeline").resolve("checkpoint");

    static ProcessBuilder geneval(Path metadata, Path out, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("sh", LauncherIT.LAUNCHER.toString(), "geneval", "--metadata", metadata.toString(),
                "--out", out.toString(), "-m", CHECKPOINT.toString(), "--samples", "2", "-W", "32", "-H", "32", "--steps", "2"));
        cmd.addAll(List.of(extra));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb;
    }

    static int run(ProcessBuilder pb, Path log) throws IOException, InterruptedException {
        Process p = pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(p.waitFor(300, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    static Map<String, byte[]> images(Path root) throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = root.relativize(p).toString();
                if (!rel.equals("sweep.json")) m.put(rel, Files.readAllBytes(p));
            }
        }
        return m;
    }

    @Test
    void killedSweepResumesToTheUninterruptedImagesAndShardsMerge(@TempDir Path dir) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(System.getProperty("testdata.dir"), "geneval", "evaluation_metadata.jsonl"));
        Path meta = dir.resolve("meta.jsonl");
        Files.writeString(meta, String.join("\n", lines.subList(0, 4)) + "\n");

        Path whole = dir.resolve("whole");
        assertThat(run(geneval(meta, whole), dir.resolve("whole.log"))).as(Files.readString(dir.resolve("whole.log"))).isZero();
        assertThat(Files.readString(whole.resolve("00003/metadata.jsonl"))).isEqualTo(lines.get(3));
        assertThat(whole.resolve("00003/samples/00001.png")).isRegularFile();
        assertThat(whole.resolve("sweep.json")).content().contains("\"steps\" : 2");

        Path killed = dir.resolve("killed");
        Process p = geneval(meta, killed).redirectErrorStream(true).redirectOutput(dir.resolve("killed.log").toFile()).start();
        Path first = killed.resolve("00000/samples/00000.png");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
        while (!Files.exists(first) && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(p.isAlive()).as("sweep still running at the first image").isTrue();
        p.destroyForcibly().waitFor(); // SIGKILL
        assertThat(images(killed).size()).isLessThan(images(whole).size());
        assertThat(run(geneval(meta, killed), dir.resolve("resume.log"))).isZero();
        assertThat(images(killed).keySet()).containsExactlyElementsOf(images(whole).keySet());
        Map<String, byte[]> w = images(whole), k = images(killed);
        w.forEach((name, bytes) -> assertThat(k.get(name)).as(name).isEqualTo(bytes));

        Path sharded = dir.resolve("sharded");
        assertThat(run(geneval(meta, sharded, "--shard", "0/2"), dir.resolve("s0.log"))).isZero();
        assertThat(run(geneval(meta, sharded, "--shard", "1/2"), dir.resolve("s1.log"))).isZero();
        Map<String, byte[]> s = images(sharded);
        assertThat(s.keySet()).containsExactlyElementsOf(w.keySet());
        w.forEach((name, bytes) -> assertThat(s.get(name)).as(name).isEqualTo(bytes));

        Path other = dir.resolve("other.log");
        assertThat(run(geneval(meta, whole, "--seed", "5"), other)).isEqualTo(2);
        assertThat(Files.readString(other)).contains("sweep.json records other settings");
    }
}
