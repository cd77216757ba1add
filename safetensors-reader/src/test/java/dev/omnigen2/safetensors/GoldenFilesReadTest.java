package dev.omnigen2.safetensors;

import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class GoldenFilesReadTest {
    @Test
    void everyWeightsFileUnderGoldenOpensAndEveryTensorIsReadable() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.walk(Golden.root())) {
            files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        assertThat(files).hasSizeGreaterThan(8);
        for (Path f : files) {
            try (SafetensorsFile st = SafetensorsFile.open(f)) {
                assertThat(st.names()).as(f.toString()).isNotEmpty();
                for (String n : st.names()) {
                    Tensor t = st.tensor(n);
                    if (t.numel() > 0) t.getFloat(t.numel() - 1);
                }
            }
        }
    }
}
