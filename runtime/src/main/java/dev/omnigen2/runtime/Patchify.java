package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * Patchify {@code c (h p1) (w p2) -> (h w) (p1 p2 c)} and its inverse, as OmniGen2 tokenises latents: token
 * index row·(W/p) + col, feature index (p1·p + p2)·C + c. Pure data movement (F32).
 *
 * <p>The Qwen2.5-VL 3-D patch embedding (Conv3d with stride = kernel) needs no kernel of its own: its input rows
 * are already flattened patches, so it is {@link Linear#forward} with the weight viewed as [out, C·T·p·p].
 */
public final class Patchify {
    private Patchify() {}

    /** x [C, H, W] → [(H/p)·(W/p), p·p·C]. */
    public static Tensor patchify(Tensor x, int p) {
        if (x.rank() != 3 || x.dtype() != DType.F32) throw new IllegalArgumentException("patchify: x " + x + " must be F32 [C, H, W]");
        int c = x.size(0), h = x.size(1), w = x.size(2);
        if (p <= 0 || h % p != 0 || w % p != 0)
            throw new IllegalArgumentException("patchify: " + h + "x" + w + " is not a multiple of patch " + p);
        int gh = h / p, gw = w / p, f = p * p * c;
        Tensor out = Tensor.zeros(gh * gw, f);
        MemorySegment xs = x.data(), os = out.data();
        Parallel.forEach(gh, row -> {
            float[] tok = new float[f];
            for (int col = 0; col < gw; col++) {
                for (int p1 = 0; p1 < p; p1++)
                    for (int p2 = 0; p2 < p; p2++)
                        for (int ch = 0; ch < c; ch++)
                            tok[(p1 * p + p2) * c + ch] = xs.getAtIndex(Tensor.F32, ((long) ch * h + row * p + p1) * w + col * p + p2);
                MemorySegment.copy(tok, 0, os, Tensor.F32, ((long) row * gw + col) * f * 4, f);
            }
        });
        return out;
    }

    /** tokens [(H/p)·(W/p), p·p·C] → [C, H, W]. */
    public static Tensor unpatchify(Tensor tokens, int p, int c, int h, int w) {
        if (p <= 0 || h % p != 0 || w % p != 0)
            throw new IllegalArgumentException("unpatchify: " + h + "x" + w + " is not a multiple of patch " + p);
        int gh = h / p, gw = w / p, f = p * p * c;
        if (tokens.dtype() != DType.F32 || tokens.numel() != (long) gh * gw * f)
            throw new IllegalArgumentException("unpatchify: tokens " + tokens + " must be F32 [" + gh * gw + ", " + f + "]");
        Tensor out = Tensor.zeros(c, h, w);
        MemorySegment ts = tokens.data(), os = out.data();
        Parallel.forEach(gh, row -> {
            float[] tok = new float[f];
            for (int col = 0; col < gw; col++) {
                MemorySegment.copy(ts, Tensor.F32, ((long) row * gw + col) * f * 4, tok, 0, f);
                for (int p1 = 0; p1 < p; p1++)
                    for (int p2 = 0; p2 < p; p2++)
                        for (int ch = 0; ch < c; ch++)
                            os.setAtIndex(Tensor.F32, ((long) ch * h + row * p + p1) * w + col * p + p2, tok[(p1 * p + p2) * c + ch]);
            }
        });
        return out;
    }
}
