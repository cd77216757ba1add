package dev.omnigen2.models.transformer;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Tensor;

/**
 * The timestep embedding: a sinusoidal projection of t·timestep_scale (cos half first, 256 channels, in float32
 * as upstream computes it) followed by the two-layer SiLU MLP {@code time_caption_embed.timestep_embedder}.
 */
final class TimestepEmbedding {
    private static final double MAX_PERIOD = 10000;

    private final Dense linear1;
    private final Dense linear2;
    private final float scale;

    private TimestepEmbedding(Dense linear1, Dense linear2, float scale) {
        this.linear1 = linear1;
        this.linear2 = linear2;
        this.scale = scale;
    }

    static TimestepEmbedding bind(Weights w, OmniGen2TransformerConfig c) {
        int width = c.timestepEmbedDim();
        return new TimestepEmbedding(
                Dense.bind(w, "linear_1", width, OmniGen2TransformerConfig.TIMESTEP_PROJECTION_WIDTH, true),
                Dense.bind(w, "linear_2", width, width, true),
                (float) c.timestepScale());
    }

    /** [B, 256] = [cos(a) | sin(a)], a_k = (t · f_k) · scale, f_k = exp(−ln(10000)·k/128), all float32 steps. */
    Tensor project(float[] timesteps) {
        int half = OmniGen2TransformerConfig.TIMESTEP_PROJECTION_WIDTH / 2;
        float lnPeriod = (float) -Math.log(MAX_PERIOD);
        Tensor out = Tensor.zeros(timesteps.length, 2 * half);
        for (int b = 0; b < timesteps.length; b++) {
            for (int k = 0; k < half; k++) {
                float freq = (float) Math.exp((lnPeriod * k) / half);
                float angle = scale * (timesteps[b] * freq);
                out.setFloat((long) b * 2 * half + k, (float) Math.cos(angle));
                out.setFloat((long) b * 2 * half + half + k, (float) Math.sin(angle));
            }
        }
        return out;
    }

    /** temb [B, min(hidden, 1024)] = linear_2(SiLU(linear_1(t_proj))). */
    Tensor forward(Tensor tProj) {
        return linear2.forward(Ops.silu(linear1.forward(tProj)));
    }
}
