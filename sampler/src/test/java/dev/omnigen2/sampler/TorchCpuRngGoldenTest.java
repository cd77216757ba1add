package dev.omnigen2.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every case of torch-cpu-rng: {@code torch.randn} from a seeded CPU generator, both the vectorised
 * path (≥ 16 elements, including the redrawn tail) and the scalar one (< 16).
 *
 * <p>Largest difference found: none — every value of every case is bit-identical (0 ulp), so the
 * test demands exact equality.
 */
class TorchCpuRngGoldenTest {

    @Test
    void reproducesEveryCaseBitForBit() {
        JsonNode cases = Golden.json(Golden.dir("torch-cpu-rng").resolve("cases.json")).get("cases");
        assertThat(cases.size()).isGreaterThan(0);
        try (SafetensorsFile file = Golden.cases("torch-cpu-rng")) {
            for (JsonNode c : cases) {
                String name = c.get("name").asText();
                int[] shape = new int[c.get("shape").size()];
                for (int i = 0; i < shape.length; i++) shape[i] = c.get("shape").get(i).asInt();
                Tensor expected = file.tensor(c.get("tensor").asText());
                Tensor got = Rng.TORCH.randn(c.get("seed").asLong(), shape);
                assertThat(got.shape()).as(name + " shape").containsExactly(expected.shape());
                float[] e = expected.toFloatArray(), g = got.toFloatArray();
                int maxUlp = 0, firstDiff = -1;
                for (int i = 0; i < e.length; i++) {
                    int ulp = Math.abs(Float.floatToRawIntBits(e[i]) - Float.floatToRawIntBits(g[i]));
                    if (ulp != 0 && firstDiff < 0) firstDiff = i;
                    maxUlp = Math.max(maxUlp, ulp);
                }
                assertThat(maxUlp).as(name + ": max ulp difference (first at element " + firstDiff + ")").isZero();
            }
        }
    }
}
