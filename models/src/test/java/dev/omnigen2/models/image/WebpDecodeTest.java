package dev.omnigen2.models.image;

import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** WebP through the ImageIO plugin: lossless files decode to the source pixels exactly. */
class WebpDecodeTest {
    private static byte[] resource(String name) throws IOException {
        try (InputStream in = WebpDecodeTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            return in.readAllBytes();
        }
    }

    @Test
    void losslessWebpEqualsItsPngSource() throws IOException {
        RgbImage png = ImageLoader.load(Golden.dir("image-processor").resolve("images/roundhalf_126x70.png"));
        RgbImage webp = ImageLoader.decode(resource("roundhalf_126x70_lossless.webp"), "lossless.webp");
        assertThat(webp.width()).isEqualTo(png.width());
        assertThat(webp.height()).isEqualTo(png.height());
        assertThat(webp.rgb()).containsExactly(png.rgb());
    }

    /**
     * The plugin upsamples chroma by pixel replication, like libwebp's {@code dwebp -nofancy}; PIL (libwebp
     * defaults) uses "fancy" bilinear upsampling, so lossy WebP is NOT bit-identical to PIL (up to ~40 levels at
     * colour edges). This pins down what the plugin does: close to the no-fancy reference.
     */
    @Test
    void lossyWebpMatchesLibwebpWithoutFancyUpsampling() throws IOException {
        RgbImage ref = ImageLoader.decode(resource("roundhalf_126x70_lossy_dwebp_nofancy.png"), "dwebp-nofancy.png");
        RgbImage webp = ImageLoader.decode(resource("roundhalf_126x70_lossy.webp"), "lossy.webp");
        assertThat(webp.width()).isEqualTo(ref.width());
        int max = 0, differing = 0;
        long sum = 0;
        for (int i = 0; i < ref.rgb().length; i++) {
            int d = Math.abs((webp.rgb()[i] & 0xFF) - (ref.rgb()[i] & 0xFF));
            max = Math.max(max, d);
            if (d != 0) differing++;
            sum += d;
        }
        System.out.println("lossy WebP vs libwebp 1.2.4 dwebp -nofancy: max |Δ| " + max + ", differing values " + differing + "/" + ref.rgb().length
                + ", mean |Δ| " + (double) sum / ref.rgb().length);
        assertThat(max).isLessThanOrEqualTo(8);
        assertThat((double) sum / ref.rgb().length).isLessThan(1.0);
    }
}
