package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;

/** diffusers' DownEncoderBlock2D: {@code layers_per_block} resnets, then a downsampler except at the last level. */
final class DownBlock {
    private final ResnetBlock[] resnets;
    private final Downsample downsample;

    DownBlock(Weights w, int inChannels, int outChannels, int layers, int groups, boolean withDownsample, Arena packs) {
        resnets = ResnetBlock.stack(w, inChannels, outChannels, layers, groups, packs);
        downsample = withDownsample ? new Downsample(w.prefix("downsamplers").prefix(0), outChannels, packs) : null;
    }

    /** Frees each intermediate (and x, if the pass owns it) once the next stage has read it. */
    Tensor forward(Tensor x, Trace trace, Scratch scratch) {
        Tensor h = ResnetBlock.forward(resnets, x, trace, scratch);
        if (downsample != null) {
            Tensor next = downsample.forward(h, scratch);
            scratch.release(h);
            h = next;
            trace.record("downsamplers.0", h);
        }
        return h;
    }
}
