package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Scheduler behaviour beyond the fixture: exact transport of straight flows, config handling. */
class SchedulerTest {

    /** x_t = (1 − t)·noise + t·target has the constant velocity target − noise. */
    private static void straightFlowReachesTarget(Scheduler scheduler, int steps) {
        int h = 6, w = 10;
        Tensor noise = Rng.JAVA.randn(3, 1, 2, h, w), target = Rng.JAVA.randn(4, 1, 2, h, w);
        Scheduler.Run run = scheduler.begin(steps, h, w);
        Tensor x = noise.copy();
        float[] ts = run.timesteps();
        for (int i = 0; i < ts.length; i++) {
            float t = ts[i];
            Tensor v = Tensor.zeros(x.shape());
            // velocity of the straight path through the current point
            for (int k = 0; k < x.numel(); k++) v.setFloat(k, (target.getFloat(k) - x.getFloat(k)) / (1 - t));
            run.step(i, v, x);
        }
        float[] got = x.toFloatArray(), want = target.toFloatArray();
        for (int k = 0; k < got.length; k++) assertThat(got[k]).isCloseTo(want[k], org.assertj.core.data.Offset.offset(1e-4f));
    }

    @Test
    void eulerAndDpmTransportAStraightFlowToItsEnd() {
        for (int steps : new int[]{1, 2, 7, 28}) {
            straightFlowReachesTarget(new FlowMatchEulerScheduler(), steps);
            straightFlowReachesTarget(new DpmSolverMultistepScheduler(), steps);
        }
    }

    @Test
    void dpmSecondOrderDiffersFromEulerOnCurvedFlows() {
        // v = −x: the exact solution is x·e^{−Δt}; a multistep solver must use the history
        int steps = 5;
        Tensor x0 = Tensor.of(new float[]{1f, -2f, 0.5f, 3f}, 1, 1, 2, 2);
        Tensor euler = x0.copy(), dpm = x0.copy();
        Scheduler.Run er = new FlowMatchEulerScheduler().begin(steps, 2, 2);
        Scheduler.Run dr = new DpmSolverMultistepScheduler().begin(steps, 2, 2);
        for (int i = 0; i < steps; i++) {
            er.step(i, negate(euler), euler);
            dr.step(i, negate(dpm), dpm);
        }
        assertThat(dpm.toFloatArray()).isNotEqualTo(euler.toFloatArray());
    }

    private static Tensor negate(Tensor x) {
        Tensor v = Tensor.zeros(x.shape());
        for (int k = 0; k < x.numel(); k++) v.setFloat(k, -x.getFloat(k));
        return v;
    }

    @Test
    void shiftMovesTimeTowardsNoiseForLargeLatentsAndTowardsCleanForSmall() {
        float[] linear = FlowMatchEulerScheduler.linearTimesteps(10);
        float[] large = FlowMatchEulerScheduler.shiftedTimesteps(10, 128 * 128);
        float[] small = FlowMatchEulerScheduler.shiftedTimesteps(10, 16 * 16);
        for (int i = 1; i < 10; i++) {
            assertThat(large[i]).isLessThan(linear[i]);
            assertThat(small[i]).isGreaterThan(linear[i]);
            assertThat(large[i]).isGreaterThan(large[i - 1]);
        }
        assertThat(large[0]).isZero();
    }

    @Test
    void stepsMustBeInRangeAndShapesMustMatch() {
        Scheduler.Run run = new FlowMatchEulerScheduler().begin(3, 2, 2);
        Tensor x = Tensor.zeros(1, 1, 2, 2);
        assertThatThrownBy(() -> run.step(3, x, x)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> run.step(0, Tensor.zeros(4), x)).hasMessageContaining("does not match");
        Scheduler.Run dpm = new DpmSolverMultistepScheduler().begin(3, 2, 2);
        assertThatThrownBy(() -> dpm.step(1, x, x)).hasMessageContaining("in order");
        assertThatThrownBy(() -> FlowMatchEulerScheduler.linearTimesteps(0)).hasMessageContaining("at least 1");
    }

    @Test
    void configSelectsSchedulerAndRejectsWhatIsNotImplemented(@TempDir Path dir) throws IOException {
        Path euler = Files.writeString(dir.resolve("e.json"),
                "{\"_class_name\": \"FlowMatchEulerDiscreteScheduler\", \"num_train_timesteps\": 1000, \"dynamic_time_shift\": false}");
        Scheduler s = Scheduler.fromConfig(euler);
        assertThat(s).isInstanceOf(FlowMatchEulerScheduler.class);
        assertThat(s.begin(4, 64, 64).timesteps()).containsExactly(0f, 0.25f, 0.5f, 0.75f);

        Path other = Files.writeString(dir.resolve("o.json"), "{\"_class_name\": \"EulerAncestralDiscreteScheduler\"}");
        assertThatThrownBy(() -> Scheduler.fromConfig(other)).hasMessageContaining("EulerAncestralDiscreteScheduler")
                .hasMessageContaining(other.toString());
        Path eps = Files.writeString(dir.resolve("d.json"),
                "{\"_class_name\": \"DPMSolverMultistepScheduler\", \"prediction_type\": \"epsilon\"}");
        assertThatThrownBy(() -> Scheduler.fromConfig(eps)).hasMessageContaining("flow_prediction");
        Path bad = Files.writeString(dir.resolve("b.json"), "[1, 2]");
        assertThatThrownBy(() -> Scheduler.fromConfig(bad)).hasMessageContaining("not a JSON object");
    }
}
