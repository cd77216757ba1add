package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;

/**
 * Pixels in and out of the VAE as the OmniGen2 pipeline converts them (diffusers VaeImageProcessor):
 * 8-bit RGB (interleaved, row-major, H×W×3) → [3, H, W] in [−1, 1]; decoder output → [0, 1] → 8-bit RGB; and
 * torch's bilinear resize that stretches a decoded image back to a requested size. Resizing of input images
 * (LANCZOS, multiples of 16) belongs to the pipeline's image processor, not here.
 */
public final class VaeImages {
    private VaeImages() {}

    /** {@code 2·(u8 / 255) − 1} per channel, as float32 steps; {@code rgb} holds H·W·3 bytes. */
    public static Tensor fromRgb8(byte[] rgb, int height, int width) {
        if (height <= 0 || width <= 0 || rgb.length != 3L * height * width)
            throw new IllegalArgumentException("VAE image: " + rgb.length + " bytes for an RGB image of " + height + "x" + width
                    + " (expected " + 3L * height * width + ")");
        Tensor out = Tensor.zeros(3, height, width);
        long plane = (long) height * width;
        for (long p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++) {
                float unit = (rgb[(int) (p * 3 + c)] & 0xFF) / 255f;
                out.setFloat(c * plane + p, 2f * unit - 1f);
            }
        return out;
    }

    /** {@code clamp(x·0.5 + 0.5, 0, 1)}: decoder output [C, H, W] → [0, 1] (postprocess output_type "pt"). */
    public static Tensor toUnitRange(Tensor image) {
        Tensor out = Tensor.zeros(image.shape());
        for (long i = 0; i < image.numel(); i++) {
            float v = image.getFloat(i) * 0.5f + 0.5f;
            out.setFloat(i, Math.min(1f, Math.max(0f, v)));
        }
        return out;
    }

    /**
     * Decoder output [3, H, W] → H·W·3 bytes of RGB: {@link #toUnitRange}, ×255, rounded half-to-even as numpy
     * does ({@code Math.rint}, not {@code Math.round}).
     */
    public static byte[] toRgb8(Tensor image) {
        if (image.rank() != 3 || image.size(0) != 3)
            throw new IllegalArgumentException("VAE image: expected [3, H, W], got " + image);
        Tensor unit = toUnitRange(image);
        int h = image.size(1), w = image.size(2);
        long plane = (long) h * w;
        byte[] rgb = new byte[(int) (3 * plane)];
        for (long p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                rgb[(int) (p * 3 + c)] = (byte) (int) Math.rint(unit.getFloat(c * plane + p) * 255f);
        return rgb;
    }

    /**
     * The pipeline's last step: stretch the decoded image to the requested size when it differs (bilinear,
     * see {@link #resizeBilinear}), then convert to RGB bytes.
     */
    public static byte[] postprocess(Tensor decoded, int height, int width) {
        Tensor sized = decoded.size(1) == height && decoded.size(2) == width ? decoded : resizeBilinear(decoded, height, width);
        return toRgb8(sized);
    }

    /**
     * torch's {@code F.interpolate(x, size, mode="bilinear", align_corners=False)} without antialiasing, per
     * channel of [C, H, W], in float32: source coordinate {@code max(0, (in/out)·(dst + 0.5) − 0.5)}, the two
     * nearest source pixels weighted by distance, separable in H and W.
     */
    public static Tensor resizeBilinear(Tensor x, int outH, int outW) {
        if (x.rank() != 3 || outH <= 0 || outW <= 0)
            throw new IllegalArgumentException("bilinear resize: [C, H, W] to a positive size, got " + x + " to " + outH + "x" + outW);
        int c = x.size(0), inH = x.size(1), inW = x.size(2);
        Axis ys = new Axis(inH, outH), xs = new Axis(inW, outW);
        Tensor out = Tensor.zeros(c, outH, outW);
        Parallel.forEach(c, ch -> {
            long in = (long) ch * inH * inW, o = (long) ch * outH * outW;
            for (int oy = 0; oy < outH; oy++) {
                long r0 = in + (long) ys.i0[oy] * inW, r1 = in + (long) ys.i1[oy] * inW;
                for (int ox = 0; ox < outW; ox++) {
                    float top = xs.l0[ox] * x.getFloat(r0 + xs.i0[ox]) + xs.l1[ox] * x.getFloat(r0 + xs.i1[ox]);
                    float bottom = xs.l0[ox] * x.getFloat(r1 + xs.i0[ox]) + xs.l1[ox] * x.getFloat(r1 + xs.i1[ox]);
                    out.setFloat(o + (long) oy * outW + ox, ys.l0[oy] * top + ys.l1[oy] * bottom);
                }
            }
        });
        return out;
    }

    /** Source indices and weights of one axis of a bilinear resize. */
    private static final class Axis {
        final int[] i0, i1;
        final float[] l0, l1;

        Axis(int in, int out) {
            i0 = new int[out];
            i1 = new int[out];
            l0 = new float[out];
            l1 = new float[out];
            float scale = (float) in / out;
            for (int d = 0; d < out; d++) {
                float src = Math.max(0f, scale * (d + 0.5f) - 0.5f);
                int lo = (int) src;
                i0[d] = lo;
                i1[d] = lo + (lo < in - 1 ? 1 : 0);
                l1[d] = src - lo;
                l0[d] = 1f - l1[d];
            }
        }
    }
}
