package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.Tensor;

/** Wraps an optional {@link Trace}: converts packed activations to upstream's padded layout only when tracing. */
final class Tracer {
    static final Tracer OFF = new Tracer(null);

    private final Trace trace;

    Tracer(Trace trace) { this.trace = trace; }

    boolean on() { return trace != null; }

    /** A tensor already in its reported layout. */
    void plain(String name, Tensor value) {
        if (trace != null) trace.accept(name, value);
    }

    /** Packed token rows reported padded, zeros at padding. */
    void tokens(String name, Tensor packed, Packing p) {
        if (trace != null) trace.accept(name, p.toPadded(packed, 0f));
    }

    /** Packed rows reported padded with {@code fill} at padding (rotary tables: 1 for the joint cos). */
    void tokens(String name, Tensor packed, Packing p, float fill) {
        if (trace != null) trace.accept(name, p.toPadded(packed, fill));
    }
}
