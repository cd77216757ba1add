package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.safetensors.TensorStore;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class Qwen25VlLoadingTest {
    private static final Path FIXTURE = Golden.dir("qwen25vl");

    /** The fixture's weights with names hidden, renamed or added. */
    private static TensorStore edited(Set<String> hide, Map<String, String> alias) {
        SafetensorsFile file = SafetensorsFile.open(FIXTURE.resolve("model.safetensors"));
        return new TensorStore() {
            public Set<String> names() {
                Set<String> s = new LinkedHashSet<>(file.names());
                s.removeAll(hide);
                s.addAll(alias.keySet());
                return s;
            }
            public boolean contains(String name) { return names().contains(name); }
            public Tensor tensor(String name) { return file.tensor(alias.getOrDefault(name, name)); }
            public Map<String, String> metadata() { return file.metadata(); }
            public String source() { return "edited " + file.source(); }
            public void close() { file.close(); }
        };
    }

    private static Qwen25VlConfig config() { return Qwen25VlConfig.load(FIXTURE.resolve("config.json")); }

    @Test
    void realConfigParses() {
        Path real = testdata().resolve("omnigen2-configs/mllm/config.json");
        Qwen25VlConfig c = Qwen25VlConfig.load(real);
        assertThat(c.numLayers()).isEqualTo(36);
        assertThat(c.hiddenSize()).isEqualTo(2048);
        assertThat(c.numHeads()).isEqualTo(16);
        assertThat(c.numKvHeads()).isEqualTo(2);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.mropeSection()).containsExactly(16, 24, 24);
        assertThat(c.vocabSize()).isEqualTo(151936);
        assertThat(c.imageTokenId()).isEqualTo(151655);
        assertThat(c.vision().depth()).isEqualTo(32);
        assertThat(c.vision().headDim()).isEqualTo(80);
        assertThat(c.vision().patchDim()).isEqualTo(1176);
        assertThat(c.vision().fullattBlockIndexes()).containsExactly(7, 15, 23, 31);
        assertThat(c.vision().isFullAttention(15)).isTrue();
        assertThat(c.vision().isFullAttention(14)).isFalse();
    }

    static Path testdata() {
        String p = System.getProperty("testdata.dir");
        if (p != null && !p.isBlank() && Files.isDirectory(Path.of(p))) return Path.of(p);
        return Golden.root().getParent();
    }

    @Test
    void missingTensorIsNamed() {
        try (TensorStore s = edited(Set.of("model.layers.1.self_attn.k_proj.bias"), Map.of())) {
            assertThatThrownBy(() -> Qwen25Vl.of(config(), s)).isInstanceOf(Weights.WeightsException.class)
                    .hasMessageContaining("model.layers.1.self_attn.k_proj.bias");
        }
    }

    @Test
    void unknownTensorIsRejected() {
        try (TensorStore s = edited(Set.of(), Map.of("model.layers.0.extra.weight", "model.norm.weight"))) {
            assertThatThrownBy(() -> Qwen25Vl.of(config(), s)).isInstanceOf(Weights.WeightsException.class)
                    .hasMessageContaining("model.layers.0.extra.weight");
        }
    }

    @Test
    void explicitLmHeadIsUsedForLogits() {
        Qwen25VlConfig c = config();
        try (Qwen25Vl tied = Qwen25Vl.of(c, edited(Set.of(), Map.of()));
             Qwen25Vl untied = Qwen25Vl.of(c, edited(Set.of(), Map.of("lm_head.weight", "model.embed_tokens.weight")))) {
            Tensor h = tied.decoder().embed(new int[] {1, 2, 3});
            assertThat(untied.decoder().logits(h).toFloatArray()).containsExactly(tied.decoder().logits(h).toFloatArray());
        }
        try (TensorStore s = edited(Set.of(), Map.of("lm_head.weight", "model.layers.0.self_attn.q_proj.weight"))) {
            assertThatThrownBy(() -> Qwen25Vl.of(c, s)).hasMessageContaining("lm_head.weight");
        }
    }

    @Test
    void badTokenIdIsRejected() {
        try (Qwen25Vl m = Qwen25Vl.of(config(), edited(Set.of(), Map.of()))) {
            assertThatThrownBy(() -> m.decoder().embed(new int[] {m.config().vocabSize()})).hasMessageContaining("outside the vocabulary");
        }
    }

    @Test
    void samplingIsSeededAndTopKOneIsGreedy() {
        try (Qwen25Vl m = Qwen25Vl.of(config(), edited(Set.of(), Map.of()))) {
            int[] prompt = {5, 17, 300, 42, 1000, 7};
            int[] greedy = m.generate(prompt, null, null, GenerationOptions.greedy(5), null);
            int[] topK1 = m.generate(prompt, null, null, GenerationOptions.sampled(5, 0.7f, 1, 1f, 123), null);
            assertThat(topK1).containsExactly(greedy);
            int[] a = m.generate(prompt, null, null, GenerationOptions.sampled(8, 1.5f, 50, 0.95f, 7), null);
            int[] b = m.generate(prompt, null, null, GenerationOptions.sampled(8, 1.5f, 50, 0.95f, 7), null);
            assertThat(a).containsExactly(b);
            boolean differs = false;
            for (long seed = 8; seed < 14 && !differs; seed++)
                differs = !java.util.Arrays.equals(a, m.generate(prompt, null, null, GenerationOptions.sampled(8, 1.5f, 50, 0.95f, seed), null));
            assertThat(differs).as("another seed gives another sample").isTrue();
        }
    }

    @Test
    void kvCacheDecodingEqualsAFullForward() {
        try (Qwen25Vl m = Qwen25Vl.of(config(), edited(Set.of(), Map.of()))) {
            int[] ids = {11, 12, 13, 14, 15, 16, 17};
            TextDecoder d = m.decoder();
            int[][] pos = RopeIndex.compute(m.config(), new int[][] {ids}, null, null).row(0);
            Tensor full = d.forward(d.embed(ids), pos, null, null, null);
            KvCache cache = d.newCache(ids.length);
            d.forward(d.embed(java.util.Arrays.copyOf(ids, 4)), new int[][] {{0, 1, 2, 3}, {0, 1, 2, 3}, {0, 1, 2, 3}}, null, cache, null);
            for (int t = 4; t < ids.length; t++) {
                Tensor step = d.forward(d.embed(new int[] {ids[t]}), new int[][] {{t}, {t}, {t}}, null, cache, null);
                Golden.assertClose("step " + t, step, full.slice0(t, 1), 1e-6);
            }
            assertThat(cache.length()).isEqualTo(ids.length);
            assertThatThrownBy(() -> d.forward(d.embed(new int[] {1}), new int[][] {{7}, {7}, {7}}, null, cache, null))
                    .hasMessageContaining("KV cache full");
        }
    }
}
