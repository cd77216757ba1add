package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Attention;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Rope;
import dev.omnigen2.runtime.Tensor;

/**
 * Vision self-attention: one fused qkv projection (columns q | k | v), 2-D rotary on q and k, attention only
 * inside each segment of {@code cuSeqlens} (a window, or one image), output projection; all with biases.
 */
final class VisionAttention {
    private final Tensor qkv, qkvBias, proj, projBias;
    private final int heads, headDim, dim;
    private final float scale;

    VisionAttention(Weights w, Qwen25VlConfig.Vision v) {
        dim = v.hiddenSize();
        heads = v.numHeads();
        headDim = v.headDim();
        qkv = w.get("qkv.weight", 3 * dim, dim);
        qkvBias = w.get("qkv.bias", 3 * dim);
        proj = w.get("proj.weight", dim, dim);
        projBias = w.get("proj.bias", dim);
        scale = (float) (1.0 / Math.sqrt(headDim));
    }

    Tensor forward(Tensor x, Tensor cos, Tensor sin, int[] cuSeqlens) {
        Tensor fused = Device.linear(x, qkv, qkvBias);
        Tensor q = fused.narrow(1, 0, dim), k = fused.narrow(1, dim, dim), v = fused.narrow(1, 2 * dim, dim);
        Rope.rotateHalf(q, cos, sin, heads, headDim);
        Rope.rotateHalf(k, cos, sin, heads, headDim);
        Tensor context = Attention.forward(q, k, v, heads, heads, headDim, scale, Attention.Mask.segments(cuSeqlens));
        return Device.linear(context, proj, projBias);
    }
}
