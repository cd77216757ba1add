package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.MemorySegment;

import static dev.omnigen2.runtime.Tensor.F32;

/**
 * Latent ↔ token conversion {@code c (h p1) (w p2) ↔ (h w) (p1 p2 c)}: token = row·(W/p) + col (row-major),
 * feature = (p1·p + p2)·C + c.
 */
final class Patches {
    private Patches() {}

    /** image [C, H, W] (any float dtype) → rows [rowOffset, rowOffset + (H/p)(W/p)) of out [·, p·p·C]. */
    static void patchify(Tensor image, int p, Tensor out, int rowOffset) {
        int c = image.size(0), h = image.size(1), w = image.size(2);
        int gw = w / p, feat = p * p * c;
        MemorySegment o = out.data();
        for (int row = 0; row < h / p; row++)
            for (int col = 0; col < gw; col++) {
                long base = (long) (rowOffset + row * gw + col) * feat;
                for (int p1 = 0; p1 < p; p1++)
                    for (int p2 = 0; p2 < p; p2++)
                        for (int ch = 0; ch < c; ch++)
                            o.setAtIndex(F32, base + (long) (p1 * p + p2) * c + ch,
                                    image.getFloat(((long) ch * h + row * p + p1) * w + col * p + p2));
            }
    }

    /** rows [rowOffset, rowOffset + (H/p)(W/p)) of tokens [·, p·p·C] → image [C, H, W] (F32, written in place). */
    static void unpatchify(Tensor tokens, int rowOffset, int p, Tensor image) {
        int c = image.size(0), h = image.size(1), w = image.size(2);
        int gw = w / p, feat = p * p * c;
        MemorySegment t = tokens.data(), im = image.data();
        for (int row = 0; row < h / p; row++)
            for (int col = 0; col < gw; col++) {
                long base = (long) (rowOffset + row * gw + col) * feat;
                for (int p1 = 0; p1 < p; p1++)
                    for (int p2 = 0; p2 < p; p2++)
                        for (int ch = 0; ch < c; ch++)
                            im.setAtIndex(F32, ((long) ch * h + row * p + p1) * w + col * p + p2,
                                    t.getAtIndex(F32, base + (long) (p1 * p + p2) * c + ch));
            }
    }
}
