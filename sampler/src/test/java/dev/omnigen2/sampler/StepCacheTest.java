package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** TeaCache and TaylorSeer: their decisions in isolation, and their effect on a whole run. */
class StepCacheTest {
    private static final int[] SHAPE = {1, 16, 16, 16};
    private static final int STEPS = 50;

    private static Tensor filled(float v) {
        Tensor t = Tensor.zeros(2, 3);
        t.fill(v);
        return t;
    }

    @Test
    void teaCacheAlwaysComputesFirstAndLastStepAndReusesTheResidualWhileInputBarelyChanges() {
        TeaCache cache = new TeaCache(0.05);
        List<Integer> ran = new ArrayList<>();
        int steps = 6;
        for (int i = 0; i < steps; i++) {
            int step = i;
            Tensor hidden = filled(1 + i);
            // identical modulated input: rescaled distance is negative, so the middle steps skip
            Tensor out = cache.hook(Pass.COND, i, steps).run(hidden, () -> filled(2f), h -> {
                ran.add(step);
                return filled(10 * (step + 1));
            });
            float expected = ran.contains(step) ? 10 * (step + 1) : (1 + step) + (10 - 1);   // hidden + residual of step 0
            assertThat(out.getFloat(0)).as("step " + i).isEqualTo(expected);
        }
        assertThat(ran).containsExactly(0, steps - 1);
        assertThat(cache.skipped()).isEqualTo(steps - 2);
        assertThat(cache.computed()).isEqualTo(2);
    }

    @Test
    void teaCacheComputesWhenAccumulatedChangeReachesTheThreshold() {
        TeaCache cache = new TeaCache(0.05);
        int steps = 10;
        List<Integer> ran = new ArrayList<>();
        double accumulated = 0;
        List<Integer> expected = new ArrayList<>();
        float m = 1;
        for (int i = 0; i < steps; i++) {
            float previous = m;
            m = m * 1.03f;   // 3 % relative change per step
            if (i == 0 || i == steps - 1) { expected.add(i); accumulated = 0; }
            else {
                accumulated += TeaCache.rescale(TeaCache.relativeL1(filled(m), filled(previous)));
                if (accumulated >= 0.05) { expected.add(i); accumulated = 0; }
            }
            int step = i;
            float mi = m;
            cache.hook(Pass.UNCOND, i, steps).run(filled(0), () -> filled(mi), h -> { ran.add(step); return filled(1); });
        }
        assertThat(ran).containsExactlyElementsOf(expected);
        assertThat(ran.size()).isBetween(3, steps - 1);
        // upstream's polynomial, highest power first
        assertThat(TeaCache.rescale(0.1)).isCloseTo(-5.48259225e-4 + 11.48772289e-3 - 4.47407401e-2 + 0.247730926 - 0.03316487,
                within(1e-12));
    }

    @Test
    void taylorSeerComputesOnUpstreamsScheduleAndExtrapolatesPolynomialsExactly() {
        TaylorSeer cache = new TaylorSeer();
        List<Integer> ran = new ArrayList<>();
        int steps = 20;
        for (int s = 0; s < steps; s++) {
            int call = s;
            // a stack whose output is linear in the call index: first-order Taylor is exact
            Tensor out = cache.hook(Pass.REF, s, steps).run(filled(0), () -> { throw new AssertionError("unused"); },
                    h -> { ran.add(call); return filled(2 + 0.5f * call); });
            assertThat(out.getFloat(3)).as("call " + s).isCloseTo(2 + 0.5f * s, within(1e-5f));
        }
        // warm-up 0..4, then every third call
        assertThat(ran).containsExactly(0, 1, 2, 3, 4, 7, 10, 13, 16, 19);
        assertThat(cache.computed()).isEqualTo(10);
        assertThat(cache.skipped()).isEqualTo(10);
    }

    @Test
    void passesKeepSeparateState() {
        TaylorSeer cache = new TaylorSeer();
        List<Pass> ran = new ArrayList<>();
        for (int s = 0; s < 6; s++)
            for (Pass p : new Pass[]{Pass.COND, Pass.UNCOND})
                cache.hook(p, s, 6).run(filled(0), () -> filled(0), h -> { ran.add(p); return filled(1); });
        // call 5 is the first skipped call of each pass
        assertThat(ran).hasSize(10);
        assertThat(cache.fresh().computed()).isZero();
    }

    private record Outcome(Sampler.Result result, int stackRuns, double seconds) {}

    private static Outcome run(StepCache cache) {
        Tensor noise = Rng.JAVA.randn(11, SHAPE);
        SyntheticTransformer model = new SyntheticTransformer(SHAPE, 16);
        Sampler sampler = new Sampler(new FlowMatchEulerScheduler(), Guidance.of(4f, 2f, 0.0, 1.0, true),
                Sampler.Options.defaults().withStepCache(cache));
        long t0 = System.nanoTime();
        Sampler.Result r = sampler.sample(model, noise, STEPS);
        return new Outcome(r, model.stackRuns, (System.nanoTime() - t0) * 1e-9);
    }

    @Test
    void cachesSkipWorkAndStayCloseToTheUncachedResult() {
        // each configuration runs once for JIT warm-up, so that the timings compare steady states
        run(StepCache.none());
        Outcome exact = run(StepCache.none());
        assertThat(exact.stackRuns).isEqualTo(3 * STEPS);
        assertThat(exact.result.computed()).isEqualTo(3 * STEPS);

        run(new TeaCache());
        Outcome tea = run(new TeaCache());
        run(new TaylorSeer());
        Outcome taylor = run(new TaylorSeer());
        double teaPsnr = SyntheticTransformer.psnr(tea.result.latents(), exact.result.latents());
        double taylorPsnr = SyntheticTransformer.psnr(taylor.result.latents(), exact.result.latents());
        System.out.printf(Locale.ROOT, "synthetic model, %d steps x 3 passes: uncached %d stack runs %.3f s; "
                        + "TeaCache(0.05) %d runs %.3f s, PSNR %.1f dB; TaylorSeer %d runs %.3f s, PSNR %.1f dB%n",
                STEPS, exact.stackRuns, exact.seconds, tea.stackRuns, tea.seconds, teaPsnr,
                taylor.stackRuns, taylor.seconds, taylorPsnr);

        assertThat(tea.result.skipped()).isPositive();
        assertThat(tea.stackRuns + tea.result.skipped()).isEqualTo(3 * STEPS);
        assertThat(tea.stackRuns).isEqualTo(tea.result.computed());
        // upstream's fixed schedule: 5 warm-up calls, then every third of the remaining 45 → 20 of 50 per pass
        assertThat(taylor.stackRuns).isEqualTo(3 * 20);
        assertThat(taylor.result.skipped()).isEqualTo(3 * 30);
        assertThat(teaPsnr).isGreaterThan(30);
        assertThat(taylorPsnr).isGreaterThan(30);
    }
}
