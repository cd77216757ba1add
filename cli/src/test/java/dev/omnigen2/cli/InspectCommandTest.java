package dev.omnigen2.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnigen2.safetensors.Safetensors;
import dev.omnigen2.safetensors.SafetensorsWriter;
import dev.omnigen2.safetensors.TensorStore;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class InspectCommandTest {
    static final Path CHECKPOINT = Golden.dir("pipeline").resolve("checkpoint");

    @TempDir Path dir;

    private static List<String> components() throws Exception {
        List<String> names = new ArrayList<>();
        new ObjectMapper().readTree(CHECKPOINT.resolve("model_index.json").toFile()).properties()
                .forEach(e -> { if (!e.getKey().startsWith("_")) names.add(e.getKey()); });
        return names;
    }

    @Test
    void inspectsTheGoldenCheckpointOneSectionPerComponent() throws Exception {
        CliRun run = CliRun.of("inspect", CHECKPOINT.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).isEmpty();
        long tensors = 0, bytes = 0;
        for (String c : components()) {
            assertThat(run.out()).contains("== " + c + ": " + CHECKPOINT.resolve(c));
            if (c.equals("processor") || c.equals("scheduler")) continue;
            try (TensorStore st = Safetensors.open(CHECKPOINT.resolve(c))) {
                for (String n : st.names()) {
                    assertThat(run.out()).contains(n);
                    tensors++;
                    bytes += st.entry(n).byteSize();
                }
            }
        }
        assertThat(run.out()).contains("(no weights: ")
                .contains(String.format("== checkpoint total: %d components, %,d tensors, ", components().size(), tensors))
                .contains(String.format("%,d bytes", bytes))
                .contains("metadata: format=pt")
                .contains("index total_size: ");
    }

    @Test
    void jsonOutputParsesAndAgreesWithTheReader() throws Exception {
        CliRun run = CliRun.of("inspect", "--json", CHECKPOINT.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode root = new ObjectMapper().readTree(run.out());
        List<String> names = new ArrayList<>();
        long allBytes = 0;
        for (JsonNode c : root.get("components")) {
            names.add(c.get("name").asText());
            if (c.get("tensors").isEmpty()) {
                assertThat(c.get("layout").asText()).isEqualTo("no weights");
                continue;
            }
            try (TensorStore st = Safetensors.open(Path.of(c.get("path").asText()))) {
                assertThat(c.get("tensors").size()).isEqualTo(st.names().size());
                long bytes = 0;
                for (JsonNode t : c.get("tensors")) {
                    var e = st.entry(t.get("name").asText());
                    assertThat(t.get("dtype").asText()).isEqualTo(e.stored().name());
                    assertThat(new ObjectMapper().convertValue(t.get("shape"), int[].class)).containsExactly(e.shape());
                    assertThat(t.get("bytes").asLong()).isEqualTo(e.byteSize());
                    bytes += e.byteSize();
                }
                assertThat(c.get("totals").get("bytes").asLong()).isEqualTo(bytes);
                assertThat(c.get("totals").get("by_dtype").get("BF16").get("bytes").asLong()).isEqualTo(bytes);
                allBytes += bytes;
            }
        }
        assertThat(names).containsExactlyElementsOf(components());
        assertThat(root.get("totals").get("bytes").asLong()).isEqualTo(allBytes);
    }

    @Test
    void inspectsASingleFileAndAComponentFolder() throws Exception {
        Path f = dir.resolve("one.safetensors");
        new SafetensorsWriter().metadata("who", "test").add("a.weight", DType.BF16, new int[]{2, 3}, new byte[12])
                .addZeros("b", DType.F32, 0, 4).write(f);
        CliRun file = CliRun.of("inspect", f.toString());
        assertThat(file.exitCode()).isZero();
        assertThat(file.out()).contains("== one.safetensors: " + f + " (single file: one.safetensors)")
                .containsPattern("a\\.weight +BF16 +\\[2, 3\\] +12")
                .containsPattern("b +F32 +\\[0, 4\\] +0")
                .contains("total: 2 tensors, 6 parameters, 12 bytes")
                .contains("metadata: who=test");
        CliRun folder = CliRun.of("inspect", "--json", CHECKPOINT.resolve("transformer").toString());
        assertThat(folder.exitCode()).isZero();
        JsonNode c = new ObjectMapper().readTree(folder.out()).get("components").get(0);
        assertThat(c.get("layout").asText()).isEqualTo("sharded, 2 shards");
        assertThat(c.get("declared_total_size").asLong()).isEqualTo(c.get("totals").get("bytes").asLong());
        assertThat(c.get("tensors").get(0).get("file").asText()).startsWith("diffusion_pytorch_model-0000");
    }

    // ---- invalid input: exit code 2 and one line on stderr ----

    private static void oneLineError(CliRun run, String line) {
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.errLines()).containsExactly(line);
    }

    @Test
    void missingPath() {
        Path p = dir.resolve("nothing-here");
        oneLineError(CliRun.of("inspect", p.toString()), "error: " + p + ": no such file or folder");
    }

    @Test
    void malformedFile() throws Exception {
        Path f = dir.resolve("cut.safetensors");
        Files.write(f, java.util.Arrays.copyOf(Files.readAllBytes(CHECKPOINT.resolve("vae/diffusion_pytorch_model.safetensors")), 2000));
        CliRun run = CliRun.of("inspect", f.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.errLines().get(0)).startsWith("error: " + f + ": header length ").contains("runs past the end of the file");
    }

    @Test
    void malformedShardInACheckpoint() throws Exception {
        Path copy = dir.resolve("ckpt");
        copyTree(CHECKPOINT, copy);
        Path shard = copy.resolve("transformer/diffusion_pytorch_model-00002-of-00002.safetensors");
        byte[] b = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(b, b.length - 1));
        CliRun run = CliRun.of("inspect", copy.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.errLines().get(0)).startsWith("error: " + shard + ": ").contains("are out of range");
    }

    @Test
    void missingComponentFolderAndBadModelIndex() throws Exception {
        Path ckpt = dir.resolve("broken");
        Files.createDirectories(ckpt);
        Files.writeString(ckpt.resolve("model_index.json"), "{\"vae\": [\"diffusers\", \"AutoencoderKL\"]}");
        oneLineError(CliRun.of("inspect", ckpt.toString()),
                "error: " + ckpt.resolve("model_index.json") + ": component 'vae' has no folder, expected " + ckpt.resolve("vae"));
        Files.writeString(ckpt.resolve("model_index.json"), "{\"vae\": ");
        CliRun run = CliRun.of("inspect", ckpt.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).hasSize(1);
        assertThat(run.errLines().get(0)).startsWith("error: " + ckpt.resolve("model_index.json") + ": not valid JSON");
    }

    @Test
    void folderWithoutWeights() {
        Path scheduler = CHECKPOINT.resolve("scheduler");
        oneLineError(CliRun.of("inspect", scheduler.toString()),
                "error: " + scheduler + ": no *.safetensors file and no *.safetensors.index.json");
    }

    @Test
    void debugAddsTheStackTrace() {
        Path p = dir.resolve("nothing-here");
        CliRun run = CliRun.of("inspect", "--debug", p.toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines().get(0)).isEqualTo("error: " + p + ": no such file or folder");
        assertThat(run.err()).contains("dev.omnigen2.cli.UserException").contains("\tat dev.omnigen2.cli.InspectCommand");
        CliRun global = CliRun.of("--debug", "inspect", p.toString());
        assertThat(global.errLines().size()).isGreaterThan(2);
    }

    @Test
    void missingArgumentIsAUsageError() {
        CliRun run = CliRun.of("inspect");
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("Missing required parameter: 'PATH'");
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(target);
                else Files.copy(p, target);
            }
        }
    }
}
