package dev.omnigen2.models.qwen;

import dev.omnigen2.models.image.QwenImageProcessor;
import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cross-check on the pipeline fixtures' tiny sharded checkpoint: the chat_text case of pipeline-chat (image →
 * Qwen processor → vision tower → greedy generation) reproduced from token ids, as the chat pipeline will call it.
 */
class Qwen25VlTinyCheckpointTest {
    @Test
    void chatTextCaseFromIds() {
        Path mllm = Golden.dir("pipeline").resolve("checkpoint/mllm");
        Path chat = Golden.dir("pipeline-chat");
        try (Qwen25Vl model = Qwen25Vl.load(mllm); SafetensorsFile cases = SafetensorsFile.open(chat.resolve("cases.safetensors"))) {
            Tensor rgbT = cases.tensor("chat_text/input_image0_rgb");
            byte[] rgb = new byte[(int) rgbT.numel()];
            for (int i = 0; i < rgb.length; i++) rgb[i] = (byte) rgbT.getLong(i);
            QwenImageProcessor proc = new QwenImageProcessor(QwenImageProcessor.Config.load(chat.resolve("processor/preprocessor_config.json")));
            QwenImageProcessor.Patches patches = proc.preprocess(List.of(new RgbImage(rgbT.size(1), rgbT.size(0), rgb)));
            Golden.assertClose("pixel_values", patches.pixelValues(), cases.tensor("chat_text/pixel_values"), 1e-6);
            assertThat(patches.gridThw()[0]).containsExactly(Qwen25VlGoldenTest.ints(cases.tensor("chat_text/image_grid_thw")));

            int[] ids = Qwen25VlGoldenTest.ints(cases.tensor("chat_text/input_ids"));
            Golden.assertClose("image_embeds", model.vision().forward(patches.pixelValues(), patches.gridThw()),
                    cases.tensor("chat_text/prefill_image_embeds"), 1e-4);
            Qwen25Vl.Encoded enc = model.encode(new int[][] {ids}, null, patches.pixelValues(), patches.gridThw());
            Golden.assertClose("hidden final", enc.hidden(), cases.tensor("chat_text/prefill_mllm_hidden_final"), 1e-3);
            int[] expected = Qwen25VlGoldenTest.ints(cases.tensor("chat_text/generated_ids"));
            int[] got = model.generate(ids, patches.pixelValues(), patches.gridThw(),
                    GenerationOptions.greedy(expected.length, 151645, 151643), null);
            assertThat(got).containsExactly(expected);
        }
    }
}
