package dev.omnigen2.models.qwen;

import dev.omnigen2.runtime.Tensor;

/**
 * The text decoder's M-RoPE tables. Every token has three positions (temporal, height, width); the rotary
 * frequencies are split into {@code mrope_section} bands and band b rotates by the position on axis b. The
 * table has head_dim columns (the frequencies twice, for rotate-half), so column c uses frequency c mod hd/2.
 * Frequencies and angles are float32 as upstream computes them.
 */
final class MultimodalRope {
    private final int headDim;
    private final float[] invFreq;
    private final int[] axisOfFrequency;

    MultimodalRope(Qwen25VlConfig config) {
        this.headDim = config.headDim();
        int half = headDim / 2;
        invFreq = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / headDim;
            invFreq[i] = 1f / (float) Math.pow(config.ropeTheta(), exponent);
        }
        axisOfFrequency = new int[half];
        int f = 0;
        for (int axis = 0; axis < 3; axis++)
            for (int j = 0; j < config.mropeSection()[axis]; j++) axisOfFrequency[f++] = axis;
    }

    /** cos and sin tables [L, head_dim] for positions [3][L] (axes t, h, w). */
    Tensor[] tables(int[][] positions) {
        int len = positions[0].length, half = headDim / 2;
        Tensor cos = Tensor.zeros(len, headDim), sin = Tensor.zeros(len, headDim);
        for (int t = 0; t < len; t++) {
            for (int i = 0; i < half; i++) {
                float angle = (float) positions[axisOfFrequency[i]][t] * invFreq[i];
                float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                long o = (long) t * headDim;
                cos.setFloat(o + i, c);
                cos.setFloat(o + i + half, c);
                sin.setFloat(o + i, s);
                sin.setFloat(o + i + half, s);
            }
        }
        return new Tensor[] {cos, sin};
    }
}
