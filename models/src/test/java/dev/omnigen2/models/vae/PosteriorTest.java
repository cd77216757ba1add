package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PosteriorTest {
    /** Moments [2·2, 1, 3]: mean channels then log-variance channels (one below −30, one above 20). */
    private static Posterior posterior() {
        return new Posterior(Tensor.of(new float[]{
                1, 2, 3, -1, -2, -3,
                0, -40, 2, 25, -2, (float) Math.log(4)}, 4, 1, 3));
    }

    @Test
    void splitsMomentsAndClampsLogvar() {
        Posterior p = posterior();
        assertThat(p.shape()).containsExactly(2, 1, 3);
        assertThat(p.mode().toFloatArray()).containsExactly(1, 2, 3, -1, -2, -3);
        assertThat(p.logvar().toFloatArray()).containsExactly(0, -30, 2, 20, -2, (float) Math.log(4));
        float[] std = p.std().toFloatArray();
        assertThat(std[0]).isEqualTo(1f);
        assertThat(std[1]).isEqualTo((float) Math.exp(-15));
        assertThat(std[5]).isCloseTo(2f, org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void sampleIsMeanPlusStdTimesNoise() {
        Posterior p = posterior();
        Tensor noise = Tensor.of(new float[]{1, 1, 1, 0, 0, 0.5f}, 2, 1, 3);
        float[] z = p.sample(noise).toFloatArray();
        assertThat(z[0]).isEqualTo(2f);
        assertThat(z[3]).isEqualTo(-1f);
        assertThat(z[5]).isCloseTo(-2f, org.assertj.core.data.Offset.offset(1e-6f));
        assertThatThrownBy(() -> p.sample(Tensor.zeros(2, 3, 1))).hasMessageContaining("latent shape");
    }

    @Test
    void seededSampleIsReproducibleAndGaussian() {
        int c = 4, h = 32, w = 32;
        Tensor moments = Tensor.zeros(2 * c, h, w);       // mean 0, logvar 0 → std 1
        Posterior p = new Posterior(moments);
        float[] a = p.sample(new SplittableRandom(7)).toFloatArray();
        float[] b = p.sample(new SplittableRandom(7)).toFloatArray();
        float[] other = p.sample(new SplittableRandom(8)).toFloatArray();
        assertThat(a).containsExactly(b);
        assertThat(a).isNotEqualTo(other);
        double mean = 0, var = 0;
        for (float v : a) mean += v;
        mean /= a.length;
        for (float v : a) var += (v - mean) * (v - mean);
        var /= a.length;
        assertThat(mean).isBetween(-0.1, 0.1);
        assertThat(var).isBetween(0.9, 1.1);
    }
}
