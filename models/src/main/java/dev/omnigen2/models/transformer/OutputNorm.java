package dev.omnigen2.models.transformer;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

/**
 * {@code norm_out}: LayerNorm without affine (eps 1e-6) scaled by 1 + linear_1(SiLU(temb)) (no shift), then
 * linear_2 to p·p·C_out patch features.
 */
final class OutputNorm {
    private static final float EPS = 1e-6f;

    private final Dense linear1;
    private final Dense linear2;

    private OutputNorm(Dense linear1, Dense linear2) {
        this.linear1 = linear1;
        this.linear2 = linear2;
    }

    static OutputNorm bind(Weights w, OmniGen2TransformerConfig c) {
        return new OutputNorm(Dense.bind(w, "linear_1", c.hiddenSize(), c.timestepEmbedDim(), true),
                Dense.bind(w, "linear_2", c.outPatchFeatures(), c.hiddenSize(), true));
    }

    /** x [T, D] packed, siluTemb [B, Dt] → [T, p·p·C_out]. */
    Tensor forward(Tensor x, Packing packing, Tensor siluTemb, Workspace ws) {
        Tensor scale = linear1.forward(siluTemb);
        Tensor normed = ws.f32("norm_out.x", x.size(0), x.size(1));
        Norms.layerNorm(x, null, null, EPS, normed);
        Ops.scaleRows(normed, packing, scale, 0);
        return linear2.forward(normed);
    }
}
