package dev.omnigen2.runtime;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorTest {
    @Test
    void viewsShareMemoryAndCopiesDoNot() {
        Tensor t = Tensor.of(new float[] {0, 1, 2, 3, 4, 5}, 2, 3);
        Tensor row = t.select0(1);
        assertThat(row.toFloatArray()).containsExactly(3, 4, 5);
        row.setFloat(0, 9);
        assertThat(t.get(1, 0)).isEqualTo(9f);
        assertThat(t.narrow(1, 1, 2).toFloatArray()).containsExactly(1, 2, 4, 5);
        assertThat(t.transpose(0, 1).toFloatArray()).containsExactly(0, 9, 1, 4, 2, 5);
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertThat(Half.bf16ToF32(Half.f32ToBf16(1.00390625f))).isEqualTo(1.0f); // tie → even
        assertThat(Half.bf16ToF32(Half.f32ToBf16(1.01171875f))).isEqualTo(1.015625f); // tie → even (up)
        assertThat(Half.bf16ToF32(Half.f32ToBf16(1.0f + 0x1.1p-8f))).isEqualTo(1.0078125f);
    }

    @Test
    void scopedTensorsAreFreedWhenTheScopeEndsAndOthersAreNot() {
        Tensor before = Tensor.zeros(3);
        Tensor[] inner = new Tensor[2];
        Tensor.scoped(() -> {
            inner[0] = Tensor.of(new float[] {1, 2}, 2);
            Tensor.scoped(() -> inner[1] = Tensor.zeros(4));
            // the nested scope has ended, the outer one has not
            assertThatThrownBy(() -> inner[1].getFloat(0)).isInstanceOf(IllegalStateException.class);
            assertThat(inner[0].getFloat(1)).isEqualTo(2f);
            // work on the pool reads and writes scoped tensors (a shared arena)
            Tensor sum = Tensor.zeros(2);
            Elementwise.add(inner[0], inner[0], sum);
            assertThat(sum.toFloatArray()).containsExactly(2f, 4f);
        });
        assertThatThrownBy(() -> inner[0].getFloat(0)).isInstanceOf(IllegalStateException.class);
        Tensor after = Tensor.zeros(2);
        after.setFloat(1, 5f);
        assertThat(after.getFloat(1)).isEqualTo(5f);
        assertThat(before.getFloat(2)).isZero();
    }
}
