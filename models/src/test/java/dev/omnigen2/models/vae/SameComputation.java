package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.testkit.Golden;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two runs of one computation agree up to float rounding only: vectorised kernels may sum in another order once the
 * JIT compiles them (an interpreted {@code reduceLanes} and the intrinsic differ in the last bits), so equality is
 * checked to 1e-5 relative L2 — far below any real bug (a misplaced tile or a wrong op costs ≥ 1e-2).
 */
final class SameComputation {
    static final double TOLERANCE = 1e-5;

    private SameComputation() {}

    static void assertSame(String what, Tensor actual, Tensor expected) {
        assertThat(actual.shape()).as(what + " shape").containsExactly(expected.shape());
        assertThat(Golden.relL2(actual.toFloatArray(), expected.toFloatArray())).as(what + " relative L2")
                .isLessThanOrEqualTo(TOLERANCE);
    }
}
