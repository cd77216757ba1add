package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;

/**
 * diffusers' UpDecoderBlock2D: {@code layers_per_block + 1} resnets (one more than the matching down block),
 * then an upsampler except at the last (full-resolution) level.
 */
final class UpBlock {
    private final ResnetBlock[] resnets;
    private final Upsample upsample;

    UpBlock(Weights w, int inChannels, int outChannels, int layers, int groups, boolean withUpsample, Arena packs) {
        resnets = ResnetBlock.stack(w, inChannels, outChannels, layers, groups, packs);
        upsample = withUpsample ? new Upsample(w.prefix("upsamplers").prefix(0), outChannels, packs) : null;
    }

    /** Frees each intermediate (and x, if the pass owns it) once the next stage has read it. */
    Tensor forward(Tensor x, Trace trace, Scratch scratch) {
        Tensor h = ResnetBlock.forward(resnets, x, trace, scratch);
        if (upsample != null) {
            Tensor next = upsample.forward(h, scratch);
            scratch.release(h);
            h = next;
            trace.record("upsamplers.0", h);
        }
        return h;
    }
}
