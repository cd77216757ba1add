package dev.omnigen2.models.transformer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading: sharded folders, and checkpoints that do not fit config.json fail naming the tensor. */
class OmniGen2TransformerCheckpointTest {
    private static final String FOLDER = "omnigen2-transformer";
    private static Path golden;

    @TempDir
    Path tmp;

    @BeforeAll
    static void find() { golden = Golden.dir(FOLDER); }

    /** The tiny checkpoint's tensors by name (views into the mapped file, valid while it is open). */
    private static Map<String, Tensor> tensors(SafetensorsFile f) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (String n : f.names()) m.put(n, f.tensor(n));
        return m;
    }

    private Path folderWith(Map<String, Tensor> weights) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("transformer"));
        Files.copy(golden.resolve("config.json"), dir.resolve("config.json"));
        TestSafetensorsWriter.write(dir.resolve("diffusion_pytorch_model.safetensors"), weights);
        return dir;
    }

    private static SafetensorsFile original() { return SafetensorsFile.open(golden.resolve("diffusion_pytorch_model.safetensors")); }

    @Test
    void missingTensorIsNamed() throws IOException {
        String name = "layers.1.feed_forward.linear_3.weight";
        Path dir;
        try (SafetensorsFile f = original()) {
            Map<String, Tensor> w = tensors(f);
            assertThat(w.remove(name)).isNotNull();
            dir = folderWith(w);
        }
        assertThatThrownBy(() -> OmniGen2Transformer.load(dir)).isInstanceOf(Weights.WeightsException.class)
                .hasMessageContaining("missing").hasMessageContaining(name);
    }

    @Test
    void unusedTensorIsNamed() throws IOException {
        String name = "layers.0.attn.to_q.bias";
        Path dir;
        try (SafetensorsFile f = original()) {
            Map<String, Tensor> w = tensors(f);
            w.put(name, Tensor.allocate(DType.BF16, 96));
            dir = folderWith(w);
        }
        assertThatThrownBy(() -> OmniGen2Transformer.load(dir)).isInstanceOf(Weights.WeightsException.class)
                .hasMessageContaining("not used").hasMessageContaining(name);
    }

    @Test
    void misShapedTensorIsNamed() throws IOException {
        String name = "noise_refiner.0.attn.to_k.weight";
        Path dir;
        try (SafetensorsFile f = original()) {
            Map<String, Tensor> w = tensors(f);
            Tensor k = w.get(name);
            w.put(name, k.slice0(0, k.size(0) - 2));
            dir = folderWith(w);
        }
        assertThatThrownBy(() -> OmniGen2Transformer.load(dir)).isInstanceOf(Weights.WeightsException.class)
                .hasMessageContaining(name).hasMessageContaining("config.json");
    }

    @Test
    void configThatDisagreesWithTheCheckpointIsRejected() throws IOException {
        Path dir;
        try (SafetensorsFile f = original()) {
            dir = folderWith(tensors(f));
        }
        ObjectNode cfg = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        // FFN inner becomes 32·ceil(1.5·4·96 / 32) = 576 while the checkpoint has 384
        cfg.put("multiple_of", 32);
        cfg.put("ffn_dim_multiplier", 1.5);
        Files.writeString(dir.resolve("config.json"), cfg.toString());
        assertThatThrownBy(() -> OmniGen2Transformer.load(dir)).isInstanceOf(Weights.WeightsException.class)
                .hasMessageContaining("feed_forward.linear_1.weight").hasMessageContaining("[576, 96]");
    }

    @Test
    void shardedCheckpointLoadsAndComputesTheSameAsOneFile() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(golden.resolve("config.json"), dir.resolve("config.json"));
        try (SafetensorsFile f = original()) {
            List<String> names = new ArrayList<>(f.names());
            Map<String, Tensor> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
            ObjectNode index = new ObjectMapper().createObjectNode();
            ObjectNode map = index.putObject("weight_map");
            for (int i = 0; i < names.size(); i++) {
                String shard = i < names.size() / 2 ? "diffusion_pytorch_model-00001-of-00002.safetensors"
                        : "diffusion_pytorch_model-00002-of-00002.safetensors";
                (i < names.size() / 2 ? a : b).put(names.get(i), f.tensor(names.get(i)));
                map.put(names.get(i), shard);
            }
            TestSafetensorsWriter.write(dir.resolve("diffusion_pytorch_model-00001-of-00002.safetensors"), a);
            TestSafetensorsWriter.write(dir.resolve("diffusion_pytorch_model-00002-of-00002.safetensors"), b);
            Files.writeString(dir.resolve("diffusion_pytorch_model.safetensors.index.json"), index.toString());
        }
        OmniGen2Transformer.Input input = smallInput();
        try (OmniGen2Transformer one = OmniGen2Transformer.load(golden); OmniGen2Transformer sharded = OmniGen2Transformer.load(dir)) {
            assertThat(sharded.forward(input).toFloatArray()).containsExactly(one.forward(input).toFloatArray());
        }
    }

    @Test
    void realConfigDerivesTheDocumentedSizes() throws IOException {
        // transformer/config.json of OmniGen2/OmniGen2
        String json = """
                {"_class_name": "OmniGen2Transformer2DModel", "axes_dim_rope": [40, 40, 40], "axes_lens": [1024, 1664, 1664],
                 "ffn_dim_multiplier": null, "hidden_size": 2520, "in_channels": 16, "multiple_of": 256, "norm_eps": 1e-05,
                 "num_attention_heads": 21, "num_kv_heads": 7, "num_layers": 32, "num_refiner_layers": 2, "out_channels": null,
                 "patch_size": 2, "text_feat_dim": 2048, "timestep_scale": 1000.0}""";
        OmniGen2TransformerConfig c = OmniGen2TransformerConfig.fromJson(new ObjectMapper().readTree(json));
        assertThat(c.headDim()).isEqualTo(120);
        assertThat(c.ffnInnerDim()).isEqualTo(10240);
        assertThat(c.timestepEmbedDim()).isEqualTo(1024);
        assertThat(c.outChannelsResolved()).isEqualTo(16);
        assertThat(c.patchFeatures()).isEqualTo(64);
        ObjectNode bad = (ObjectNode) new ObjectMapper().readTree(json);
        bad.put("num_attention_heads", 16);
        assertThatThrownBy(() -> OmniGen2TransformerConfig.fromJson(bad)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("num_attention_heads");
    }

    static OmniGen2Transformer.Input smallInput() {
        OmniGen2TransformerConfig c = OmniGen2TransformerConfig.load(Golden.dir(FOLDER).resolve("config.json"));
        Tensor latents = Tensor.zeros(1, c.inChannels(), 8, 6);
        Tensor text = Tensor.zeros(1, 5, c.textFeatDim());
        Tensor ref = Tensor.zeros(c.inChannels(), 4, 6);
        java.util.Random r = new java.util.Random(7);
        for (Tensor t : List.of(latents, text, ref)) for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) r.nextGaussian());
        return new OmniGen2Transformer.Input(latents, new float[]{0.4f}, text, new int[]{4}, List.of(List.of(ref)));
    }
}
