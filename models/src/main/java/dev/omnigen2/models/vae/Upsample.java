package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.Tensor;

/** Doubles the resolution: nearest-neighbour ×2, then a 3×3 convolution with padding 1. */
final class Upsample {
    private final Tensor weight, bias;

    Upsample(Weights w, int channels) {
        weight = w.get("conv.weight", channels, channels, 3, 3);
        bias = w.get("conv.bias", channels);
    }

    Tensor forward(Tensor x) {
        return Conv2d.same(VaeOps.upsampleNearest2x(x), weight, bias);
    }
}
