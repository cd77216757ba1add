package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VaeImagesTest {
    @Test
    void pixelsMapToMinusOneOneChannelsFirst() {
        // 1x2 image: pixel 0 = (0, 255, 51), pixel 1 = (255, 0, 102)
        byte[] rgb = {0, (byte) 255, 51, (byte) 255, 0, 102};
        Tensor t = VaeImages.fromRgb8(rgb, 1, 2);
        assertThat(t.shape()).containsExactly(3, 1, 2);
        assertThat(t.toFloatArray()).containsExactly(-1f, 1f, 1f, -1f, 2f * (51 / 255f) - 1f, 2f * (102 / 255f) - 1f);
        assertThat(VaeImages.toRgb8(t)).containsExactly(rgb);
        assertThatThrownBy(() -> VaeImages.fromRgb8(rgb, 2, 2)).hasMessageContaining("2x2");
    }

    @Test
    void outputIsClampedAndRoundedHalfToEven() {
        Tensor x = Tensor.of(new float[]{-3f, 5f, 0f}, 3, 1, 1);
        assertThat(VaeImages.toUnitRange(x).toFloatArray()).containsExactly(0f, 1f, 0.5f);
        // Exact halves go to the even neighbour (numpy round): k + 0.5 with k even gives k, where Math.round gives k + 1.
        assertThat(VaeImages.toRgb8(x)).containsExactly(0, (byte) 255, (byte) 128);
        int found = 0;
        for (int k = 0; k < 254 && found < 8; k += 2) {
            Float x2 = decoderValueGiving(k + 0.5f);
            if (x2 == null) continue;
            found++;
            byte[] px = VaeImages.toRgb8(Tensor.of(new float[]{x2, x2, x2}, 3, 1, 1));
            assertThat(px[0] & 0xFF).as("round(" + (k + 0.5f) + ")").isEqualTo(k);
        }
        assertThat(found).as("exact .5 cases found").isPositive();
    }

    /** A decoder output x whose (x·0.5 + 0.5)·255 is exactly {@code target} in float32, or null. */
    private static Float decoderValueGiving(float target) {
        float x = (target / 255f - 0.5f) * 2f;
        for (int i = 0; i < 64; i++, x = Math.nextUp(x)) {
            if (i == 0) for (int j = 0; j < 32; j++) x = Math.nextDown(x);
            if ((x * 0.5f + 0.5f) * 255f == target) return x;
        }
        return null;
    }

    @Test
    void bilinearResizeMatchesTorchOnKnownValues() {
        // 1x2 → 1x4, align_corners=False: src = max(0, 0.5·(d + 0.5) − 0.5) = 0, 0.25, 0.75, 1.25→clamped index 1.
        Tensor x = Tensor.of(new float[]{0f, 4f}, 1, 1, 2);
        Tensor y = VaeImages.resizeBilinear(x, 1, 4);
        assertThat(y.toFloatArray()).containsExactly(0f, 1f, 3f, 4f);
        Tensor same = VaeImages.resizeBilinear(Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 1, 2, 3), 2, 3);
        assertThat(same.toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
        byte[] rgb = VaeImages.postprocess(Tensor.zeros(3, 2, 3), 4, 6);
        assertThat(rgb).hasSize(4 * 6 * 3).containsOnly((byte) 128);
    }
}
