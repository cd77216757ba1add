package dev.omnigen2.models.transformer;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Activations;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Tensor;

/**
 * The SwiGLU feed-forward ({@code feed_forward.*}, no biases): linear_2(SiLU(linear_1(h)) · linear_3(h)).
 * Runs over balanced chunks of at most {@link #TOKEN_CHUNK} (4,608) tokens: a 1024² image with its prompt (~4.2–4.4k joint
 * tokens) is one chunk, so each weight is packed once per block (measured: the [10240, 2520] BF16 GEMM gives ~206
 * GFLOP per CPU-second at 4,352 rows against ~166–190 at 1,024), while the two [tokens, inner] F32 intermediates stay
 * under 2 × 190 MB even with reference images (8k+ tokens run as two chunks).
 */
final class FeedForward {
    /** Most tokens per chunk ({@code -Domnigen2.transformer.ffnChunk}, for A/B measurements). */
    static final int TOKEN_CHUNK = Integer.getInteger("omnigen2.transformer.ffnChunk", 4608);

    private final Tensor linear1, linear2, linear3;
    private final int inner;

    private FeedForward(Tensor linear1, Tensor linear2, Tensor linear3) {
        this.linear1 = linear1;
        this.linear2 = linear2;
        this.linear3 = linear3;
        this.inner = linear1.size(0);
    }

    static FeedForward bind(Weights w, OmniGen2TransformerConfig c) {
        int d = c.hiddenSize(), inner = c.ffnInnerDim();
        return new FeedForward(w.get("linear_1.weight", inner, d), w.get("linear_2.weight", d, inner),
                w.get("linear_3.weight", inner, d));
    }

    /** h [T, D] → out [T, D] (a workspace buffer). */
    Tensor forward(Tensor h, Workspace ws) {
        int t = h.size(0);
        Tensor out = ws.f32("ffn.out", t, linear2.size(0));
        int chunks = Math.max(1, (t + TOKEN_CHUNK - 1) / TOKEN_CHUNK), per = (t + chunks - 1) / chunks;
        for (int start = 0; start < t; start += per) {
            int n = Math.min(per, t - start);
            Tensor gate = ws.f32("ffn.gate", n, inner), up = ws.f32("ffn.up", n, inner);
            Tensor x = h.slice0(start, n);
            long mark = StageTimes.start();
            Device.linear(x, linear1, null, gate);
            Device.linear(x, linear3, null, up);
            mark = StageTimes.lap(StageTimes.Stage.FFN_GATE_UP, mark);
            Activations.swiglu(gate, up, gate);
            mark = StageTimes.lap(StageTimes.Stage.SWIGLU, mark);
            Device.linear(gate, linear2, null, out.slice0(start, n));
            StageTimes.lap(StageTimes.Stage.FFN_DOWN, mark);
        }
        return out;
    }
}
