package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Attention;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Elementwise;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

/**
 * The mid block's self-attention over all H·W positions: one head as wide as the channels, GroupNorm in front
 * (eps 1e-6 like every norm of this VAE), linear q/k/v/out projections with bias, and a residual connection.
 * Positions are tokens in row-major order (n = y·W + x). The runtime attention streams over keys, so the
 * [H·W, H·W] score matrix (1 GiB for a 1024² image) never exists.
 */
final class MidBlockAttention {
    private final int channels, groups;
    private final Tensor normWeight, normBias;
    private final Tensor qWeight, qBias, kWeight, kBias, vWeight, vBias, outWeight, outBias;

    MidBlockAttention(Weights w, int channels, int groups) {
        this.channels = channels;
        this.groups = groups;
        normWeight = w.get("group_norm.weight", channels);
        normBias = w.get("group_norm.bias", channels);
        qWeight = w.get("to_q.weight", channels, channels);
        qBias = w.get("to_q.bias", channels);
        kWeight = w.get("to_k.weight", channels, channels);
        kBias = w.get("to_k.bias", channels);
        vWeight = w.get("to_v.weight", channels, channels);
        vBias = w.get("to_v.bias", channels);
        outWeight = w.get("to_out.0.weight", channels, channels);
        outBias = w.get("to_out.0.bias", channels);
    }

    /**
     * x [C, H, W] → x + attention(x), same shape, every buffer from {@code scratch} and each intermediate freed as
     * soon as it is consumed (at 1024² px the mid block works on 16,384 tokens: 32 MiB per intermediate).
     */
    Tensor forward(Tensor x, Scratch scratch) {
        int h = x.size(1), w = x.size(2), n = h * w;
        Tensor normed = scratch.allocate(channels, h, w);
        Norms.groupNorm(x, groups, normWeight, normBias, FluxVaeConfig.NORM_EPS, false, normed);
        Tensor tokens = scratch.allocate(n, channels);
        VaeOps.transpose(normed.reshape(channels, n), tokens);
        scratch.release(normed);
        Tensor q = scratch.allocate(n, channels), k = scratch.allocate(n, channels), v = scratch.allocate(n, channels);
        Device.linear(tokens, qWeight, qBias, q);
        Device.linear(tokens, kWeight, kBias, k);
        Device.linear(tokens, vWeight, vBias, v);
        scratch.release(tokens);
        float scale = (float) (1.0 / Math.sqrt(channels));
        Tensor attended = scratch.allocate(n, channels);
        Attention.forward(q, k, v, attended, 1, 1, channels, scale, Attention.Mask.NONE);
        scratch.release(q);
        scratch.release(k);
        scratch.release(v);
        Tensor projected = scratch.allocate(n, channels);
        Device.linear(attended, outWeight, outBias, projected);
        scratch.release(attended);
        Tensor out = scratch.allocate(channels, h, w);
        VaeOps.transpose(projected, out.reshape(channels, n));
        scratch.release(projected);
        Elementwise.add(out, x, out);
        return out;
    }
}
