package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;

/** Doubles the resolution: nearest-neighbour ×2, then a 3×3 convolution with padding 1. */
final class Upsample {
    private final int channels;
    private final Conv2d.Packed conv;

    Upsample(Weights w, int channels, Arena packs) {
        this.channels = channels;
        conv = Conv2d.prepare(w.get("conv.weight", channels, channels, 3, 3), w.get("conv.bias", channels), packs);
    }

    /** The convolution reads the upsampled input on the fly: the 4×-sized copy is never materialised. */
    Tensor forward(Tensor x, Scratch scratch) {
        Tensor out = scratch.allocate(channels, 2 * x.size(1), 2 * x.size(2));
        Conv2d.upsample2xSame(x, conv, out);
        return out;
    }
}
