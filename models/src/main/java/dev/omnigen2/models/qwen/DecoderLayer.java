package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Elementwise;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

/** One pre-norm decoder layer: x + attn(rmsnorm(x)), then x + mlp(rmsnorm(x)). */
final class DecoderLayer {
    private final int index;
    private final Tensor inputNorm, postAttentionNorm;
    private final TextAttention attention;
    private final TextMlp mlp;
    private final float eps;

    DecoderLayer(Weights w, Qwen25VlConfig c, int index) {
        this.index = index;
        inputNorm = w.get("input_layernorm.weight", c.hiddenSize());
        postAttentionNorm = w.get("post_attention_layernorm.weight", c.hiddenSize());
        attention = new TextAttention(w.prefix("self_attn"), c);
        mlp = new TextMlp(w.prefix("mlp"), c);
        eps = c.rmsNormEps();
    }

    /**
     * Updates the residual stream {@code x} [L, D] in place. For a prompt the layer's intermediates (megabytes) are
     * freed on return ({@link Tensor#scoped}); a decode step's are a few kilobytes, not worth closing a shared arena
     * for at every layer.
     */
    void forward(Tensor x, Tensor cos, Tensor sin, boolean[] keyValid, KvCache cache) {
        Runnable body = () -> {
            Tensor attended = attention.forward(Norms.rmsNorm(x, inputNorm, eps), cos, sin, keyValid, cache, index);
            addInPlace(x, attended);
            addInPlace(x, mlp.forward(Norms.rmsNorm(x, postAttentionNorm, eps)));
        };
        if (x.size(0) > SCOPED_ROWS) Tensor.scoped(body);
        else body.run();
    }

    /** Rows above which a layer frees its intermediates on return. */
    private static final int SCOPED_ROWS = 8;

    /** x += y for F32 tensors of equal size (the residual connection). */
    static void addInPlace(Tensor x, Tensor y) {
        if (x.dtype() != DType.F32 || y.dtype() != DType.F32 || x.numel() != y.numel())
            throw new IllegalArgumentException("residual add of " + x + " and " + y);
        Elementwise.add(x, y.reshape(x.shape()), x);
    }
}
