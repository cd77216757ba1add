package dev.omnigen2.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The scheduler fixture: exact time grids for every step count and token count, and the denoising
 * loops ({@code euler_loop}, {@code euler_loop_cfg_range}, {@code euler_t2i}, {@code dpm_loop}) driven
 * by the stored per-pass predictions through our guidance, scheduler and {@link Sampler}.
 *
 * <p>The loop cases check: the passes the sampler asks for at each step are exactly those stored
 * (upstream's branch, including the cond-only step outside the cfg range); the time handed to the
 * model equals {@code step<i>_timestep}; the latents handed to the model match the stored ones;
 * the guided velocity, DPM's x0 and the latents after each step match within the README tolerance
 * (1e-3 relative L2). The version with the tiny transformer in the loop lives in the models module.
 */
class SchedulerGoldenTest {
    private static final double TOLERANCE = 1e-3;
    /**
     * Fed the stored predictions, only guidance and scheduler arithmetic remain, which follow
     * upstream's float32 operations one by one: measured error is 0 (bit-identical) on every step of
     * every case; this bound catches any drift far below the README's model-level tolerance.
     */
    private static final double ARITHMETIC_ONLY = 1e-6;

    private static Path dir() { return Golden.dir("scheduler"); }

    private static JsonNode caseNamed(String name) {
        for (JsonNode c : Golden.json(dir().resolve("cases.json")).get("cases"))
            if (c.get("name").asText().equals(name)) return c;
        throw new AssertionError("no case " + name + " in scheduler/cases.json");
    }

    private static void assertBitExact(String what, float[] got, Tensor expected) {
        float[] e = expected.toFloatArray();
        assertThat(got.length).as(what + " length").isEqualTo(e.length);
        for (int i = 0; i < e.length; i++)
            assertThat(Float.floatToRawIntBits(got[i])).as(what + "[" + i + "] = " + got[i] + ", expected " + e[i])
                    .isEqualTo(Float.floatToRawIntBits(e[i]));
    }

    @Test
    void timestepsAreBitExactForEveryStepAndTokenCount() {
        SchedulerConfig euler = SchedulerConfig.read(dir().resolve("scheduler_config.json"));
        SchedulerConfig dpm = SchedulerConfig.read(dir().resolve("scheduler_config_dpmsolver.json"));
        JsonNode entries = caseNamed("timesteps").get("entries");
        assertThat(entries.size()).isGreaterThan(0);
        try (SafetensorsFile file = Golden.cases("scheduler")) {
            for (JsonNode e : entries) {
                String tag = e.get("tag").asText();
                int steps = e.get("num_inference_steps").asInt();
                boolean shift = !e.get("num_tokens").isNull();
                int tokens = shift ? e.get("num_tokens").asInt() : 1;
                // num_tokens None: upstream skips the shift; a config without dynamic_time_shift does the same
                SchedulerConfig eulerCfg = shift ? euler : withoutShift(euler);
                SchedulerConfig dpmCfg = shift ? dpm : withoutShift(dpm);
                FlowMatchEulerScheduler.EulerRun er = new FlowMatchEulerScheduler(eulerCfg).begin(steps, tokens, 1);
                DpmSolverMultistepScheduler.DpmRun dr = new DpmSolverMultistepScheduler(dpmCfg).begin(steps, tokens, 1);
                float[] direct = shift ? FlowMatchEulerScheduler.shiftedTimesteps(steps, tokens)
                        : FlowMatchEulerScheduler.linearTimesteps(steps);
                Tensor expected = file.tensor("timesteps/" + tag + "_timesteps");
                assertBitExact(tag + " timesteps", direct, expected);
                assertBitExact(tag + " euler timesteps", er.timesteps(), expected);
                assertBitExact(tag + " dpm timesteps", dr.timesteps(), expected);
                assertBitExact(tag + " euler _timesteps", er.extendedTimesteps(),
                        file.tensor("timesteps/" + tag + "_euler_timesteps_ext"));
                assertBitExact(tag + " dpm sigmas", dr.sigmas(), file.tensor("timesteps/" + tag + "_dpm_sigmas"));
            }
        }
    }

    private static SchedulerConfig withoutShift(SchedulerConfig c) {
        return new SchedulerConfig(c.className(), c.numTrainTimesteps(), false, c.solverOrder(), c.predictionType(),
                c.algorithmType(), c.solverType(), c.lowerOrderFinal(), c.eulerAtFinal(), c.finalSigmasType(),
                c.thresholding());
    }

    @Test void eulerLoop() { replayLoop("euler_loop", "scheduler_config.json"); }

    @Test void eulerLoopCfgRange() { replayLoop("euler_loop_cfg_range", "scheduler_config.json"); }

    @Test void eulerTextToImage() { replayLoop("euler_t2i", "scheduler_config.json"); }

    @Test void dpmLoop() { replayLoop("dpm_loop", "scheduler_config_dpmsolver.json"); }

    /** A model that answers with the fixture's stored predictions and checks what it is asked. */
    private static final class StoredPredictions implements VelocityModel {
        private final SafetensorsFile file;
        private final String name;
        private final float[] timesteps;
        private final List<String> calls = new ArrayList<>();
        double worstInputLatents;

        StoredPredictions(SafetensorsFile file, String name, float[] timesteps) {
            this.file = file;
            this.name = name;
            this.timesteps = timesteps;
        }

        @Override
        public Tensor velocity(Tensor latents, float t, Pass pass, LayerCache cache) {
            int step = -1;
            for (int i = 0; i < timesteps.length; i++) if (timesteps[i] == t) step = i;
            assertThat(step).as(name + ": model called at t=" + t + ", not a step time").isGreaterThanOrEqualTo(0);
            assertThat(t).as(name + " step " + step + " timestep").isEqualTo(file.tensor(name + "/step" + step + "_timestep").getFloat(0));
            String prior = step == 0 ? name + "/latents_init" : name + "/step" + (step - 1) + "_latents";
            worstInputLatents = Math.max(worstInputLatents, Golden.assertClose(name + " step " + step + " model input",
                    latents, file.tensor(prior), TOLERANCE));
            String key = name + "/step" + step + "_pred_" + pass.name().toLowerCase(Locale.ROOT);
            assertThat(file.contains(key)).as(name + " step " + step + ": sampler asked for pass " + pass
                    + " which upstream did not run").isTrue();
            calls.add(key);
            return file.tensor(key).copy();
        }
    }

    private void replayLoop(String name, String schedulerConfig) {
        JsonNode c = caseNamed(name);
        int steps = c.get("num_inference_steps").asInt();
        boolean hasRefs = !c.get("ref_latent_sizes").isNull();
        Guidance guidance = Guidance.of((float) c.get("text_guidance_scale").asDouble(),
                (float) c.get("image_guidance_scale_requested").asDouble(),
                c.get("cfg_range").get(0).asDouble(), c.get("cfg_range").get(1).asDouble(), hasRefs);
        Scheduler scheduler = Scheduler.fromConfig(dir().resolve(schedulerConfig));
        assertThat(scheduler.getClass().getSimpleName()).as("scheduler class")
                .isEqualTo(c.get("scheduler").asText().equals(SchedulerConfig.EULER)
                        ? "FlowMatchEulerScheduler" : "DpmSolverMultistepScheduler");

        try (SafetensorsFile file = Golden.cases("scheduler")) {
            Tensor init = file.tensor(name + "/latents_init").copy();
            int[] latent = new int[3];
            for (int i = 0; i < 3; i++) latent[i] = c.get("latent_size").get(i).asInt();
            assertThat(init.shape()).containsExactly(1, latent[0], latent[1], latent[2]);
            assertThat((long) latent[1] * latent[2]).as("num_tokens").isEqualTo(c.get("num_tokens").asLong());

            Scheduler.Run run = scheduler.begin(steps, init.size(-2), init.size(-1));
            assertBitExact(name + " timesteps", run.timesteps(), file.tensor(name + "/timesteps"));
            if (run instanceof FlowMatchEulerScheduler.EulerRun er)
                assertBitExact(name + " _timesteps", er.extendedTimesteps(), file.tensor(name + "/timesteps_ext"));
            if (run instanceof DpmSolverMultistepScheduler.DpmRun dr)
                assertBitExact(name + " sigmas", dr.sigmas(), file.tensor(name + "/sigmas"));

            StoredPredictions model = new StoredPredictions(file, name, run.timesteps());
            double[] worstX0 = {0};
            List<StepListener.StepEvent> events = new ArrayList<>();
            StepListener listener = ev -> {
                events.add(ev);
                if (run instanceof DpmSolverMultistepScheduler.DpmRun dr)
                    worstX0[0] = Math.max(worstX0[0], Golden.assertClose(name + " step " + ev.step() + " x0",
                            dr.lastDataPrediction(), file.tensor(name + "/step" + ev.step() + "_x0_pred"), TOLERANCE));
            };
            Sampler sampler = new Sampler(scheduler, guidance,
                    Sampler.Options.defaults().withRecordSteps(true).withListener(listener));
            Sampler.Result result = sampler.sample(model, init, run);

            assertThat(result.steps()).hasSize(steps);
            assertThat(events).extracting(StepListener.StepEvent::step).containsExactlyElementsOf(
                    java.util.stream.IntStream.range(0, steps).boxed().toList());
            double worstGuided = 0, worstLatents = 0;
            for (int i = 0; i < steps; i++) {
                JsonNode expectedStep = c.get("steps").get(i);
                Sampler.StepRecord r = result.steps().get(i);
                assertThat(r.plan().textScale()).as(name + " step " + i + " text scale")
                        .isEqualTo((float) expectedStep.get("text_guidance_scale").asDouble());
                assertThat(r.plan().imageScale()).as(name + " step " + i + " image scale")
                        .isEqualTo((float) expectedStep.get("image_guidance_scale").asDouble());
                // exactly the passes upstream stored for this step
                for (Pass p : Pass.values())
                    assertThat(r.predictions().containsKey(p)).as(name + " step " + i + " ran " + p)
                            .isEqualTo(file.contains(name + "/step" + i + "_pred_" + p.name().toLowerCase(Locale.ROOT)));
                worstGuided = Math.max(worstGuided, Golden.assertClose(name + " step " + i + " guided velocity",
                        r.guided(), file.tensor(name + "/step" + i + "_pred_combined"), TOLERANCE));
                worstLatents = Math.max(worstLatents, Golden.assertClose(name + " step " + i + " latents",
                        r.latents(), file.tensor(name + "/step" + i + "_latents"), TOLERANCE));
            }
            Golden.assertClose(name + " final latents", result.latents(),
                    file.tensor(name + "/" + c.get("final_output").asText()), TOLERANCE);
            assertThat(Math.max(Math.max(worstGuided, worstLatents), Math.max(model.worstInputLatents, worstX0[0])))
                    .as(name + ": guidance + scheduler arithmetic error").isLessThanOrEqualTo(ARITHMETIC_ONLY);
            System.out.printf(Locale.ROOT, "%s: max rel L2 guided %.2e, latents %.2e, model input %.2e, x0 %.2e%n",
                    name, worstGuided, worstLatents, model.worstInputLatents, worstX0[0]);
        }
    }
}
