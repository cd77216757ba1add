package dev.omnigen2.cli;

import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.synth.SyntheticCheckpoint;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Which checkpoint a command runs: {@code --model} (a folder or a Hugging Face repo id in the local cache), else
 * OmniGen2/OmniGen2 from the Hugging Face cache, else the demo checkpoint — random weights in the real layout at
 * tiny size, written once (deterministically) into the user cache so the CLI runs out of the box.
 */
final class ModelLocator {
    static final String DEMO_NAME = "demo-tiny-v1";
    static final long DEMO_SEED = 2025;

    private ModelLocator() {}

    record Located(CheckpointFolder checkpoint, boolean demo) {}

    static Located locate(String model, PrintWriter err) {
        try {
            if (model != null) return new Located(CheckpointFolder.open(model), false);
            Optional<Path> cached = CheckpointFolder.findInHfCache(CheckpointFolder.DEFAULT_REPO);
            if (cached.isPresent()) return new Located(CheckpointFolder.open(cached.get()), false);
        } catch (CheckpointFolder.CheckpointException e) {
            throw new UserException(e.getMessage());
        }
        Path demo = demoFolder();
        err.println("note: no --model given and no " + CheckpointFolder.DEFAULT_REPO + " in the Hugging Face cache: using the built-in demo");
        err.println("      checkpoint (random weights), so the result is noise. For real images download the weights");
        err.println("      (huggingface-cli download " + CheckpointFolder.DEFAULT_REPO + ") and pass --model <folder> or --model " + CheckpointFolder.DEFAULT_REPO + ".");
        err.flush();
        return new Located(CheckpointFolder.open(demo), true);
    }

    static Path cacheRoot() {
        String own = System.getenv("OMNIGEN2_HOME");
        if (own != null && !own.isBlank()) return Path.of(own);
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("omnigen2-java");
    }

    /** The demo checkpoint, written on first use into a temporary sibling and renamed into place. */
    static Path demoFolder() {
        Path target = cacheRoot().resolve(DEMO_NAME);
        if (Files.isRegularFile(target.resolve("model_index.json"))) return target;
        try {
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempDirectory(target.getParent(), "." + DEMO_NAME + ".");
            try {
                SyntheticCheckpoint.write(tmp.resolve("c"), SyntheticCheckpoint.Preset.TINY, DEMO_SEED, false, null);
                try {
                    Files.move(tmp.resolve("c"), target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp.resolve("c"), target);
                } catch (FileAlreadyExistsException e) {
                    // another process won the race; its copy is identical
                }
            } finally {
                deleteTree(tmp);
            }
            return target;
        } catch (IOException e) {
            throw new UserException(target + ": cannot write the demo checkpoint: " + e.getMessage());
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
