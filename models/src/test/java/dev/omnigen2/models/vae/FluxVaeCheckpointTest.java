package dev.omnigen2.models.vae;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** config.json parsing and binding of checkpoint tensors by name, for the fixture and the real Flux VAE. */
class FluxVaeCheckpointTest {

    static Path realConfig() {
        String dir = System.getProperty("testdata.dir");
        Path root = dir != null ? Path.of(dir) : Golden.root().getParent();
        return root.resolve("omnigen2-configs/vae/config.json");
    }

    @Test
    void readsTheRealFluxConfig() {
        FluxVaeConfig c = FluxVaeConfig.load(realConfig());
        assertThat(c.blockOutChannels()).containsExactly(128, 256, 512, 512);
        assertThat(c.layersPerBlock()).isEqualTo(2);
        assertThat(c.latentChannels()).isEqualTo(16);
        assertThat(c.normNumGroups()).isEqualTo(32);
        assertThat(c.scalingFactor()).isEqualTo(0.3611f);
        assertThat(c.shiftFactor()).isEqualTo(0.1159f);
        assertThat(c.useQuantConv()).isFalse();
        assertThat(c.usePostQuantConv()).isFalse();
        assertThat(c.midBlockAddAttention()).isTrue();
        assertThat(c.downsampleFactor()).isEqualTo(8);
        assertThat(Tiling.defaults(c).latentTileSize(c)).isEqualTo(c.sampleSize() / 8);
    }

    /** The README's public inventory of FLUX.1-dev vae/diffusion_pytorch_model.safetensors: 244 tensors, 83,819,683 values. */
    @Test
    void realConfigBindsExactlyThePublicCheckpointInventory() {
        FluxVaeConfig c = FluxVaeConfig.load(realConfig());
        Map<String, int[]> inventory = SyntheticVaeCheckpoint.inventory(c);
        assertThat(inventory).hasSize(244);
        assertThat(SyntheticVaeCheckpoint.values(inventory)).isEqualTo(83_819_683L);
        try (FluxVae vae = FluxVae.of(c, SyntheticVaeCheckpoint.store(inventory, 0.02f, 1))) {
            assertThat(vae.config()).isEqualTo(c);
        }
    }

    @Test
    void inventoryRulesMatchTheFixtureCheckpoint() {
        Path dir = Golden.dir("flux-vae");
        Map<String, int[]> inventory = SyntheticVaeCheckpoint.inventory(FluxVaeConfig.load(dir));
        Map<String, List<Integer>> expected = new TreeMap<>(), actual = new TreeMap<>();
        inventory.forEach((k, v) -> expected.put(k, java.util.Arrays.stream(v).boxed().toList()));
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("diffusion_pytorch_model.safetensors"))) {
            for (String n : f.names()) actual.put(n, java.util.Arrays.stream(f.tensor(n).shape()).boxed().toList());
        }
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void missingMisshapedAndUnusedTensorsAreNamed() {
        FluxVaeConfig c = FluxVaeConfig.load(Golden.dir("flux-vae"));
        Map<String, int[]> missing = new LinkedHashMap<>(SyntheticVaeCheckpoint.inventory(c));
        missing.remove("decoder.up_blocks.1.resnets.0.conv_shortcut.weight");
        assertThatThrownBy(() -> FluxVae.of(c, SyntheticVaeCheckpoint.store(missing, 0.1f, 1)))
                .isInstanceOf(Weights.WeightsException.class)
                .hasMessageContaining("missing tensor 'decoder.up_blocks.1.resnets.0.conv_shortcut.weight'");

        Map<String, int[]> misshaped = new LinkedHashMap<>(SyntheticVaeCheckpoint.inventory(c));
        misshaped.put("encoder.mid_block.attentions.0.to_q.weight", new int[]{c.deepestChannels(), c.deepestChannels(), 1, 1});
        assertThatThrownBy(() -> FluxVae.of(c, SyntheticVaeCheckpoint.store(misshaped, 0.1f, 1)))
                .isInstanceOf(Weights.WeightsException.class)
                .hasMessageContaining("encoder.mid_block.attentions.0.to_q.weight");

        Map<String, int[]> extra = new LinkedHashMap<>(SyntheticVaeCheckpoint.inventory(c));
        extra.put("encoder.mid_block.attentions.0.query.weight", new int[]{4});
        assertThatThrownBy(() -> FluxVae.of(c, SyntheticVaeCheckpoint.store(extra, 0.1f, 1)))
                .isInstanceOf(Weights.WeightsException.class)
                .hasMessageContaining("not used").hasMessageContaining("encoder.mid_block.attentions.0.query.weight");
    }

    @Test
    void optionalQuantConvsAndAttentionFollowTheConfig() {
        FluxVaeConfig sd = new FluxVaeConfig(3, 3, 4, List.of(16, 32), 1, 8, 0.18215f, 0f, 32, true, true, false);
        Map<String, int[]> inventory = SyntheticVaeCheckpoint.inventory(sd);
        assertThat(inventory).containsKeys("quant_conv.weight", "post_quant_conv.bias")
                .doesNotContainKey("encoder.mid_block.attentions.0.to_q.weight");
        try (FluxVae vae = FluxVae.of(sd, SyntheticVaeCheckpoint.store(inventory, 0.1f, 3))) {
            Tensor image = Tensor.zeros(3, 12, 10);
            Posterior p = vae.encode(image);
            assertThat(p.shape()).containsExactly(4, 6, 5);
            assertThat(vae.decode(p.mode()).shape()).containsExactly(3, 12, 10);
        }
    }

    @Test
    void rejectsConfigsThisVaeDoesNotImplement() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode base = (ObjectNode) Golden.json(realConfig());
        assertThat(FluxVaeConfig.parse(base).levels()).isEqualTo(base.get("block_out_channels").size());

        ObjectNode gelu = base.deepCopy().put("act_fn", "gelu");
        assertThatThrownBy(() -> FluxVaeConfig.parse(gelu)).hasMessageContaining("act_fn");
        ObjectNode groups = base.deepCopy().put("norm_num_groups", 48);
        assertThatThrownBy(() -> FluxVaeConfig.parse(groups)).hasMessageContaining("norm_num_groups");
        ObjectNode blocks = base.deepCopy();
        blocks.set("up_block_types", m.valueToTree(List.of("UpDecoderBlock2D", "AttnUpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D")));
        assertThatThrownBy(() -> FluxVaeConfig.parse(blocks)).hasMessageContaining("AttnUpDecoderBlock2D");
        ObjectNode noShift = base.deepCopy();
        noShift.putNull("shift_factor");
        assertThat(FluxVaeConfig.parse(noShift).shiftFactor()).isZero();
        assertThatThrownBy(() -> FluxVaeConfig.load(Path.of("/nonexistent/vae"))).hasMessageContaining("/nonexistent/vae");
    }

    @Test
    void rejectsWrongInputShapes() {
        Path dir = Golden.dir("flux-vae");
        try (FluxVae vae = FluxVae.load(FluxVaeConfig.load(dir), dir.resolve("diffusion_pytorch_model.safetensors"))) {
            assertThatThrownBy(() -> vae.encode(Tensor.zeros(4, 8, 8))).hasMessageContaining("image [3, H, W]");
            assertThatThrownBy(() -> vae.decode(Tensor.zeros(3, 2, 2))).hasMessageContaining("latent [" + vae.config().latentChannels() + ", h, w]");
            assertThatThrownBy(() -> vae.decode(Tensor.zeros(2, 16, 2, 2))).hasMessageContaining("one latent at a time");
        }
    }
}
