package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;


/**
 * Latent [latent_channels, h, w] → image [out_channels, h·f, w·f], unclamped: conv_in, mid block, one up block
 * per level from the lowest resolution up ({@code up_blocks.0} is the deepest level, so channels run through
 * block_out_channels reversed), GroupNorm + SiLU, conv_out.
 */
final class Decoder {
    private final FluxVaeConfig config;
    private final Tensor normOutWeight, normOutBias;
    private final Conv2d.Packed convIn, convOut;
    private final MidBlock midBlock;
    private final UpBlock[] upBlocks;

    Decoder(Weights w, FluxVaeConfig config, Arena packs) {
        this.config = config;
        int groups = config.normNumGroups(), levels = config.levels(), deepest = config.deepestChannels();
        convIn = Conv2d.prepare(w.get("conv_in.weight", deepest, config.latentChannels(), 3, 3), w.get("conv_in.bias", deepest), packs);
        midBlock = new MidBlock(w.prefix("mid_block"), deepest, groups, config.midBlockAddAttention(), packs);
        upBlocks = new UpBlock[levels];
        int in = deepest;
        for (int i = 0; i < levels; i++) {
            int out = config.channels(levels - 1 - i);
            upBlocks[i] = new UpBlock(w.prefix("up_blocks").prefix(i), in, out, config.layersPerBlock() + 1, groups,
                    i < levels - 1, packs);
            in = out;
        }
        normOutWeight = w.get("conv_norm_out.weight", config.channels(0));
        normOutBias = w.get("conv_norm_out.bias", config.channels(0));
        convOut = Conv2d.prepare(w.get("conv_out.weight", config.outChannels(), config.channels(0), 3, 3), w.get("conv_out.bias", config.outChannels()), packs);
    }

    Tensor forward(Tensor latent, Trace trace) {
        if (latent.rank() != 3 || latent.size(0) != config.latentChannels())
            throw new IllegalArgumentException("VAE decoder: expected a latent [" + config.latentChannels() + ", h, w], got " + latent);
        // Every intermediate is freed once consumed (see Scratch); only the result is left to the collector.
        try (Scratch scratch = Scratch.forPass(trace)) {
            Tensor h = scratch.allocate(convIn.weight().size(0), latent.size(1), latent.size(2));
            Conv2d.forward(latent, convIn, 1, 1, 1, 1, 1, h);
            trace.record("conv_in", h);
            h = midBlock.forward(h, trace.under("mid_block"), scratch);
            trace.record("mid_block", h);
            for (int i = 0; i < upBlocks.length; i++) {
                h = upBlocks[i].forward(h, trace.under("up_blocks." + i), scratch);
                trace.record("up_blocks." + i, h);
            }
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
