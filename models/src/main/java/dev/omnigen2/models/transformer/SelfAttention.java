package dev.omnigen2.models.transformer;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Attention;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Rope;
import dev.omnigen2.runtime.Tensor;

/**
 * A block's attention ({@code attn.*}): bias-free q/k/v projections, RMSNorm of every q and k head over head_dim
 * (one weight shared by all heads), Omni-RoPE on interleaved pairs after that norm, grouped-query attention within
 * each packed segment (query head h reads kv head h / (H/KVH)), heads concatenated head-major, {@code to_out.0}.
 */
final class SelfAttention {
    /** Upstream builds the q/k norms with a fixed eps, independent of norm_eps. */
    private static final float QK_NORM_EPS = 1e-5f;

    private final Tensor toQ, toK, toV, toOut, normQ, normK;
    private final int heads, kvHeads, headDim;
    private final float scale;

    private SelfAttention(Tensor toQ, Tensor toK, Tensor toV, Tensor toOut, Tensor normQ, Tensor normK,
                          int heads, int kvHeads, int headDim) {
        this.toQ = toQ;
        this.toK = toK;
        this.toV = toV;
        this.toOut = toOut;
        this.normQ = normQ;
        this.normK = normK;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    static SelfAttention bind(Weights w, OmniGen2TransformerConfig c) {
        int d = c.hiddenSize(), hd = c.headDim(), h = c.numAttentionHeads(), kv = c.numKvHeads();
        return new SelfAttention(w.get("to_q.weight", h * hd, d), w.get("to_k.weight", kv * hd, d),
                w.get("to_v.weight", kv * hd, d), w.get("to_out.0.weight", d, h * hd),
                w.get("norm_q.weight", hd), w.get("norm_k.weight", hd), h, kv, hd);
    }

    /** h [T, D] packed → attention output [T, D] (a workspace buffer valid until the next block call). */
    Tensor forward(Tensor h, Packing packing, OmniRope.Tables rope, Workspace ws) {
        int t = h.size(0);
        Tensor q = ws.f32("attn.q", t, heads * headDim);
        Tensor k = ws.f32("attn.k", t, kvHeads * headDim);
        Tensor v = ws.f32("attn.v", t, kvHeads * headDim);
        long mark = StageTimes.start();
        Device.linear(h, toQ, null, q);
        Device.linear(h, toK, null, k);
        Device.linear(h, toV, null, v);
        mark = StageTimes.lap(StageTimes.Stage.QKV, mark);
        Tensor qHeads = q.reshape(t * heads, headDim), kHeads = k.reshape(t * kvHeads, headDim);
        Norms.rmsNorm(qHeads, normQ, QK_NORM_EPS, qHeads);
        Norms.rmsNorm(kHeads, normK, QK_NORM_EPS, kHeads);
        Rope.interleaved(q, rope.cos(), rope.sin(), heads, headDim);
        Rope.interleaved(k, rope.cos(), rope.sin(), kvHeads, headDim);
        mark = StageTimes.lap(StageTimes.Stage.QK_NORM_ROPE, mark);
        Tensor context = ws.f32("attn.context", t, heads * headDim);
        Attention.forward(q, k, v, context, heads, kvHeads, headDim, scale, Attention.Mask.segments(packing.cuSeqlens()));
        mark = StageTimes.lap(StageTimes.Stage.ATTENTION, mark);
        Tensor out = ws.f32("attn.out", t, toOut.size(0));
        Device.linear(context, toOut, null, out);
        StageTimes.lap(StageTimes.Stage.OUT_PROJECTION, mark);
        return out;
    }
}
