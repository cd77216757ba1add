package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.Tensor;

/**
 * Receives intermediates of a forward at the points named in the golden fixture's README
 * ({@code t_proj}, {@code temb}, {@code text_embed}, {@code position_ids}, {@code rope_cos}, …,
 * {@code layer0_attn_out}, {@code hidden_after_layer0}, {@code norm_out}, {@code output}), in upstream's
 * padded layouts with padded rows zeroed. The tensor may be a reused buffer: copy it to keep it.
 * When no trace is given, none of these tensors is built.
 */
@FunctionalInterface
public interface Trace {
    void accept(String name, Tensor value);
}
