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
        if (x.rank() != 3) throw new IllegalArgumentException("patchify: x " + x + " must be [C, H, W]");
        Tensor out = Tensor.zeros((x.size(1) / Math.max(1, p)) * (x.size(2) / Math.max(1, p)), p * p * x.size(0));
        patchify(x, p, out, 0);
        return out;
    }

    /**
     * x [C, H, W] (any float dtype) → rows [rowOffset, rowOffset + (H/p)·(W/p)) of out [·, p·p·C] (F32): several
     * images packed into one token buffer.
     */
    public static void patchify(Tensor x, int p, Tensor out, int rowOffset) {
        if (x.rank() != 3) throw new IllegalArgumentException("patchify: x " + x + " must be [C, H, W]");
        int c = x.size(0), h = x.size(1), w = x.size(2);
        checkGrid("patchify", h, w, p);
        int gh = h / p, gw = w / p, f = p * p * c;
        checkTokens("patchify", out, rowOffset, gh * gw, f);
        Tensor xf = x.toF32();
        MemorySegment xs = xf.data(), os = out.data();
        Parallel.forEach(gh, row -> {
            float[] tok = new float[f];
            for (int col = 0; col < gw; col++) {
                for (int p1 = 0; p1 < p; p1++)
                    for (int p2 = 0; p2 < p; p2++)
                        for (int ch = 0; ch < c; ch++)
                            tok[(p1 * p + p2) * c + ch] = xs.getAtIndex(Tensor.F32, ((long) ch * h + row * p + p1) * w + col * p + p2);
                MemorySegment.copy(tok, 0, os, Tensor.F32, ((long) rowOffset + row * gw + col) * f * 4, f);
            }
        });
    }

    /** tokens [(H/p)·(W/p), p·p·C] → [C, H, W]. */
    public static Tensor unpatchify(Tensor tokens, int p, int c, int h, int w) {
        Tensor out = Tensor.zeros(c, h, w);
        unpatchify(tokens, 0, p, out);
        return out;
    }

    /** Rows [rowOffset, rowOffset + (H/p)·(W/p)) of tokens [·, p·p·C] → image [C, H, W] (F32, written in place). */
    public static void unpatchify(Tensor tokens, int rowOffset, int p, Tensor image) {
        if (image.rank() != 3 || image.dtype() != DType.F32)
            throw new IllegalArgumentException("unpatchify: image " + image + " must be F32 [C, H, W]");
        int c = image.size(0), h = image.size(1), w = image.size(2);
        checkGrid("unpatchify", h, w, p);
        int gh = h / p, gw = w / p, f = p * p * c;
        checkTokens("unpatchify", tokens, rowOffset, gh * gw, f);
        MemorySegment ts = tokens.data(), os = image.data();
        Parallel.forEach(gh, row -> {
            float[] tok = new float[f];
            for (int col = 0; col < gw; col++) {
                MemorySegment.copy(ts, Tensor.F32, ((long) rowOffset + row * gw + col) * f * 4, tok, 0, f);
                for (int p1 = 0; p1 < p; p1++)
                    for (int p2 = 0; p2 < p; p2++)
                        for (int ch = 0; ch < c; ch++)
                            os.setAtIndex(Tensor.F32, ((long) ch * h + row * p + p1) * w + col * p + p2, tok[(p1 * p + p2) * c + ch]);
            }
        });
    }

    private static void checkGrid(String op, int h, int w, int p) {
        if (p <= 0 || h % p != 0 || w % p != 0)
            throw new IllegalArgumentException(op + ": " + h + "x" + w + " is not a multiple of patch " + p);
    }

    private static void checkTokens(String op, Tensor tokens, int rowOffset, int rows, int f) {
        if (tokens.dtype() != DType.F32 || tokens.rank() != 2 || tokens.size(1) != f || rowOffset < 0
                || rowOffset + rows > tokens.size(0))
            throw new IllegalArgumentException(op + ": tokens " + tokens + " must be F32 [≥ " + (rowOffset + rows) + ", " + f + "]");
    }
}
