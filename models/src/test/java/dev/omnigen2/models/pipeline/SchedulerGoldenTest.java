package dev.omnigen2.models.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.models.transformer.OmniGen2Transformer;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.sampler.Guidance;
import dev.omnigen2.sampler.Pass;
import dev.omnigen2.sampler.Sampler;
import dev.omnigen2.sampler.Scheduler;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduler fixture's denoising loops with the tiny transformer in the loop (the sampler module replays the
 * same loops from stored predictions): every pass's prediction, the guided velocity and the latents after every
 * step within the README's whole-model tolerance, whether passes run one by one or batched into one forward.
 */
class SchedulerGoldenTest {
    private static final double LOOP_TOLERANCE = 1e-3;
    private static OmniGen2Transformer transformer;

    @BeforeAll
    static void load() { transformer = OmniGen2Transformer.load(dir()); }

    @AfterAll
    static void close() { transformer.close(); }

    private static Path dir() { return Golden.dir("scheduler"); }

    private static JsonNode caseNamed(String name) {
        for (JsonNode c : Golden.json(dir().resolve("cases.json")).get("cases"))
            if (c.get("name").asText().equals(name)) return c;
        throw new AssertionError("no case " + name + " in scheduler/cases.json");
    }

    @ParameterizedTest(name = "{0} batched={2}")
    @CsvSource({"euler_loop, scheduler_config.json, false", "euler_loop, scheduler_config.json, true",
            "euler_loop_cfg_range, scheduler_config.json, false", "euler_t2i, scheduler_config.json, true",
            "dpm_loop, scheduler_config_dpmsolver.json, false"})
    void loopWithTheTransformerMatchesEveryStep(String name, String schedulerConfig, boolean batched) {
        JsonNode c = caseNamed(name);
        int steps = c.get("num_inference_steps").asInt();
        try (SafetensorsFile file = Golden.cases("scheduler")) {
            List<Tensor> refs = new ArrayList<>();
            for (int r = 0; file.contains(name + "/ref_latent_r" + r); r++) refs.add(file.tensor(name + "/ref_latent_r" + r));
            var prompt = new TransformerVelocityModel.TextConditioning(file.tensor(name + "/prompt_embeds"),
                    maskLength(file.tensor(name + "/prompt_attention_mask")));
            var negative = new TransformerVelocityModel.TextConditioning(file.tensor(name + "/negative_prompt_embeds"),
                    maskLength(file.tensor(name + "/negative_prompt_attention_mask")));
            var model = new TransformerVelocityModel(transformer, prompt, negative, refs, batched);
            Guidance guidance = Guidance.of((float) c.get("text_guidance_scale").asDouble(),
                    (float) c.get("image_guidance_scale_requested").asDouble(),
                    c.get("cfg_range").get(0).asDouble(), c.get("cfg_range").get(1).asDouble(), !refs.isEmpty());
            Sampler sampler = new Sampler(Scheduler.fromConfig(dir().resolve(schedulerConfig)), guidance,
                    Sampler.Options.defaults().withRecordSteps(true));
            Sampler.Result result = sampler.sample(model, file.tensor(name + "/latents_init").copy(), steps);
            assertThat(result.steps()).hasSize(steps);
            for (Sampler.StepRecord s : result.steps()) {
                String p = name + "/step" + s.step() + "_";
                for (Pass pass : s.plan().passes()) {
                    String key = p + "pred_" + pass.name().toLowerCase(Locale.ROOT);
                    assertThat(file.contains(key)).as(key + " was run upstream").isTrue();
                    Golden.assertClose(key, s.predictions().get(pass), file.tensor(key), LOOP_TOLERANCE);
                }
                Golden.assertClose(p + "pred_combined", s.guided(), file.tensor(p + "pred_combined"), LOOP_TOLERANCE);
                Golden.assertClose(p + "latents", s.latents(), file.tensor(p + "latents"), LOOP_TOLERANCE);
            }
        }
    }

    static int maskLength(Tensor mask) {
        int n = 0;
        for (long i = 0; i < mask.numel(); i++) n += (int) mask.getLong(i);
        return n;
    }
}
