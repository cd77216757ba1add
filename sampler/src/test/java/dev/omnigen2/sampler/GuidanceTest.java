package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GuidanceTest {

    @Test
    void bothScalesAboveOneRunThreePassesInUpstreamOrder() {
        Guidance.Plan p = Guidance.of(5f, 2f, 0.0, 1.0, true).plan(0, 10);
        assertThat(p.passes()).containsExactly(Pass.COND, Pass.REF, Pass.UNCOND);
        assertThat(p.textScale()).isEqualTo(5f);
        assertThat(p.imageScale()).isEqualTo(2f);
    }

    @Test
    void noReferenceImagesForceImageScaleToOne() {
        Guidance g = Guidance.of(4f, 2f, 0.0, 1.0, false);
        assertThat(g.imageScale()).isEqualTo(1f);
        assertThat(g.plan(3, 10).passes()).containsExactly(Pass.COND, Pass.UNCOND);
    }

    @Test
    void imageScaleAloneRunsOnlyTheCondPassAsUpstreamDoes() {
        Guidance.Plan p = Guidance.of(1f, 3f, 0.0, 1.0, true).plan(0, 4);
        assertThat(p.passes()).containsExactly(Pass.COND);
    }

    @Test
    void cfgRangeIsInclusiveOnStepFraction() {
        Guidance g = Guidance.of(5f, 2f, 0.25, 0.5, true);
        // N = 4: fractions 0, 0.25, 0.5, 0.75
        assertThat(g.plan(0, 4).passes()).containsExactly(Pass.COND);
        assertThat(g.plan(1, 4).passes()).hasSize(3);
        assertThat(g.plan(2, 4).passes()).hasSize(3);
        Guidance.Plan outside = g.plan(3, 4);
        assertThat(outside.passes()).containsExactly(Pass.COND);
        assertThat(outside.textScale()).isEqualTo(1f);
        assertThat(outside.imageScale()).isEqualTo(1f);
    }

    @Test
    void combinesWithUpstreamFormulas() {
        Tensor cond = Tensor.of(new float[]{1, 2}, 2), ref = Tensor.of(new float[]{0.5f, -1}, 2),
                uncond = Tensor.of(new float[]{0.25f, 4}, 2);
        Guidance.Plan three = Guidance.of(5f, 2f, 0, 1, true).plan(0, 1);
        float[] out3 = three.combine(List.of(cond, ref, uncond)).toFloatArray();
        assertThat(out3[0]).isEqualTo(0.25f + 2f * (0.5f - 0.25f) + 5f * (1f - 0.5f));
        assertThat(out3[1]).isEqualTo(4f + 2f * (-1f - 4f) + 5f * (2f + 1f));

        Guidance.Plan two = Guidance.of(4f, 1f, 0, 1, false).plan(0, 1);
        float[] out2 = two.combine(List.of(cond, uncond)).toFloatArray();
        assertThat(out2[0]).isEqualTo(0.25f + 4f * (1f - 0.25f));
        assertThat(out2[1]).isEqualTo(4f + 4f * (2f - 4f));

        Guidance.Plan one = Guidance.none().plan(0, 1);
        assertThat(one.combine(List.of(cond))).isSameAs(cond);
    }

    @Test
    void rejectsMismatchedInputs() {
        Guidance.Plan three = Guidance.of(5f, 2f, 0, 1, true).plan(0, 1);
        Tensor a = Tensor.zeros(2);
        assertThatThrownBy(() -> three.combine(List.of(a, a))).hasMessageContaining("3 passes but 2");
        assertThatThrownBy(() -> three.combine(List.of(a, a, Tensor.zeros(3)))).hasMessageContaining("different shapes");
        assertThatThrownBy(() -> new Guidance(2f, 1f, 0.8, 0.2)).hasMessageContaining("start <= end");
        assertThatThrownBy(() -> Guidance.none().plan(5, 5)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
