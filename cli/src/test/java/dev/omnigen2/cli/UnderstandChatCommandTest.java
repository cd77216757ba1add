package dev.omnigen2.cli;

import dev.omnigen2.models.chat.Understanding;
import dev.omnigen2.models.image.ImageLoader;
import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class UnderstandChatCommandTest {
    static final Path CHECKPOINT = Golden.dir("pipeline").resolve("checkpoint");
    static final Path IMAGE = Golden.dir("pipeline").resolve("images/01.jpg");

    @Test
    void understandStreamsTheModelsGreedyAnswer() {
        CliRun r = CliRun.of("understand", "-m", CHECKPOINT.toString(), "-i", IMAGE.toString(), "-p", "What is in the image?",
                "--max-new-tokens", "6");
        assertThat(r.exitCode()).as(r.err()).isZero();
        String expected;
        try (Understanding u = Understanding.load(CheckpointFolder.open(CHECKPOINT), null)) {
            expected = u.understand(List.of(ImageLoader.load(IMAGE)), "What is in the image?", Understanding.Options.greedy(6),
                    s -> {}, () -> false).text();
        }
        assertThat(r.out().strip()).isEqualTo(expected.strip()).isNotEmpty();
    }

    @Test
    void understandRejectsAnImageBelowTheProcessorsMinimum(@TempDir Path dir) throws Exception {
        Path tiny = dir.resolve("tiny.png");
        javax.imageio.ImageIO.write(new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB), "png", tiny.toFile());
        CliRun r = CliRun.of("understand", "-m", CHECKPOINT.toString(), "-i", tiny.toString(), "-p", "what?");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("error: ");
    }

    @Test
    void chatAnswersInTextOnTheTinyCheckpoint(@TempDir Path dir) {
        Path out = dir.resolve("chat.png");
        CliRun r = CliRun.of("chat", "-m", CHECKPOINT.toString(), "-i", IMAGE.toString(), "-p", "Describe this image.", "-o",
                out.toString(), "-q");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out().strip()).isNotEmpty();
        assertThat(out).doesNotExist(); // random weights answer in text, never <|img|>
    }
}
