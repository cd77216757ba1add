package dev.omnigen2.models.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.models.image.ImageLoader;
import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.sampler.Pass;
import dev.omnigen2.sampler.Rng;
import dev.omnigen2.sampler.Sampler;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pipeline fixture end to end: the tiny checkpoint loads from its folder as is, and every case — from the
 * prompt text and the image files — reproduces the token ids, the prompt embeddings, the reference latents,
 * the latents of every step and the final 8-bit image.
 */
class PipelineGoldenTest {
    private static final double WHOLE_MODEL = 1e-3;
    private static final double SINGLE_STAGE = 1e-4;
    private static OmniGen2Pipeline pipeline;
    private static SafetensorsFile cases;

    @BeforeAll
    static void load() {
        pipeline = OmniGen2Pipeline.load(CheckpointFolder.open(dir().resolve("checkpoint")), PipelineListener.NONE);
        cases = Golden.cases("pipeline");
    }

    @AfterAll
    static void close() {
        pipeline.close();
        cases.close();
    }

    static Path dir() { return Golden.dir("pipeline"); }

    static Stream<String> caseNames() {
        JsonNode cs = Golden.json(dir().resolve("cases.json")).get("cases");
        return StreamSupport.stream(cs.spliterator(), false).map(c -> c.get("name").asText());
    }

    static JsonNode caseNamed(String name) {
        for (JsonNode c : Golden.json(dir().resolve("cases.json")).get("cases"))
            if (c.get("name").asText().equals(name)) return c;
        throw new AssertionError("no case " + name);
    }

    static GenerationRequest request(JsonNode c, Tensor initialLatents) {
        JsonNode call = c.get("call");
        List<RgbImage> images = new ArrayList<>();
        for (JsonNode p : call.get("input_images")) images.add(ImageLoader.load(dir().resolve(p.asText())));
        String kind = c.get("scheduler").get("kind").asText();
        return GenerationRequest.builder()
                .prompt(call.get("prompt").asText())
                .negativePrompt(call.get("negative_prompt").asText())
                .images(images)
                .size(call.get("width").asInt(), call.get("height").asInt())
                .maxPixels(call.get("max_pixels").asLong())
                .maxInputImageSideLength(call.get("max_input_image_side_length").asInt())
                .alignRes(call.get("align_res").asBoolean())
                .steps(call.get("num_inference_steps").asInt())
                .maxSequenceLength(call.get("max_sequence_length").asInt())
                .textGuidanceScale((float) call.get("text_guidance_scale").asDouble())
                .imageGuidanceScale((float) call.get("image_guidance_scale").asDouble())
                .cfgRange(call.get("cfg_range").get(0).asDouble(), call.get("cfg_range").get(1).asDouble())
                .scheduler(kind.startsWith("DPM") ? "dpmsolver++" : "euler")
                .initialLatents(initialLatents)
                .build();
    }

    @Test
    void torchRngReproducesEveryCasesInitialNoiseFromItsSeed() {
        caseNames().forEach(n -> {
            Tensor stored = cases.tensor(n + "/initial_latents");
            Tensor ours = Rng.TORCH.randn(caseNamed(n).get("latent_seed").asLong(), stored.shape());
            assertThat(ours.toFloatArray()).as(n + " initial_latents").containsExactly(stored.toFloatArray());
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("caseNames")
    void caseReproducesEveryStage(String name) {
        JsonNode c = caseNamed(name);
        String p = name + "/";
        GenerationRequest r = request(c, cases.tensor(p + "initial_latents").copy());
        OmniGen2Pipeline.Result res = pipeline.generate(r, PipelineListener.NONE, () -> false, true);

        assertIds(p + "prompt_input_ids", res.prompt().ids());
        Golden.assertClose(p + "prompt_embeds", res.prompt().hiddenStates(), cases.tensor(p + "prompt_embeds"), WHOLE_MODEL);
        assertIds(p + "negative_input_ids", res.negative().ids());
        Golden.assertClose(p + "negative_embeds", res.negative().hiddenStates(), cases.tensor(p + "negative_embeds"), WHOLE_MODEL);

        for (int k = 0; k < res.references().size(); k++) {
            var ref = res.references().get(k);
            assertThat(ref.resized().rgb()).as(p + "ref" + k + "_resized_rgb").containsExactly(Golden.u8(cases.tensor(p + "ref" + k + "_resized_rgb")));
            assertThat(ref.pixelValues().toFloatArray()).as(p + "ref" + k + "_pixel_values")
                    .containsExactly(cases.tensor(p + "ref" + k + "_pixel_values").toFloatArray());
            Golden.assertClose(p + "ref" + k + "_posterior_mean", ref.posteriorMean().reshape(cases.tensor(p + "ref" + k + "_posterior_mean").shape()),
                    cases.tensor(p + "ref" + k + "_posterior_mean"), SINGLE_STAGE);
            Golden.assertClose(p + "ref" + k + "_latents", ref.latent(), cases.tensor(p + "ref" + k + "_latents"), SINGLE_STAGE);
        }

        JsonNode derived = c.get("derived");
        assertThat(res.generationHeight()).as("generation height").isEqualTo(derived.get("generation_height").asInt());
        assertThat(res.generationWidth()).as("generation width").isEqualTo(derived.get("generation_width").asInt());
        assertThat(res.sampling().timesteps()).as("timesteps").containsExactly(cases.tensor(p + "timesteps").toFloatArray());

        PipelineChecks.assertSteps(cases, p, derived, res.sampling().steps(), WHOLE_MODEL);
        Golden.assertClose(p + "decoded_image", res.decoded(), cases.tensor(p + "decoded_image").select0(0), WHOLE_MODEL);
        Golden.assertClose(p + "resized_image", res.resized(), cases.tensor(p + "resized_image").select0(0), WHOLE_MODEL);

        Tensor u8 = cases.tensor(p + "output_image_uint8");
        assertThat(res.image().height()).isEqualTo(u8.size(0));
        assertThat(res.image().width()).isEqualTo(u8.size(1));
        PipelineChecks.assertWithinOne(p + "output_image_uint8", Golden.u8(u8), res.image().rgb());
    }

    private static void assertIds(String key, int[] ids) {
        long[] want = cases.tensor(key).toLongArray();
        assertThat(ids.length).as(key + " length").isEqualTo(want.length);
        for (int i = 0; i < ids.length; i++) assertThat((long) ids[i]).as(key + "[" + i + "]").isEqualTo(want[i]);
    }

}
