package dev.omnigen2.models.transformer;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Tensor;

/**
 * One OmniGen2 transformer block, pre- and post-normed ("sandwich") attention and SwiGLU sub-layers.
 * Modulated blocks (noise / reference refiners, main layers) derive four per-sample vectors from the timestep
 * embedding, {@code norm1.linear(SiLU(temb))} = [scale_msa | gate_msa | scale_mlp | gate_mlp]; the context refiner
 * is not modulated (plain residuals).
 * <pre>
 * h = RMSNorm(x; norm1) · (1 + scale_msa)
 * x = x + tanh(gate_msa) · RMSNorm(Attention(h); norm2)
 * m = FFN(RMSNorm(x; ffn_norm1) · (1 + scale_mlp))
 * x = x + tanh(gate_mlp) · RMSNorm(m; ffn_norm2)
 * </pre>
 */
final class TransformerBlock {
    private static final int SCALE_MSA = 0, GATE_MSA = 1, SCALE_MLP = 2, GATE_MLP = 3;

    private final Dense adaLn;
    private final Tensor norm1, norm2, ffnNorm1, ffnNorm2;
    private final SelfAttention attention;
    private final FeedForward feedForward;
    private final float eps;
    private final int hidden;

    private TransformerBlock(Dense adaLn, Tensor norm1, Tensor norm2, Tensor ffnNorm1, Tensor ffnNorm2,
                             SelfAttention attention, FeedForward feedForward, float eps, int hidden) {
        this.adaLn = adaLn;
        this.norm1 = norm1;
        this.norm2 = norm2;
        this.ffnNorm1 = ffnNorm1;
        this.ffnNorm2 = ffnNorm2;
        this.attention = attention;
        this.feedForward = feedForward;
        this.eps = eps;
        this.hidden = hidden;
    }

    static TransformerBlock bind(Weights w, OmniGen2TransformerConfig c, boolean modulated) {
        int d = c.hiddenSize();
        Dense adaLn = modulated ? Dense.bind(w.prefix("norm1"), "linear", 4 * d, c.timestepEmbedDim(), true) : null;
        Tensor norm1 = modulated ? w.get("norm1.norm.weight", d) : w.get("norm1.weight", d);
        return new TransformerBlock(adaLn, norm1, w.get("norm2.weight", d), w.get("ffn_norm1.weight", d),
                w.get("ffn_norm2.weight", d), SelfAttention.bind(w.prefix("attn"), c),
                FeedForward.bind(w.prefix("feed_forward"), c), (float) c.normEps(), d);
    }

    boolean modulated() { return adaLn != null; }

    /** [B, 4·hidden] = norm1.linear(SiLU(temb)) given siluTemb = SiLU(temb); null for the unmodulated block. */
    Tensor modulation(Tensor siluTemb) { return adaLn == null ? null : adaLn.forward(siluTemb); }

    /** The attention input h = RMSNorm(x; norm1) · (1 + scale_msa), into {@code out} [T, D]. */
    void normedInput(Tensor x, Packing packing, Tensor modulation, Tensor out) {
        Norms.rmsNorm(x, norm1, eps, out);
        if (modulation != null) Ops.scaleRows(out, packing, modulation, SCALE_MSA);
    }

    /**
     * Runs the block on packed x [T, D] in place.
     *
     * @param modulation this block's {@link #modulation} (null when unmodulated)
     * @param tracePrefix names intermediates {@code <prefix>norm1_x}, {@code gate_msa}, … ; null: none reported
     */
    void forward(Tensor x, Packing packing, OmniRope.Tables rope, Tensor modulation, Workspace ws,
                 Tracer tracer, String tracePrefix) {
        boolean trace = tracePrefix != null && tracer.on();
        int t = x.size(0);
        long mark = StageTimes.start();
        Tensor h = ws.f32("block.h", t, hidden);
        normedInput(x, packing, modulation, h);
        mark = StageTimes.lap(StageTimes.Stage.NORM_MODULATION, mark);
        if (trace) {
            tracer.tokens(tracePrefix + "norm1_x", h, packing);
            if (modulation != null) {
                String[] names = {"scale_msa", "gate_msa", "scale_mlp", "gate_mlp"};
                for (int i = 0; i < 4; i++) tracer.plain(tracePrefix + names[i], modulation.narrow(1, i * hidden, hidden));
            }
        }
        Tensor attnOut = attention.forward(h, packing, rope, ws);
        if (trace) tracer.tokens(tracePrefix + "attn_out", attnOut, packing);
        mark = StageTimes.start();
        Norms.rmsNorm(attnOut, norm2, eps, attnOut);
        Ops.addGated(x, attnOut, packing, modulation, GATE_MSA);
        mark = StageTimes.lap(StageTimes.Stage.RESIDUAL, mark);

        Norms.rmsNorm(x, ffnNorm1, eps, h);
        if (modulation != null) Ops.scaleRows(h, packing, modulation, SCALE_MLP);
        StageTimes.lap(StageTimes.Stage.NORM_MODULATION, mark);
        Tensor ffnOut = feedForward.forward(h, ws);
        if (trace) tracer.tokens(tracePrefix + "ffn_out", ffnOut, packing);
        mark = StageTimes.start();
        Norms.rmsNorm(ffnOut, ffnNorm2, eps, ffnOut);
        Ops.addGated(x, ffnOut, packing, modulation, GATE_MLP);
        StageTimes.lap(StageTimes.Stage.RESIDUAL, mark);
    }
}
