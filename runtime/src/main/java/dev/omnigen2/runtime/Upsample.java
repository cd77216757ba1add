package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/** Nearest-neighbour ×2 upsampling of x [C, H, W] → [C, 2H, 2W] (F32); a copy, bound by memory bandwidth. */
public final class Upsample {
    private Upsample() {}

    public static Tensor nearest2x(Tensor x) {
        if (x.rank() != 3 || x.dtype() != DType.F32) throw new IllegalArgumentException("upsample: x " + x + " must be F32 [C, H, W]");
        int c = x.size(0), h = x.size(1), w = x.size(2);
        Tensor out = Tensor.zeros(c, 2 * h, 2 * w);
        MemorySegment xs = x.data(), os = out.data();
        Parallel.forEach(c * h, t -> {
            float[] in = new float[w], wide = new float[2 * w];
            long src = (long) t * w;
            MemorySegment.copy(xs, Tensor.F32, src * 4, in, 0, w);
            for (int i = 0; i < w; i++) { wide[2 * i] = in[i]; wide[2 * i + 1] = in[i]; }
            int ch = t / h, y = t % h;
            long dst = ((long) ch * 2 * h + 2L * y) * 2 * w;
            MemorySegment.copy(wide, 0, os, Tensor.F32, dst * 4, 2 * w);
            MemorySegment.copy(wide, 0, os, Tensor.F32, (dst + 2L * w) * 4, 2 * w);
        });
        return out;
    }
}
