package dev.omnigen2.cli;

import dev.omnigen2.models.pipeline.PngFiles;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** generate / edit / synth in process on the tiny checkpoint: the happy paths and every bad input of the issue. */
class GenerateCommandTest {
    static final Path CHECKPOINT = Golden.dir("pipeline").resolve("checkpoint");
    static final Path IMAGE = Golden.dir("pipeline").resolve("images/doll2.jpg");

    static CliRun generate(Path out, String... extra) {
        String[] base = {"generate", "-m", CHECKPOINT.toString(), "-p", "a red apple next to a blue cup", "-o", out.toString(),
                "-W", "48", "-H", "32", "--steps", "2", "-q"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliRun.of(args);
    }

    static void assertUserError(CliRun r, String... fragments) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(r.errLines()).as(r.err()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("error: ");
        for (String f : fragments) assertThat(r.errLines().get(0)).contains(f);
    }

    @Test
    void generatesAPngWithItsParametersAndTheSameImageForTheSameSeed(@TempDir Path dir) {
        Path a = dir.resolve("a.png"), b = dir.resolve("b.png");
        CliRun r = generate(a, "-s", "7");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(PngFiles.read(a).width()).isEqualTo(48);
        assertThat(PngFiles.readText(a)).containsEntry("prompt", "a red apple next to a blue cup").containsEntry("seed", "7")
                .containsEntry("steps", "2").containsEntry("scheduler", "euler").containsKey("model");
        assertThat(generate(b, "-s", "7", "--scheduler", "dpmsolver++").exitCode()).isZero();
        assertThat(generate(b, "-s", "7").exitCode()).isZero();
        assertThat(PngFiles.read(b).rgb()).isEqualTo(PngFiles.read(a).rgb());
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("a.png", "b.png");
    }

    @Test
    void editsAnImageAtItsOwnSize(@TempDir Path dir) {
        Path out = dir.resolve("edit.png");
        CliRun r = CliRun.of("edit", "-m", CHECKPOINT.toString(), "-i", IMAGE.toString(), "-p", "make the sky purple", "-o",
                out.toString(), "--steps", "1", "--max-input-image-pixels", "6912", "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(PngFiles.read(out).width()).isEqualTo(64);
        assertThat(PngFiles.read(out).height()).isEqualTo(104);
        assertUserError(CliRun.of("edit", "-m", CHECKPOINT.toString(), "-p", "x", "-o", dir.resolve("e.png").toString()),
                "at least 1 input image");
    }

    @Test
    void missingOrIncompleteCheckpointsAreNamed(@TempDir Path dir) throws IOException {
        assertUserError(CliRun.of("generate", "-m", dir.resolve("nope").toString(), "-p", "x", "-o", dir.resolve("o.png").toString()),
                "nope", "no such checkpoint folder");
        Path partial = copyCheckpoint(dir.resolve("partial"));
        deleteTree(partial.resolve("vae"));
        assertUserError(CliRun.of("generate", "-m", partial.toString(), "-p", "x", "-o", dir.resolve("o.png").toString()), "'vae/' is missing");
        Path shapes = copyCheckpoint(dir.resolve("shapes"));
        Path cfg = shapes.resolve("transformer/config.json");
        String config = Files.readString(cfg);
        Files.writeString(cfg, config.replace("\"text_feat_dim\": 32", "\"text_feat_dim\": 48"));
        assertUserError(generate(dir.resolve("o.png"), "-m", shapes.toString()), "caption_embedder", "config.json implies");
        Files.writeString(cfg, config.replace("\"hidden_size\": 64", "\"hidden_size\": 96"));
        assertUserError(generate(dir.resolve("o.png"), "-m", shapes.toString()), "config.json", "head_dim");
        assertThat(dir.resolve("o.png")).doesNotExist();
    }

    @Test
    void badImagesAndArgumentsAreOneLineErrorsAndWriteNothing(@TempDir Path dir) throws IOException {
        Path out = dir.resolve("o.png");
        Path corrupt = Files.write(dir.resolve("corrupt.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1, 2, 3});
        Path text = Files.writeString(dir.resolve("notes.txt"), "not an image");
        assertUserError(generate(out, "-i", dir.resolve("missing.png").toString()), "missing.png", "no such image file");
        assertUserError(generate(out, "-i", corrupt.toString()), "corrupt.jpg");
        assertUserError(generate(out, "-i", text.toString()), "notes.txt", "unsupported image format");
        String[] six = new String[12];
        for (int i = 0; i < 6; i++) { six[2 * i] = "-i"; six[2 * i + 1] = IMAGE.toString(); }
        assertUserError(generate(out, six), "6 input images", "at most 5");
        assertUserError(generate(out, "-W", "0"), "--width/--height must be positive");
        assertUserError(generate(out, "-W", "60000", "-H", "60000"), "too large");
        assertUserError(generate(out, "-W", "6000", "-H", "6000"), "GiB", "--vae-tiling");
        assertUserError(generate(out, "--scheduler", "ddim"), "unknown scheduler 'ddim'");
        assertUserError(generate(dir.resolve("no/such/dir/o.png")), "does not exist");
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("corrupt.jpg", "notes.txt");
    }

    @Test
    void aPromptLongerThanTheLimitIsTruncatedWithAWarning(@TempDir Path dir) {
        Path out = dir.resolve("long.png");
        CliRun r = generate(out, "--max-sequence-length", "30", "--steps", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err()).contains("warning: ").contains("truncated");
        assertThat(out).isRegularFile();
    }

    @Test
    void synthWritesATinyCheckpointThatGenerates(@TempDir Path dir) {
        Path ckpt = dir.resolve("ckpt");
        CliRun s = CliRun.of("synth", ckpt.toString(), "--preset", "tiny");
        assertThat(s.exitCode()).as(s.err()).isZero();
        CliRun g = CliRun.of("generate", "-m", ckpt.toString(), "-p", "x", "-o", dir.resolve("x.png").toString(), "-W", "32", "-H", "32",
                "--steps", "1", "-q");
        assertThat(g.exitCode()).as(g.err()).isZero();
        assertUserError(CliRun.of("synth", ckpt.toString()), "not empty");
        assertUserError(CliRun.of("synth", dir.resolve("y").toString(), "--preset", "huge"), "unknown preset 'huge'");
    }

    static Path copyCheckpoint(Path to) throws IOException {
        try (Stream<Path> s = Files.walk(CHECKPOINT)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(CHECKPOINT.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
        return to;
    }

    static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }
}
