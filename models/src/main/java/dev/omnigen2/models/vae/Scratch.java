package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Activations with a known end of life. Off-heap tensors from {@link Tensor#zeros} are freed only when the
 * garbage collector finds them, and a VAE pass allocates little on the heap, so gigabytes of dead activations
 * would pile up before a collection. Here each activation lives in its own arena, closed as soon as the next stage
 * has consumed it ({@link #release}) or when the pass ends ({@link #close}). Arenas are shared because the
 * kernels run on pool threads. A pass that is traced keeps everything (the trace holds on to the stages).
 */
final class Scratch implements AutoCloseable {
    private final boolean keep;
    private final Map<Tensor, Arena> owned = new IdentityHashMap<>();

    private Scratch(boolean keep) { this.keep = keep; }

    /** Frees released activations at once, unless the trace listens (then the collector frees them). */
    static Scratch forPass(Trace trace) { return new Scratch(trace.active()); }

    /** An F32 activation of this pass (contents undefined until written). */
    Tensor allocate(int... shape) {
        if (keep) return Tensor.zeros(shape);
        Arena arena = Arena.ofShared();
        Tensor t = tensor(arena, shape);
        owned.put(t, arena);
        return t;
    }

    /** Whether {@code t} is an activation of this pass that {@link #release} would free (so it may be overwritten by its last reader). */
    boolean owns(Tensor t) { return owned.containsKey(t); }

    /** Frees {@code t} if this pass allocated it; a caller's tensor is left alone. */
    void release(Tensor t) {
        Arena arena = owned.remove(t);
        if (arena != null) arena.close();
    }

    @Override public void close() {
        for (Arena arena : owned.values()) arena.close();
        owned.clear();
    }

    /** An F32 tensor in {@code arena}, for intermediates that die with a block. */
    static Tensor tensor(Arena arena, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return new Tensor(DType.F32, shape, arena.allocate(Math.max(1, 4 * n), 64));
    }
}
