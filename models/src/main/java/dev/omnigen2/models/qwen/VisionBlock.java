package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Activations;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

/** One vision block: x + attn(rmsnorm(x)), then x + mlp(rmsnorm(x)) with a SiLU-gated MLP with biases. */
final class VisionBlock {
    private static final float EPS = 1e-6f;
    private final Tensor norm1, norm2, gate, gateBias, up, upBias, down, downBias;
    private final VisionAttention attention;

    VisionBlock(Weights w, Qwen25VlConfig.Vision v) {
        int d = v.hiddenSize(), f = v.intermediateSize();
        norm1 = w.get("norm1.weight", d);
        norm2 = w.get("norm2.weight", d);
        attention = new VisionAttention(w.prefix("attn"), v);
        Weights m = w.prefix("mlp");
        gate = m.get("gate_proj.weight", f, d);
        gateBias = m.get("gate_proj.bias", f);
        up = m.get("up_proj.weight", f, d);
        upBias = m.get("up_proj.bias", f);
        down = m.get("down_proj.weight", d, f);
        downBias = m.get("down_proj.bias", d);
    }

    /**
     * Updates x [N, D] (window order) in place; {@code cuSeqlens} are the attention segments of this block. The
     * block's intermediates are freed on return ({@link Tensor#scoped}).
     */
    void forward(Tensor x, Tensor cos, Tensor sin, int[] cuSeqlens) {
        Tensor.scoped(() -> {
            DecoderLayer.addInPlace(x, attention.forward(Norms.rmsNorm(x, norm1, EPS), cos, sin, cuSeqlens));
            Tensor h = Norms.rmsNorm(x, norm2, EPS);
            Tensor g = Device.linear(h, gate, gateBias);
            Tensor u = Device.linear(h, up, upBias);
            Activations.swiglu(g, u, g);
            DecoderLayer.addInPlace(x, Device.linear(g, down, downBias));
        });
    }
}
