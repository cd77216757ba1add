package dev.omnigen2.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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

    @Test
    void everyShardedCheckpointUnderGoldenJoinsItsShards() throws Exception {
        List<Path> indexes;
        try (Stream<Path> s = Files.walk(Golden.root())) {
            indexes = s.filter(p -> p.toString().endsWith(".safetensors.index.json")).sorted().toList();
        }
        assertThat(indexes).hasSizeGreaterThanOrEqualTo(2);
        for (Path index : indexes) {
            try (TensorStore st = Safetensors.open(index.getParent())) {
                ShardedCheckpoint sc = (ShardedCheckpoint) st;
                assertThat(sc.shards()).as(index.toString()).hasSizeGreaterThan(1);
                long bytes = 0;
                for (String n : st.names()) bytes += st.entry(n).byteSize();
                assertThat(sc.declaredTotalSize()).as(index + " total_size").hasValue(bytes);
            }
        }
    }

    /** Where cases.json states a tensor's dtype and shape, the stored tensor has exactly them. */
    @Test
    void casesJsonDtypesAndShapesMatchTheStoredTensors() throws Exception {
        int checked = 0;
        for (String folder : List.of("omnigen2-transformer", "pipeline", "pipeline-chat", "scheduler", "torch-cpu-rng")) {
            JsonNode cases = Golden.json(Golden.dir(folder).resolve("cases.json")).get("cases");
            try (SafetensorsFile st = SafetensorsFile.open(Golden.dir(folder).resolve("cases.safetensors"))) {
                for (JsonNode c : cases) {
                    if (c.has("tensor") && c.has("shape")) { // torch-cpu-rng: one tensor per case
                        assertThat(st.entry(c.get("tensor").asText()).shape()).containsExactly(ints(c.get("shape")));
                        checked++;
                    }
                    JsonNode tensors = c.get("tensors");
                    if (tensors == null) continue;
                    for (Map.Entry<String, JsonNode> t : tensors.properties()) {
                        String name = c.get("name").asText() + "/" + t.getKey();
                        if (!st.contains(name) && st.contains(t.getKey())) name = t.getKey();
                        SafetensorsFile.Entry e = st.entry(name);
                        if (t.getValue().has("dtype"))
                            assertThat(e.stored().name()).as(name).isEqualTo(t.getValue().get("dtype").asText());
                        if (t.getValue().has("shape"))
                            assertThat(e.shape()).as(name).containsExactly(ints(t.getValue().get("shape")));
                        checked++;
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(100);
    }

    /** Values stated in cases.json: the transformer's timestep and the Qwen text-batch mask lengths. */
    @Test
    void storedValuesMatchWhatCasesJsonStates() throws Exception {
        JsonNode t2i = Golden.json(Golden.dir("omnigen2-transformer").resolve("cases.json")).get("cases").get(0);
        try (SafetensorsFile st = SafetensorsFile.open(Golden.dir("omnigen2-transformer").resolve("cases.safetensors"))) {
            Tensor timestep = st.tensor(t2i.get("name").asText() + "/timestep");
            JsonNode expected = t2i.get("timestep");
            assertThat(timestep.numel()).isEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++)
                assertThat(timestep.getFloat(i)).isEqualTo((float) expected.get(i).asDouble());
        }
        JsonNode batch = Golden.json(Golden.dir("qwen25vl").resolve("cases.json")).get("cases").get(0);
        try (SafetensorsFile st = SafetensorsFile.open(Golden.dir("qwen25vl").resolve("cases.safetensors"))) {
            Tensor mask = st.tensor(batch.get("name").asText() + "/attention_mask");
            assertThat(mask.dtype()).isIn(DType.I64, DType.BOOL);
            JsonNode lengths = batch.get("args").get("text_lengths");
            int cols = mask.size(1);
            for (int row = 0; row < lengths.size(); row++) {
                long ones = 0;
                for (int j = 0; j < cols; j++) ones += mask.getLong((long) row * cols + j);
                assertThat(ones).as("row %d of the mask", row).isEqualTo(lengths.get(row).asLong());
            }
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }
}
