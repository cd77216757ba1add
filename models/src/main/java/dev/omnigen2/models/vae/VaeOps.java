package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The few element-wise and layout ops the VAE needs beyond the runtime kernels, on F32 activations of one
 * image laid out [C, H, W]: layout copies bound by memory bandwidth (the arithmetic ones use the runtime's
 * vectorised Elementwise / Conv2d.upsample2xSame).
 */
final class VaeOps {
    private VaeOps() {}

    /** GroupNorm with this VAE's groups and epsilon, optionally fused with SiLU, into a new tensor. */
    static Tensor groupNorm(Tensor x, int groups, Tensor weight, Tensor bias, boolean silu) {
        Tensor out = Tensor.zeros(x.shape());
        Norms.groupNorm(x, groups, weight, bias, FluxVaeConfig.NORM_EPS, silu, out);
        return out;
    }

    /** [R, C] → [C, R] (a contiguous copy), blocked so both sides are walked in cache-sized tiles. */
    static Tensor transpose(Tensor x) {
        Tensor out = Tensor.zeros(x.size(1), x.size(0));
        transpose(x, out);
        return out;
    }

    /** As {@link #transpose(Tensor)} into {@code out} [C, R] (F32, must not overlap x). */
    static void transpose(Tensor x, Tensor out) {
        requireF32(x, "transpose");
        int rows = x.size(0), cols = x.size(1);
        if (out.rank() != 2 || out.size(0) != cols || out.size(1) != rows || out.dtype() != x.dtype())
            throw new IllegalArgumentException("transpose: out " + out + " for " + x);
        MemorySegment src = x.data(), dst = out.data();
        final int block = 64;
        int rowBlocks = (rows + block - 1) / block;
        Parallel.forEach(rowBlocks, rb -> {
            int r0 = rb * block, r1 = Math.min(rows, r0 + block);
            for (int c0 = 0; c0 < cols; c0 += block) {
                int c1 = Math.min(cols, c0 + block);
                for (int r = r0; r < r1; r++)
                    for (int c = c0; c < c1; c++)
                        dst.setAtIndex(Tensor.F32, (long) c * rows + r, src.getAtIndex(Tensor.F32, (long) r * cols + c));
            }
        });
    }

    /** Rows [y0, y0+h) and columns [x0, x0+w) of every channel of [C, H, W], clipped to the tensor; a copy. */
    static Tensor crop(Tensor x, int y0, int x0, int h, int w) { return crop(x, y0, x0, h, w, null); }

    /** As {@link #crop(Tensor, int, int, int, int)}, the copy allocated in {@code arena} (null: collected). */
    static Tensor crop(Tensor x, int y0, int x0, int h, int w, Arena arena) {
        requireF32(x, "crop");
        int c = x.size(0), hh = x.size(1), ww = x.size(2);
        int h1 = Math.min(h, hh - y0), w1 = Math.min(w, ww - x0);
        Tensor out = arena == null ? Tensor.zeros(c, h1, w1) : Scratch.tensor(arena, c, h1, w1);
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h1; y++)
                MemorySegment.copy(x.data(), (((long) ch * hh + y0 + y) * ww + x0) * 4,
                        out.data(), ((long) ch * h1 + y) * w1 * 4, (long) w1 * 4);
        return out;
    }

    /** Copies all of {@code src} [C, h, w] into {@code dst} [C, H, W] with its top-left corner at (y0, x0). */
    static void paste(Tensor src, Tensor dst, int y0, int x0) {
        int c = src.size(0), h = src.size(1), w = src.size(2), hh = dst.size(1), ww = dst.size(2);
        if (dst.size(0) != c || y0 + h > hh || x0 + w > ww)
            throw new IllegalArgumentException("paste " + src + " at (" + y0 + ", " + x0 + ") into " + dst);
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h; y++)
                MemorySegment.copy(src.data(), ((long) ch * h + y) * w * 4,
                        dst.data(), (((long) ch * hh + y0 + y) * ww + x0) * 4, (long) w * 4);
    }

    static void requireF32(Tensor x, String op) {
        if (x.dtype() != DType.F32) throw new IllegalArgumentException(op + ": expected an F32 activation, got " + x);
    }
}
