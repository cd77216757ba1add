package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;

/**
 * Halves the resolution with a 3×3 stride-2 convolution after padding one zero row at the bottom and one zero
 * column at the right only (upstream pads (0, 1, 0, 1) and convolves without padding). A symmetric padding
 * would shift every window by one pixel. Each side n becomes floor(n / 2).
 */
final class Downsample {
    private final Conv2d.Packed conv;

    Downsample(Weights w, int channels, Arena packs) {
        conv = Conv2d.prepare(w.get("conv.weight", channels, channels, 3, 3), w.get("conv.bias", channels), packs);
    }

    Tensor forward(Tensor x, Scratch scratch) {
        if (x.size(1) < 2 || x.size(2) < 2)
            throw new IllegalArgumentException("downsample: input " + x + " is smaller than 2x2");
        Tensor out = scratch.allocate(conv.weight().size(0), x.size(1) / 2, x.size(2) / 2);
        Conv2d.forward(x, conv, 2, 0, 0, 1, 1, out);
        return out;
    }
}
