package dev.omnigen2.safetensors;

import dev.omnigen2.runtime.DType;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Mutated *.safetensors.index.json files beside valid shards: accepted consistently, or the reader's exception. */
class IndexFuzzTest {
    static Path dir;
    static String index;

    @BeforeContainer
    static void writeCheckpoint() throws IOException {
        dir = Files.createTempDirectory("index-fuzz");
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < 6; i++) w.addZeros("layers." + i + ".weight", DType.BF16, 4, 4);
        index = Files.readString(w.writeSharded(dir, "model", 64));
    }

    @AfterContainer
    static void deleteCheckpoint() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    @Property(tries = 2_000, shrinking = ShrinkingMode.OFF)
    void mutatedIndexesAreAcceptedConsistentlyOrRejectedWithTheReadersException(@ForAll long seed) throws IOException {
        Random r = new Random(seed);
        byte[] b = index.getBytes(StandardCharsets.UTF_8);
        for (int k = 1 + r.nextInt(3); k > 0 && b.length > 0; k--) {
            switch (r.nextInt(4)) {
                case 0 -> b[r.nextInt(b.length)] = (byte) "{}[]\",:0123456789-. x/".charAt(r.nextInt(22));
                case 1 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                case 2 -> b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
                default -> {
                    int at = r.nextInt(b.length);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
            }
        }
        Path file = Files.write(dir.resolve("model.safetensors.index.json"), b);
        try (TensorStore st = Safetensors.open(file)) {
            for (String n : st.names()) assertThat(st.tensor(n).numel()).isEqualTo(16);
        } catch (SafetensorsException rejected) {
            assertThat(rejected.getMessage()).startsWith(file.toString());
        }
    }
}
