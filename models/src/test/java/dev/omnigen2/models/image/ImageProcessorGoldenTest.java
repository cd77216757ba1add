package dev.omnigen2.models.image;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every case of the image-processor fixture: Qwen2-VL processor and OmniGen2's VAE-path processor. */
class ImageProcessorGoldenTest {
    private static final double FLOAT_TOL = 1e-6;
    private static Path dir;
    private static JsonNode spec;
    private static SafetensorsFile cases;

    @BeforeAll
    static void open() {
        dir = Golden.dir("image-processor");
        spec = Golden.json(dir.resolve("cases.json"));
        cases = Golden.cases("image-processor");
    }

    @AfterAll
    static void close() { cases.close(); }

    static RgbImage rgb(Tensor t) {
        int h = t.size(0), w = t.size(1);
        byte[] b = new byte[h * w * 3];
        for (int i = 0; i < b.length; i++) b[i] = (byte) t.getLong(i);
        return new RgbImage(w, h, b);
    }

    private static void assertSameImage(String what, RgbImage got, Tensor expected) {
        assertThat(new int[] {got.height(), got.width(), 3}).as(what + " shape").containsExactly(expected.shape());
        int diff = 0;
        for (int i = 0; i < got.rgb().length; i++) if ((got.rgb()[i] & 0xFF) != expected.getLong(i)) diff++;
        assertThat(diff).as(what + ": differing uint8 values").isZero();
    }

    /** The fixture's tolerance (max |Δ| ≤ 1e-6); returns the count of values that are not bit-identical. */
    private static int assertMaxAbs(String what, Tensor got, Tensor expected) {
        assertThat(got.shape()).as(what + " shape").containsExactly(expected.shape());
        double max = 0;
        int inexact = 0;
        for (long i = 0; i < got.numel(); i++) {
            float a = got.getFloat(i), b = expected.getFloat(i);
            max = Math.max(max, Math.abs(a - b));
            if (Float.floatToIntBits(a) != Float.floatToIntBits(b)) inexact++;
        }
        assertThat(max).as(what + " max |Δ|").isLessThanOrEqualTo(FLOAT_TOL);
        return inexact;
    }

    private static QwenImageProcessor qwenProcessor(JsonNode args) {
        float[] mean = new float[3], std = new float[3];
        for (int c = 0; c < 3; c++) {
            mean[c] = (float) args.get("image_mean").get(c).asDouble();
            std[c] = (float) args.get("image_std").get(c).asDouble();
        }
        return new QwenImageProcessor(new QwenImageProcessor.Config(args.get("min_pixels").asInt(), args.get("max_pixels").asInt(),
                args.get("patch_size").asInt(), args.get("temporal_patch_size").asInt(), args.get("merge_size").asInt(),
                args.get("rescale_factor").asDouble(), mean, std));
    }

    @Test
    void qwenProcessorEveryCase() {
        int checked = 0, errors = 0;
        for (JsonNode c : spec.get("cases")) {
            String name = c.get("name").asText();
            RgbImage input = rgb(cases.tensor(name + "/input_rgb"));
            JsonNode q = c.get("qwen");
            QwenImageProcessor proc = qwenProcessor(q.get("args"));
            if (q.has("expect_error")) {
                assertThatThrownBy(() -> proc.preprocess(List.of(input))).as(name)
                        .isInstanceOf(IllegalArgumentException.class).hasMessage(q.get("message").asText());
                errors++;
                continue;
            }
            int[] hw = QwenImageProcessor.smartResize(input.height(), input.width(), proc.config().factor(),
                    proc.config().minPixels(), proc.config().maxPixels());
            assertThat(hw).as(name + " smart_resize").containsExactly(q.get("smart_resize_hw").get(0).asInt(), q.get("smart_resize_hw").get(1).asInt());
            JsonNode outs = q.get("outputs");
            RgbImage resized = proc.resize(input);
            assertSameImage(name + " qwen resized", resized, cases.tensor(outs.get("resized").asText()));
            // the recipe (rescale in double, normalise in float32) is exact: hold it to bit identity, beyond the tolerance
            assertThat(assertMaxAbs(name + " normalized", proc.normalize(resized), cases.tensor(outs.get("normalized").asText())))
                    .as(name + " normalized values not bit-identical").isZero();
            QwenImageProcessor.Patches p = proc.preprocess(List.of(input));
            assertThat(assertMaxAbs(name + " pixel_values", p.pixelValues(), cases.tensor(outs.get("pixel_values").asText())))
                    .as(name + " pixel_values not bit-identical").isZero();
            Tensor grid = cases.tensor(outs.get("image_grid_thw").asText());
            assertThat(p.gridThw()[0]).as(name + " image_grid_thw").containsExactly((int) grid.getLong(0), (int) grid.getLong(1), (int) grid.getLong(2));
            assertThat(p.padTokens(0, proc.config().mergeSize())).isEqualTo(q.get("num_image_pad_tokens").asInt());
            checked++;
        }
        assertThat(checked).isEqualTo(spec.get("cases").size() - errors);
        assertThat(errors).isEqualTo(1);
    }

    @Test
    void vaeProcessorEveryCase() {
        int checked = 0;
        for (JsonNode c : spec.get("cases")) {
            String name = c.get("name").asText();
            RgbImage input = rgb(cases.tensor(name + "/input_rgb"));
            for (String key : List.of("vae", "vae_default")) {
                JsonNode v = c.get(key);
                if (v == null) continue;
                JsonNode args = v.get("args");
                VaeImageProcessor proc = new VaeImageProcessor(args.get("vae_scale_factor").asInt());
                int[] hw = proc.targetSize(input.height(), input.width(), args.get("max_pixels").asLong(), args.get("max_side_length").asInt());
                assertThat(hw).as(name + " " + key + " size").containsExactly(v.get("new_hw").get(0).asInt(), v.get("new_hw").get(1).asInt());
                RgbImage resized = proc.resize(input, args.get("max_pixels").asLong(), args.get("max_side_length").asInt());
                assertSameImage(name + " " + key + " resized", resized, cases.tensor(v.get("outputs").get("resized").asText()));
                assertThat(assertMaxAbs(name + " " + key + " pixel_values", VaeImageProcessor.toTensor(resized),
                        cases.tensor(v.get("outputs").get("pixel_values").asText()))).as(name + " " + key + " bit-identical").isZero();
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(spec.get("cases").size());
    }

    @Test
    void decodingEveryFileMatchesPil() {
        for (JsonNode c : spec.get("cases")) {
            String name = c.get("name").asText();
            RgbImage decoded = ImageLoader.load(dir.resolve(c.get("file").asText()));
            assertSameImage(name + " decoded", decoded, cases.tensor(name + "/input_rgb"));
        }
    }

    @Test
    void smartResizeRoundsHalfToEven() {
        assertThat(QwenImageProcessor.smartResize(70, 126, 28, 3136, 100352)).containsExactly(56, 112);
        assertThatThrownBy(() -> QwenImageProcessor.smartResize(28, 28 * 201, 28, 3136, Integer.MAX_VALUE))
                .hasMessageContaining("aspect ratio");
    }
}
