package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.Tensor;

/**
 * diffusers' ResnetBlock2D without time embedding:
 * {@code out = shortcut(x) + conv2(silu(norm2(conv1(silu(norm1(x))))))}, where the shortcut is a 1×1
 * convolution only when the block changes the channel count.
 */
final class ResnetBlock {
    private final int groups;
    private final Tensor norm1Weight, norm1Bias, conv1Weight, conv1Bias;
    private final Tensor norm2Weight, norm2Bias, conv2Weight, conv2Bias;
    private final Tensor shortcutWeight, shortcutBias;

    ResnetBlock(Weights w, int inChannels, int outChannels, int groups) {
        this.groups = groups;
        norm1Weight = w.get("norm1.weight", inChannels);
        norm1Bias = w.get("norm1.bias", inChannels);
        conv1Weight = w.get("conv1.weight", outChannels, inChannels, 3, 3);
        conv1Bias = w.get("conv1.bias", outChannels);
        norm2Weight = w.get("norm2.weight", outChannels);
        norm2Bias = w.get("norm2.bias", outChannels);
        conv2Weight = w.get("conv2.weight", outChannels, outChannels, 3, 3);
        conv2Bias = w.get("conv2.bias", outChannels);
        if (inChannels != outChannels) {
            shortcutWeight = w.get("conv_shortcut.weight", outChannels, inChannels, 1, 1);
            shortcutBias = w.get("conv_shortcut.bias", outChannels);
        } else {
            shortcutWeight = null;
            shortcutBias = null;
        }
    }

    /** x [Cin, H, W] → [Cout, H, W]. */
    Tensor forward(Tensor x) {
        Tensor h = VaeOps.groupNorm(x, groups, norm1Weight, norm1Bias, true);
        h = Conv2d.same(h, conv1Weight, conv1Bias);
        h = VaeOps.groupNorm(h, groups, norm2Weight, norm2Bias, true);
        h = Conv2d.same(h, conv2Weight, conv2Bias);
        Tensor residual = shortcutWeight == null ? x : Conv2d.forward(x, shortcutWeight, shortcutBias, 1, 0, 0, 0, 0);
        VaeOps.addInPlace(h, residual);
        return h;
    }
}
