package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.Tensor;

/**
 * Receives named intermediate activations ({@code "down_blocks.0.resnets.0"}, {@code "mid_block"}, ...) as a
 * forward pass produces them, so tests can compare every stage with the reference. Names follow the module
 * paths of the diffusers model, relative to the encoder or decoder.
 */
@FunctionalInterface
interface Trace {
    Trace NONE = (name, value) -> {};

    void record(String name, Tensor value);

    /** Whether anyone listens (lets a block skip work done only for the trace). */
    default boolean active() { return this != NONE; }

    /** A trace that prefixes every name with {@code prefix + "."}. */
    default Trace under(String prefix) {
        if (this == NONE) return NONE;
        Trace parent = this;
        return new Trace() {
            @Override public void record(String name, Tensor value) { parent.record(prefix + "." + name, value); }
        };
    }
}
