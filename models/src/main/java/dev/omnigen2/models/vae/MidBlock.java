package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;

/** diffusers' UNetMidBlock2D at the lowest resolution: resnet, self-attention (optional), resnet. */
final class MidBlock {
    private final ResnetBlock first, second;
    private final MidBlockAttention attention;

    MidBlock(Weights w, int channels, int groups, boolean withAttention, Arena packs) {
        first = new ResnetBlock(w.prefix("resnets").prefix(0), channels, channels, groups, packs);
        attention = withAttention ? new MidBlockAttention(w.prefix("attentions").prefix(0), channels, groups) : null;
        second = new ResnetBlock(w.prefix("resnets").prefix(1), channels, channels, groups, packs);
    }

    /** Frees each intermediate (and x, if the pass owns it) once the next stage has read it. */
    Tensor forward(Tensor x, Trace trace, Scratch scratch) {
        Tensor h = first.forward(x, scratch);
        if (h != x) scratch.release(x);
        trace.record("resnets.0", h);
        if (attention != null) {
            Tensor next = attention.forward(h, scratch);
            scratch.release(h);
            h = next;
            trace.record("attentions.0", h);
        }
        Tensor next = second.forward(h, scratch);
        if (next != h) scratch.release(h);
        h = next;
        trace.record("resnets.1", h);
        return h;
    }
}
