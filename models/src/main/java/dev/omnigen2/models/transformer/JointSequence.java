package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.Tensor;

/**
 * The state of one forward between its stages ({@link OmniGen2Transformer#prepare}, {@link
 * OmniGen2Transformer#runLayers}, {@link OmniGen2Transformer#finish}): the joint token sequence of every sample,
 * [text | reference images | noise image], packed back to back without padding, with what the main layers and
 * the output head need. Step caches (TeaCache, TaylorSeer) work on {@link #hidden()}: e.g. remember
 * {@code hidden after runLayers − hidden before} and, on a skipped step, add it instead of running the layers.
 */
public final class JointSequence {
    final Packing packing;
    final OmniRope.Tables rope;
    final Tensor siluTemb;
    final int[] imageTokens;
    final int height, width;
    final Tracer tracer;
    private final Tensor hidden;

    JointSequence(Tensor hidden, Packing packing, OmniRope.Tables rope, Tensor siluTemb, int[] imageTokens,
                  int height, int width, Tracer tracer) {
        this.hidden = hidden;
        this.packing = packing;
        this.rope = rope;
        this.siluTemb = siluTemb;
        this.imageTokens = imageTokens;
        this.height = height;
        this.width = width;
        this.tracer = tracer;
    }

    /** Packed hidden states [Σ_i seq_len_i, hidden]; sample i owns rows [offset(i), offset(i) + seqLength(i)). Mutable. */
    public Tensor hidden() { return hidden; }

    public int batch() { return packing.segments(); }

    public int offset(int sample) { return packing.offset(sample); }

    public int seqLength(int sample) { return packing.length(sample); }
}
