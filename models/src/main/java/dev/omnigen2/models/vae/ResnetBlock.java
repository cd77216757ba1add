package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.Elementwise;
import dev.omnigen2.runtime.GroupNormInput;
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

    ResnetBlock(Weights w, int inChannels, int outChannels, int groups, Arena packs) {
        this.groups = groups;
        this.outChannels = outChannels;
        norm1Weight = w.get("norm1.weight", inChannels);
        norm1Bias = w.get("norm1.bias", inChannels);
        conv1 = Conv2d.prepare(w.get("conv1.weight", outChannels, inChannels, 3, 3), w.get("conv1.bias", outChannels), packs);
        norm2Weight = w.get("norm2.weight", outChannels);
        norm2Bias = w.get("norm2.bias", outChannels);
        conv2 = Conv2d.prepare(w.get("conv2.weight", outChannels, outChannels, 3, 3), w.get("conv2.bias", outChannels), packs);
        shortcut = inChannels == outChannels ? null
                : Conv2d.prepare(w.get("conv_shortcut.weight", outChannels, inChannels, 1, 1), w.get("conv_shortcut.bias", outChannels), packs);
    }

    /** The {@code layers} resnets of one resolution level ({@code resnets.0 …}); the first maps inChannels to outChannels. */
    static ResnetBlock[] stack(Weights w, int inChannels, int outChannels, int layers, int groups, Arena packs) {
        ResnetBlock[] resnets = new ResnetBlock[layers];
        for (int j = 0; j < layers; j++)
            resnets[j] = new ResnetBlock(w.prefix("resnets").prefix(j), j == 0 ? inChannels : outChannels, outChannels, groups, packs);
        return resnets;
    }

    /** Runs a stack from {@link #stack}, freeing each intermediate (and x, if the pass owns it) once the next has read it. */
    static Tensor forward(ResnetBlock[] resnets, Tensor x, Trace trace, Scratch scratch) {
        Tensor h = x;
        for (int j = 0; j < resnets.length; j++) {
            Tensor next = resnets[j].forward(h, scratch);
            if (next != h) scratch.release(h);
            h = next;
            trace.record("resnets." + j, h);
        }
        return h;
    }

    /**
     * x [Cin, H, W] → [Cout, H, W], every buffer from {@code scratch}. Both GroupNorm + SiLU are applied by the
     * convolution that reads them ({@link Conv2d#forward(Tensor, GroupNormInput, Conv2d.Packed, int, int, int, int, int, boolean, Tensor)}),
     * and the second convolution adds its result onto the residual in place. When the pass owns x (the caller
     * frees it right after) and there is no shortcut, the result is written over x and returned, so two
     * activations of this resolution are alive at once (x and the hidden one); with a shortcut, three (x, the
     * shortcut's output, which becomes the result, and the hidden one), x freed as soon as it is read. A caller
     * must not free x when it is the result.
     */
    Tensor forward(Tensor x, Scratch scratch) {
        int h = x.size(1), w = x.size(2);
        Tensor out;
        if (shortcut != null) {
            out = scratch.allocate(outChannels, h, w);
            Conv2d.forward(x, shortcut, 1, 0, 0, 0, 0, out);
        } else {
            out = scratch.owns(x) ? x : scratch.allocate(outChannels, h, w);
        }
        GroupNormInput norm1 = Norms.groupNormInput(x, groups, norm1Weight, norm1Bias, FluxVaeConfig.NORM_EPS, true);
        Tensor hidden = scratch.allocate(outChannels, h, w);
        Conv2d.forward(x, norm1, conv1, 1, 1, 1, 1, 1, false, hidden);
        if (shortcut != null && scratch.owns(x)) scratch.release(x);
        GroupNormInput norm2 = Norms.groupNormInput(hidden, groups, norm2Weight, norm2Bias, FluxVaeConfig.NORM_EPS, true);
        if (out != x && shortcut == null) {
            // x belongs to the caller: out = x + conv2(…), added like the owned case (conv first, then x)
            Conv2d.forward(hidden, norm2, conv2, 1, 1, 1, 1, 1, false, out);
            Elementwise.add(out, x, out);
        } else {
            // out holds the residual (x itself, or the shortcut's output): out = conv2(…) + out
            Conv2d.forward(hidden, norm2, conv2, 1, 1, 1, 1, 1, true, out);
        }
        scratch.release(hidden);
        return out;
    }
}
