package dev.omnigen2.models.pipeline;

import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.runtime.Tensor;

/**
 * The last two stages of the pipeline: the bilinear stretch back to the requested size and the conversion of
 * the decoder's [-1, 1] output to 8-bit RGB, both bit-exact with torch ≥ 2 on CPU and numpy.
 */
public final class OutputImages {
    private OutputImages() {}

    /**
     * {@code F.interpolate(x, size=(outH, outW), mode='bilinear', align_corners=False)} for x [C, H, W] (or
     * [1, C, H, W]) as torch ≥ 2's CPU kernel computes it: source coordinates in float32 and FMAs in the blend.
     * Identity when the size is unchanged.
     */
    public static Tensor resizeBilinear(Tensor x, int outH, int outW) {
        Tensor img = x.rank() == 4 ? x.select0(0) : x;
        int c = img.size(0), h = img.size(1), w = img.size(2);
        if (h == outH && w == outW) return img;
        Axis ay = Axis.of(h, outH), ax = Axis.of(w, outW);
        float[] src = img.toFloatArray();
        float[] out = new float[c * outH * outW];
        for (int ch = 0; ch < c; ch++) {
            int base = ch * h * w;
            for (int oy = 0; oy < outH; oy++) {
                int r0 = base + ay.i0[oy] * w, r1 = base + ay.i1[oy] * w;
                for (int ox = 0; ox < outW; ox++) {
                    float top = Math.fma(src[r0 + ax.i1[ox]], ax.l1[ox], src[r0 + ax.i0[ox]] * ax.l0[ox]);
                    float bottom = Math.fma(src[r1 + ax.i1[ox]], ax.l1[ox], src[r1 + ax.i0[ox]] * ax.l0[ox]);
                    out[(ch * outH + oy) * outW + ox] = Math.fma(bottom, ay.l1[oy], top * ay.l0[oy]);
                }
            }
        }
        return Tensor.of(out, c, outH, outW);
    }

    /** Source indices and weights of one axis. */
    private record Axis(int[] i0, int[] i1, float[] l0, float[] l1) {
        static Axis of(int in, int out) {
            int[] i0 = new int[out], i1 = new int[out];
            float[] l0 = new float[out], l1 = new float[out];
            float scale = (float) in / out;
            for (int d = 0; d < out; d++) {
                if (in == out) { i0[d] = d; i1[d] = d; l0[d] = 1; continue; }
                float src = Math.max(scale * ((float) d + 0.5f) - 0.5f, 0f);
                int a = Math.min((int) src, in - 1);
                i0[d] = a;
                i1[d] = a + (a < in - 1 ? 1 : 0);
                float l = Math.min(Math.max(src - a, 0f), 1f);
                l1[d] = l;
                l0[d] = 1f - l;
            }
            return new Axis(i0, i1, l0, l1);
        }
    }

    /** {@code (x·0.5 + 0.5)} clamped to [0, 1], NHWC, as the pipeline's postprocess computes it. */
    public static float[] toUnitHwc(Tensor chw) {
        Tensor img = chw.rank() == 4 ? chw.select0(0) : chw;
        int c = img.size(0), h = img.size(1), w = img.size(2);
        float[] src = img.toFloatArray();
        float[] out = new float[h * w * c];
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < h * w; i++)
                out[i * c + ch] = Math.min(Math.max(src[ch * h * w + i] * 0.5f + 0.5f, 0f), 1f);
        return out;
    }

    /** The returned image: {@code rint(v·255)} of {@link #toUnitHwc} (round half to even, as numpy). */
    public static RgbImage toRgb(Tensor chw) {
        Tensor img = chw.rank() == 4 ? chw.select0(0) : chw;
        if (img.size(0) != 3) throw new IllegalArgumentException("expected a 3-channel image, got " + chw);
        float[] unit = toUnitHwc(img);
        byte[] rgb = new byte[unit.length];
        for (int i = 0; i < unit.length; i++) rgb[i] = (byte) (int) Math.rint(unit[i] * 255f);
        return new RgbImage(img.size(2), img.size(1), rgb);
    }
}
