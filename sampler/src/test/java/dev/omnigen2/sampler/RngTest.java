package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RngTest {

    @Test
    void mersenneTwisterMatchesTheReferenceSequence() {
        // MT19937 with init_genrand(5489): the 1st output is 3499211612, the 10000th is 4123659995
        TorchCpuGenerator g = new TorchCpuGenerator(5489);
        assertThat(g.nextInt() & 0xffffffffL).isEqualTo(3499211612L);
        for (int i = 1; i < 9999; i++) g.nextInt();
        assertThat(g.nextInt() & 0xffffffffL).isEqualTo(4123659995L);
    }

    @Test
    void javaNoiseIsReproducibleAndIndependentOfHowMuchIsDrawn() {
        Tensor a = Rng.JAVA.randn(42, 1, 16, 8, 8), b = Rng.JAVA.randn(42, 1, 16, 8, 8);
        assertThat(a.toFloatArray()).isEqualTo(b.toFloatArray());
        float[] prefix = Rng.JAVA.randn(42, 37).toFloatArray();
        assertThat(prefix).isEqualTo(Arrays.copyOf(a.toFloatArray(), 37));
        assertThat(Rng.JAVA.randn(43, 1, 16, 8, 8).toFloatArray()).isNotEqualTo(a.toFloatArray());
    }

    @Test
    void bothGeneratorsAreStandardNormal() {
        for (Rng rng : Rng.values()) {
            float[] x = rng.randn(7, 200_000).toFloatArray();
            double mean = 0, sq = 0;
            for (float v : x) { mean += v; sq += (double) v * v; }
            mean /= x.length;
            double var = sq / x.length - mean * mean;
            assertThat(mean).as(rng + " mean").isBetween(-0.01, 0.01);
            assertThat(var).as(rng + " variance").isBetween(0.98, 1.02);
            for (float v : x) assertThat(Float.isFinite(v)).isTrue();
        }
    }

    @Test
    void parsesNamesAndRejectsOthers() {
        assertThat(Rng.parse("torch")).isEqualTo(Rng.TORCH);
        assertThat(Rng.parse(" JAVA ")).isEqualTo(Rng.JAVA);
        assertThatThrownBy(() -> Rng.parse("cuda")).hasMessageContaining("cuda").hasMessageContaining("torch");
        assertThatThrownBy(() -> Rng.TORCH.randn(0, 2, -1)).hasMessageContaining("negative");
    }
}
