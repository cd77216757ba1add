package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;


/**
 * Image [in_channels, H, W] in [-1, 1] → posterior moments [2·latent_channels, H/f, W/f] (mean, then raw
 * log-variance), f = 2^(levels−1): conv_in, one down block per level, mid block, GroupNorm + SiLU, conv_out.
 */
final class Encoder {
    private final FluxVaeConfig config;
    private final Tensor normOutWeight, normOutBias;
    private final Conv2d.Packed convIn, convOut;
    private final DownBlock[] downBlocks;
    private final MidBlock midBlock;

    Encoder(Weights w, FluxVaeConfig config, Arena packs) {
        this.config = config;
        int groups = config.normNumGroups(), levels = config.levels(), deepest = config.deepestChannels();
        convIn = Conv2d.prepare(w.get("conv_in.weight", config.channels(0), config.inChannels(), 3, 3), w.get("conv_in.bias", config.channels(0)), packs);
        downBlocks = new DownBlock[levels];
        for (int i = 0; i < levels; i++) {
            int in = config.channels(Math.max(0, i - 1)), out = config.channels(i);
            downBlocks[i] = new DownBlock(w.prefix("down_blocks").prefix(i), in, out, config.layersPerBlock(), groups,
                    i < levels - 1, packs);
        }
        midBlock = new MidBlock(w.prefix("mid_block"), deepest, groups, config.midBlockAddAttention(), packs);
        normOutWeight = w.get("conv_norm_out.weight", deepest);
        normOutBias = w.get("conv_norm_out.bias", deepest);
        convOut = Conv2d.prepare(w.get("conv_out.weight", 2 * config.latentChannels(), deepest, 3, 3), w.get("conv_out.bias", 2 * config.latentChannels()), packs);
    }

    Tensor forward(Tensor image, Trace trace) {
        if (image.rank() != 3 || image.size(0) != config.inChannels())
            throw new IllegalArgumentException("VAE encoder: expected an image [" + config.inChannels() + ", H, W], got " + image);
        // Every intermediate is freed once consumed (see Scratch); only the result is left to the collector.
        try (Scratch scratch = Scratch.forPass(trace)) {
            Tensor h = scratch.allocate(convIn.weight().size(0), image.size(1), image.size(2));
            Conv2d.forward(image, convIn, 1, 1, 1, 1, 1, h);
            trace.record("conv_in", h);
            for (int i = 0; i < downBlocks.length; i++) {
                h = downBlocks[i].forward(h, trace.under("down_blocks." + i), scratch);
                trace.record("down_blocks." + i, h);
            }
            h = midBlock.forward(h, trace.under("mid_block"), scratch);
            trace.record("mid_block", h);
            if (trace.active()) trace.record("conv_norm_out", VaeOps.groupNorm(h, config.normNumGroups(), normOutWeight, normOutBias, false));
            Tensor act = scratch.allocate(h.shape());
            Norms.groupNorm(h, config.normNumGroups(), normOutWeight, normOutBias, FluxVaeConfig.NORM_EPS, true, act);
            trace.record("conv_act", act);
            scratch.release(h);
            Tensor out = Conv2d.forward(act, convOut, 1, 1, 1, 1, 1);
            trace.record("conv_out", out);
            return out;
        }
    }
}
