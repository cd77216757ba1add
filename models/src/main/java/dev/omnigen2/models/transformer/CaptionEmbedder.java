package dev.omnigen2.models.transformer;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

/** Maps MLLM text features to the hidden width: RMSNorm (caption_embedder.0) then a linear with bias (.1). */
final class CaptionEmbedder {
    private final Tensor normWeight;
    private final Dense linear;
    private final float eps;

    private CaptionEmbedder(Tensor normWeight, Dense linear, float eps) {
        this.normWeight = normWeight;
        this.linear = linear;
        this.eps = eps;
    }

    static CaptionEmbedder bind(Weights w, OmniGen2TransformerConfig c) {
        return new CaptionEmbedder(w.prefix("0").get("weight", c.textFeatDim()),
                Dense.bind(w, "1", c.hiddenSize(), c.textFeatDim(), true), (float) c.normEps());
    }

    /** text [T, F] packed valid tokens → [T, hidden]. */
    Tensor forward(Tensor text) {
        return linear.forward(Norms.rmsNorm(text, normWeight, eps));
    }
}
