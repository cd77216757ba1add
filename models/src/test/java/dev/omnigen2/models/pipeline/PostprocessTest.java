package dev.omnigen2.models.pipeline;

import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.vae.VaeImages;
import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The resize-back and postprocess stages of every pipeline case, bit-exact from the stored decoder output. */
class PostprocessTest {
    @Test
    void resizeBackAndPostprocessAreBitExactForEveryPipelineCase() {
        JsonNode cases = Golden.json(Golden.dir("pipeline").resolve("cases.json")).get("cases");
        try (SafetensorsFile st = Golden.cases("pipeline")) {
            for (JsonNode c : cases) {
                String n = c.get("name").asText();
                Tensor decoded = st.tensor(n + "/decoded_image");
                Tensor resized = st.tensor(n + "/resized_image");
                Tensor got = VaeImages.resizeBilinear(decoded, resized.size(2), resized.size(3));
                assertThat(got.toFloatArray()).as(n + " resized_image").containsExactly(resized.toFloatArray());
                assertThat(VaeImages.toUnitRange(resized.select0(0)).permute(1, 2, 0).toFloatArray()).as(n + " output_image_float")
                        .containsExactly(st.tensor(n + "/output_image_float").toFloatArray());
                RgbImage rgb = VaeImages.toRgb(resized);
                Tensor u8 = st.tensor(n + "/output_image_uint8");
                assertThat(rgb.height()).isEqualTo(u8.size(0));
                assertThat(rgb.width()).isEqualTo(u8.size(1));
                byte[] want = Golden.u8(u8);
                assertThat(rgb.rgb()).as(n + " output_image_uint8").containsExactly(want);
            }
        }
    }

    @Test
    void pngRoundTripKeepsPixelsAndTextChunks(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        byte[] px = new byte[5 * 3 * 3];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 17);
        RgbImage img = new RgbImage(5, 3, px);
        Path f = dir.resolve("out.png");
        PngFiles.write(img, Map.of("prompt", "a red apple", "seed", "42"), f);
        assertThat(PngFiles.read(f).rgb()).containsExactly(px);
        assertThat(PngFiles.readText(f)).containsEntry("prompt", "a red apple").containsEntry("seed", "42");
        assertThat(dir.toFile().list()).containsExactly("out.png");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(java.nio.file.Files.getPosixFilePermissions(f)))
                .isEqualTo("rw-r--r--");
    }
}
