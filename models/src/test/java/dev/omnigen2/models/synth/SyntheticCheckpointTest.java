package dev.omnigen2.models.synth;

import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.pipeline.PipelineListener;
import dev.omnigen2.safetensors.Safetensors;
import dev.omnigen2.safetensors.TensorStore;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SyntheticCheckpointTest {
    @Test
    void tinyPresetHasExactlyTheGoldenCheckpointsTensorsAndGenerates(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("ckpt");
        SyntheticCheckpoint.write(out, SyntheticCheckpoint.Preset.TINY, 7, false, null);
        Path golden = Golden.dir("pipeline").resolve("checkpoint");
        for (String c : new String[] {"mllm", "transformer", "vae"})
            assertThat(inventory(out.resolve(c))).as(c + " tensors and shapes").isEqualTo(inventory(golden.resolve(c)));
        assertThat(out.resolve("mllm/model.safetensors.index.json")).isRegularFile();
        assertThat(out.resolve("transformer/diffusion_pytorch_model.safetensors.index.json")).isRegularFile();

        try (OmniGen2Pipeline p = OmniGen2Pipeline.load(CheckpointFolder.open(out), PipelineListener.NONE)) {
            var r = p.generate(GenerationRequest.builder().prompt("a red apple").size(48, 32).steps(2).seed(3).build());
            assertThat(r.image().width()).isEqualTo(48);
            assertThat(r.image().height()).isEqualTo(32);
            for (float v : r.sampling().latents().toFloatArray()) assertThat(v).isFinite();
        }
    }

    @Test
    void sameSeedWritesTheSameWeightsAndAnotherSeedDoesNot(@TempDir Path dir) throws Exception {
        SyntheticCheckpoint.write(dir.resolve("a"), SyntheticCheckpoint.Preset.TINY, 1, false, null);
        SyntheticCheckpoint.write(dir.resolve("b"), SyntheticCheckpoint.Preset.TINY, 1, false, null);
        SyntheticCheckpoint.write(dir.resolve("c"), SyntheticCheckpoint.Preset.TINY, 2, false, null);
        Path vae = Path.of("vae/diffusion_pytorch_model.safetensors");
        assertThat(Files.readAllBytes(dir.resolve("a").resolve(vae))).isEqualTo(Files.readAllBytes(dir.resolve("b").resolve(vae)))
                .isNotEqualTo(Files.readAllBytes(dir.resolve("c").resolve(vae)));
        assertThatThrownBy(() -> SyntheticCheckpoint.write(dir.resolve("a"), SyntheticCheckpoint.Preset.TINY, 1, false, null))
                .hasMessageContaining("not empty");
    }

    @Test
    void fullPresetListsTheRealModelSizesAsSparseZeros(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("full");
        SyntheticCheckpoint.write(out, SyntheticCheckpoint.Preset.FULL, 0, true, null);
        long params = 0;
        for (String c : new String[] {"mllm", "transformer", "vae"})
            try (TensorStore s = Safetensors.open(out.resolve(c))) {
                for (String n : s.names()) params += s.tensor(n).numel();
            }
        // Qwen2.5-VL-3B (~3.75 B) + OmniGen2 transformer (~4 B) + Flux VAE (~84 M)
        assertThat(params).isBetween(7_500_000_000L, 8_300_000_000L);
    }

    private static Map<String, String> inventory(Path component) {
        Map<String, String> m = new TreeMap<>();
        try (TensorStore s = Safetensors.open(component)) {
            for (String n : s.names()) m.put(n, s.tensor(n).dtype() + java.util.Arrays.toString(s.tensor(n).shape()));
        }
        return m;
    }
}
