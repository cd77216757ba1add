package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Attention;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Rope;
import dev.omnigen2.runtime.Tensor;

/**
 * Grouped-query self-attention of a decoder layer: q/k/v projections with biases, M-RoPE on q and k (after the
 * bias), keys and values appended to the KV cache, softmax(q·kᵀ/√hd + mask)·v, output projection without bias.
 */
final class TextAttention {
    private final Tensor wq, bq, wk, bk, wv, bv, wo;
    private final int heads, kvHeads, headDim;
    private final float scale;

    TextAttention(Weights w, Qwen25VlConfig c) {
        heads = c.numHeads();
        kvHeads = c.numKvHeads();
        headDim = c.headDim();
        int d = c.hiddenSize(), qDim = heads * headDim, kvDim = kvHeads * headDim;
        wq = w.get("q_proj.weight", qDim, d);
        bq = w.get("q_proj.bias", qDim);
        wk = w.get("k_proj.weight", kvDim, d);
        bk = w.get("k_proj.bias", kvDim);
        wv = w.get("v_proj.weight", kvDim, d);
        bv = w.get("v_proj.bias", kvDim);
        wo = w.get("o_proj.weight", d, qDim);
        scale = (float) (1.0 / Math.sqrt(headDim));
    }

    /**
     * @param x        normed hidden states [L, D] of the new tokens
     * @param cos      M-RoPE table [L, hd] (and sin)
     * @param keyValid validity of every key (cached + new), or null
     * @param cache    the sequence's cache (may be null for a cache-free forward)
     */
    Tensor forward(Tensor x, Tensor cos, Tensor sin, boolean[] keyValid, KvCache cache, int layer) {
        Tensor[] qkv = Device.linearAll(x, new Tensor[] {wq, wk, wv}, new Tensor[] {bq, bk, bv});
        Tensor q = qkv[0], k = qkv[1], v = qkv[2];
        Rope.rotateHalf(q, cos, sin, heads, headDim);
        Rope.rotateHalf(k, cos, sin, kvHeads, headDim);
        int past = 0;
        if (cache != null) {
            past = cache.length();
            Tensor[] kv = cache.append(layer, k, v);
            k = kv[0];
            v = kv[1];
        }
        Attention.Mask mask = new Attention.Mask(true, past, keyValid, null);
        Tensor context = Attention.forward(q, k, v, heads, kvHeads, headDim, scale, mask);
        return Device.linear(context, wo, null);
    }
}
