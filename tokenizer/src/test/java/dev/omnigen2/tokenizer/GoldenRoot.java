package dev.omnigen2.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the golden fixtures are: {@code -Dgolden.dir}, else the first {@code testdata/golden} found
 * walking up from the working directory (the tokenizer module does not depend on the shared testkit).
 */
final class GoldenRoot {
    private GoldenRoot() {}

    static Path root() {
        String configured = System.getProperty("golden.dir");
        if (configured != null && !configured.isBlank()) return Path.of(configured);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("testdata/golden");
            if (Files.isDirectory(candidate)) return candidate;
        }
        throw new IllegalStateException("golden fixtures not found: set -Dgolden.dir or run inside the repository");
    }

    static Path dir(String name) {
        Path d = root().resolve(name);
        if (!Files.isDirectory(d)) throw new IllegalStateException("golden folder missing: " + d);
        return d;
    }
}
