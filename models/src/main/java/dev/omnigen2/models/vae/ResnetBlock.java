package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.Elementwise;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;

/**
 * diffusers' ResnetBlock2D without time embedding:
 * {@code out = shortcut(x) + conv2(silu(norm2(conv1(silu(norm1(x))))))}, where the shortcut is a 1×1
 * convolution only when the block changes the channel count.
 */
final class ResnetBlock {
    private final int groups;
    private final int outChannels;
    private final Tensor norm1Weight, norm1Bias, norm2Weight, norm2Bias;
    private final Conv2d.Packed conv1, conv2, shortcut;

    ResnetBlock(Weights w, int inChannels, int outChannels, int groups) {
        this.groups = groups;
        this.outChannels = outChannels;
        norm1Weight = w.get("norm1.weight", inChannels);
        norm1Bias = w.get("norm1.bias", inChannels);
        conv1 = Conv2d.prepare(w.get("conv1.weight", outChannels, inChannels, 3, 3), w.get("conv1.bias", outChannels));
        norm2Weight = w.get("norm2.weight", outChannels);
        norm2Bias = w.get("norm2.bias", outChannels);
        conv2 = Conv2d.prepare(w.get("conv2.weight", outChannels, outChannels, 3, 3), w.get("conv2.bias", outChannels));
        shortcut = inChannels == outChannels ? null
                : Conv2d.prepare(w.get("conv_shortcut.weight", outChannels, inChannels, 1, 1), w.get("conv_shortcut.bias", outChannels));
    }

    /**
     * x [Cin, H, W] → [Cout, H, W]. The two intermediates live in a scratch arena freed when the block returns
     * (not left to the garbage collector); the second norm runs in place.
     */
    Tensor forward(Tensor x, Scratch scratch) {
        Tensor out = scratch.allocate(outChannels, x.size(1), x.size(2));
        forward(x, out);
        return out;
    }

    /** As above into {@code out} [Cout, H, W]. */
    void forward(Tensor x, Tensor out) {
        int h = x.size(1), w = x.size(2);
        try (Arena arena = Arena.ofShared()) {
            Tensor normed = Scratch.tensor(arena, x.size(0), h, w);
            Norms.groupNorm(x, groups, norm1Weight, norm1Bias, FluxVaeConfig.NORM_EPS, true, normed);
            Tensor hidden = Scratch.tensor(arena, outChannels, h, w);
            Conv2d.forward(normed, conv1, 1, 1, 1, 1, 1, hidden);
            Norms.groupNorm(hidden, groups, norm2Weight, norm2Bias, FluxVaeConfig.NORM_EPS, true, hidden);
            Conv2d.forward(hidden, conv2, 1, 1, 1, 1, 1, out);
            Tensor residual = x;
            if (shortcut != null) {
                residual = hidden; // free again after conv2
                Conv2d.forward(x, shortcut, 1, 0, 0, 0, 0, residual);
            }
            Elementwise.add(out, residual, out);
        }
    }
}
