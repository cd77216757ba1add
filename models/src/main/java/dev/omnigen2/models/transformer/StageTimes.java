package dev.omnigen2.models.transformer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Wall time spent per stage of the transformer's blocks (q/k/v projections, attention kernel, FFN GEMMs, norms and
 * modulation, ...), summed over all blocks and forwards since the last {@link #reset}. Off by default: then each
 * probe is one volatile read. Benchmarks switch it on to see where a forward spends its time.
 */
public final class StageTimes {
    /** The stages, in the order a block runs them. */
    public enum Stage { NORM_MODULATION, QKV, QK_NORM_ROPE, ATTENTION, OUT_PROJECTION, FFN_GATE_UP, SWIGLU, FFN_DOWN, RESIDUAL }

    private static volatile boolean enabled;
    private static final AtomicLongArray NANOS = new AtomicLongArray(Stage.values().length);

    private StageTimes() {}

    public static void enable(boolean on) { enabled = on; }

    public static void reset() { for (int i = 0; i < NANOS.length(); i++) NANOS.set(i, 0); }

    /** Seconds per stage since the last reset, in stage order. */
    public static Map<Stage, Double> seconds() {
        Map<Stage, Double> m = new LinkedHashMap<>();
        for (Stage s : Stage.values()) m.put(s, NANOS.get(s.ordinal()) / 1e9);
        return m;
    }

    /** A start mark (0 when off). */
    static long start() { return enabled ? System.nanoTime() : 0; }

    /** Adds the time since {@code mark} to {@code stage} and returns a new mark. */
    static long lap(Stage stage, long mark) {
        if (mark == 0) return 0;
        long now = System.nanoTime();
        NANOS.addAndGet(stage.ordinal(), now - mark);
        return now;
    }
}
