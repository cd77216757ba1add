package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Qwen2.5-VL's language model: token embeddings (BF16 rows widened on lookup), the decoder layers, the final
 * RMSNorm, and logits through the tied embedding matrix (or {@code lm_head.weight} when a checkpoint has one).
 * Works on one sequence at a time; a padded batch is several calls with key-validity masks.
 */
public final class TextDecoder {
    private final Qwen25VlConfig config;
    private final Tensor embedTokens, finalNorm, lmHead;
    private final DecoderLayer[] layers;
    private final MultimodalRope rope;

    TextDecoder(Weights root, Qwen25VlConfig c) {
        this.config = c;
        Weights w = root.prefix("model");
        embedTokens = w.get("embed_tokens.weight", c.vocabSize(), c.hiddenSize());
        layers = new DecoderLayer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) layers[i] = new DecoderLayer(w.prefix("layers").prefix(i), c, i);
        finalNorm = w.get("norm.weight", c.hiddenSize());
        lmHead = root.has("lm_head.weight") ? root.get("lm_head.weight", c.vocabSize(), c.hiddenSize()) : embedTokens;
        rope = new MultimodalRope(c);
    }

    /** Embedding rows of {@code ids}: [L, D] F32. */
    public Tensor embed(int[] ids) {
        int d = config.hiddenSize();
        Tensor out = Tensor.zeros(ids.length, d);
        for (int t = 0; t < ids.length; t++) {
            int id = ids[t];
            if (id < 0 || id >= config.vocabSize())
                throw new IllegalArgumentException("token id " + id + " at index " + t + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            Tensor row = embedTokens.select0(id);
            if (row.dtype() == dev.omnigen2.runtime.DType.F32) MemorySegment.copy(row.data(), 0, out.data(), (long) t * d * Float.BYTES, (long) d * Float.BYTES);
            else for (int i = 0; i < d; i++) out.setFloat((long) t * d + i, row.getFloat(i));
        }
        return out;
    }

    /**
     * Runs the layers over new tokens.
     *
     * @param inputsEmbeds [L, D] embeddings of the new tokens (not modified)
     * @param positions    M-RoPE positions [3][L]
     * @param keyValid     validity of every key (cached + new; false = padding), or null when all are real
     * @param cache        the sequence's KV cache (advanced by L), or null
     * @param layerOutputs when not null, receives a copy of each layer's output (residual stream, before the final norm)
     * @return hidden states after the final norm, [L, D]
     */
    public Tensor forward(Tensor inputsEmbeds, int[][] positions, boolean[] keyValid, KvCache cache, List<Tensor> layerOutputs) {
        int len = inputsEmbeds.size(0);
        if (positions.length != 3 || positions[0].length != len)
            throw new IllegalArgumentException("positions must be [3][" + len + "]");
        int total = (cache == null ? 0 : cache.length()) + len;
        if (keyValid != null && keyValid.length != total)
            throw new IllegalArgumentException("keyValid has " + keyValid.length + " entries for " + total + " keys");
        Tensor[] cs = rope.tables(positions);
        Tensor x = inputsEmbeds.copy();
        for (DecoderLayer layer : layers) {
            layer.forward(x, cs[0], cs[1], keyValid, cache);
            if (layerOutputs != null) layerOutputs.add(x.copy());
        }
        if (cache != null) cache.advance(len);
        return Norms.rmsNorm(x, finalNorm, config.rmsNormEps());
    }

    /** Logits [L, vocab] of normed hidden states [L, D]. */
    public Tensor logits(Tensor hidden) { return Device.linear(hidden, lmHead, null); }

    /** An empty KV cache for one sequence of at most {@code capacity} tokens. */
    public KvCache newCache(int capacity) {
        return new KvCache(layers.length, capacity, config.numKvHeads() * config.headDim());
    }
}
