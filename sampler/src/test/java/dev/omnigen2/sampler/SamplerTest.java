package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SamplerTest {
    private static final int[] SHAPE = {1, 4, 6, 8};

    /** v = −x for every pass: simple, and the latents it receives can be checked. */
    private static final VelocityModel DECAY = (latents, t, pass, cache) ->
            cache.run(latents, () -> latents, h -> {
                Tensor v = Tensor.zeros(h.shape());
                for (long k = 0; k < v.numel(); k++) v.setFloat(k, -h.getFloat(k));
                return v;
            });

    @Test
    void reportsEveryStepAndLeavesTheInputAlone() {
        Tensor noise = Rng.JAVA.randn(1, SHAPE);
        float[] before = noise.toFloatArray();
        List<StepListener.StepEvent> events = new ArrayList<>();
        Sampler sampler = new Sampler(new FlowMatchEulerScheduler(), Guidance.of(3f, 2f, 0, 1, true),
                Sampler.Options.defaults().withListener(events::add));
        Sampler.Result r = sampler.sample(DECAY, noise, 4);
        assertThat(noise.toFloatArray()).isEqualTo(before);
        assertThat(r.steps()).isEmpty();
        assertThat(r.computed()).isEqualTo(12);
        assertThat(events).hasSize(4);
        for (int i = 0; i < 4; i++) {
            StepListener.StepEvent e = events.get(i);
            assertThat(e.step()).isEqualTo(i);
            assertThat(e.steps()).isEqualTo(4);
            assertThat(e.t()).isEqualTo(r.timesteps()[i]);
            assertThat(e.passes()).isEqualTo(3);
            assertThat(e.seconds()).isGreaterThanOrEqualTo(0);
        }
        assertThat(r.timesteps()).isEqualTo(new FlowMatchEulerScheduler().begin(4, 6, 8).timesteps());
    }

    @Test
    void cancellationStopsBeforeTheNextStep() {
        AtomicBoolean cancel = new AtomicBoolean();
        int[] calls = {0};
        VelocityModel counting = (latents, t, pass, cache) -> { calls[0]++; return DECAY.velocity(latents, t, pass, cache); };
        Sampler sampler = new Sampler(new FlowMatchEulerScheduler(), Guidance.none(), Sampler.Options.defaults()
                .withCancellation(cancel::get)
                .withListener(e -> { if (e.step() == 1) cancel.set(true); }));
        assertThatThrownBy(() -> sampler.sample(counting, Rng.JAVA.randn(1, SHAPE), 10))
                .isInstanceOf(CancellationException.class).hasMessageContaining("before step 2 of 10");
        assertThat(calls[0]).isEqualTo(2);
    }

    @Test
    void aBatchingModelIsAskedForAllPassesOfAStepAtOnce() {
        List<List<Pass>> batches = new ArrayList<>();
        VelocityModel batching = new VelocityModel() {
            @Override public Tensor velocity(Tensor latents, float t, Pass pass, LayerCache cache) {
                throw new AssertionError("the sampler must use the batched entry point");
            }
            @Override public List<Tensor> velocities(Tensor latents, float t, List<Pass> passes, List<LayerCache> caches) {
                batches.add(passes);
                List<Tensor> out = new ArrayList<>();
                for (int i = 0; i < passes.size(); i++) out.add(DECAY.velocity(latents, t, passes.get(i), caches.get(i)));
                return out;
            }
        };
        Sampler sampler = new Sampler(new FlowMatchEulerScheduler(), Guidance.of(5f, 2f, 0.0, 0.5, true));
        Sampler.Result batched = sampler.sample(batching, Rng.JAVA.randn(2, SHAPE), 4);
        assertThat(batches).containsExactly(List.of(Pass.COND, Pass.REF, Pass.UNCOND),
                List.of(Pass.COND, Pass.REF, Pass.UNCOND), List.of(Pass.COND, Pass.REF, Pass.UNCOND), List.of(Pass.COND));
        Sampler.Result single = sampler.sample(DECAY, Rng.JAVA.randn(2, SHAPE), 4);
        assertThat(batched.latents().toFloatArray()).isEqualTo(single.latents().toFloatArray());
    }

    @Test
    void recordsStepsWhenAsked() {
        Sampler sampler = new Sampler(new DpmSolverMultistepScheduler(), Guidance.of(4f, 1f, 0, 1, false),
                Sampler.Options.defaults().withRecordSteps(true));
        Sampler.Result r = sampler.sample(DECAY, Rng.JAVA.randn(3, SHAPE), 3);
        assertThat(r.steps()).hasSize(3);
        assertThat(r.steps().get(2).latents().toFloatArray()).isEqualTo(r.latents().toFloatArray());
        assertThat(r.steps().get(0).predictions()).containsOnlyKeys(Pass.COND, Pass.UNCOND);
    }

    @Test
    void rejectsBadLatents() {
        Sampler sampler = new Sampler(new FlowMatchEulerScheduler(), Guidance.none());
        assertThatThrownBy(() -> sampler.sample(DECAY, Tensor.zeros(5), 2)).hasMessageContaining("[B, C, H, W]");
        assertThatThrownBy(() -> sampler.sample(DECAY, Tensor.allocate(dev.omnigen2.runtime.DType.BF16, 1, 2, 2), 2))
                .hasMessageContaining("F32");
    }
}
