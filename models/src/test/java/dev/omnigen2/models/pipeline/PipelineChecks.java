package dev.omnigen2.models.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.sampler.Pass;
import dev.omnigen2.sampler.Sampler;
import dev.omnigen2.testkit.Golden;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/** Stage checks shared by the pipeline and pipeline-chat golden tests (same tensor names, same rules). */
public final class PipelineChecks {
    private PipelineChecks() {}

    /**
     * Every step against {@code <prefix>step<i>_*}: the passes run are upstream's (cases.json {@code derived.steps}),
     * each pass's prediction, the guided velocity and the latents within {@code tolerance}.
     */
    public static void assertSteps(SafetensorsFile cases, String prefix, JsonNode derived, List<Sampler.StepRecord> steps,
                                   double tolerance) {
        assertThat(steps).hasSize(derived.get("steps").size());
        for (Sampler.StepRecord s : steps) {
            String sp = prefix + "step" + s.step() + "_";
            List<String> upstream = new ArrayList<>();
            derived.get("steps").get(s.step()).get("predictions").forEach(x -> upstream.add(x.asText()));
            assertThat(s.plan().passes().stream().map(x -> "pred_" + x.name().toLowerCase(Locale.ROOT)).toList())
                    .as(sp + " passes").containsExactlyInAnyOrderElementsOf(upstream);
            for (Pass pass : s.plan().passes()) {
                String key = sp + "pred_" + pass.name().toLowerCase(Locale.ROOT);
                Golden.assertClose(key, s.predictions().get(pass), cases.tensor(key), tolerance);
            }
            Golden.assertClose(sp + "guided", s.guided(), cases.tensor(sp + "guided"), tolerance);
            Golden.assertClose(sp + "latents", s.latents(), cases.tensor(sp + "latents"), tolerance);
        }
    }

    /**
     * The README's end-to-end rule for 8-bit output: no value off by more than one, and only a few off by one (the
     * float64 reference run itself flips up to 6 of 26,880). Returns how many differ.
     */
    public static int assertWithinOne(String what, byte[] want, byte[] got) {
        assertThat(got.length).as(what + " length").isEqualTo(want.length);
        int differing = 0;
        for (int i = 0; i < want.length; i++) {
            int d = Math.abs((want[i] & 0xFF) - (got[i] & 0xFF));
            assertThat(d).as(what + " byte " + i).isLessThanOrEqualTo(1);
            if (d != 0) differing++;
        }
        assertThat(differing).as(what + " values off by one").isLessThanOrEqualTo(Math.max(6, want.length / 1000));
        return differing;
    }
}
