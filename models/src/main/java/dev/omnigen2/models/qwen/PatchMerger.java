package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Activations;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

/**
 * Joins each merge unit into one language-model token: RMSNorm per patch, concatenate the merge² consecutive
 * patches, Linear + exact GELU + Linear to the text hidden size.
 */
final class PatchMerger {
    private static final float EPS = 1e-6f;
    private final Tensor lnQ, fc1, fc1Bias, fc2, fc2Bias;
    private final int joined;

    PatchMerger(Weights w, Qwen25VlConfig.Vision v) {
        int d = v.hiddenSize();
        joined = d * v.mergeUnit();
        lnQ = w.get("ln_q.weight", d);
        fc1 = w.get("mlp.0.weight", joined, joined);
        fc1Bias = w.get("mlp.0.bias", joined);
        fc2 = w.get("mlp.2.weight", v.outHiddenSize(), joined);
        fc2Bias = w.get("mlp.2.bias", v.outHiddenSize());
    }

    /** x [N, D] → [N / merge², out_hidden]. */
    Tensor forward(Tensor x) {
        Tensor normed = Norms.rmsNorm(x, lnQ, EPS).reshape(-1, joined);
        Tensor h = Device.linear(normed, fc1, fc1Bias);
        Activations.geluErf(h, h);
        return Device.linear(h, fc2, fc2Bias);
    }
}
