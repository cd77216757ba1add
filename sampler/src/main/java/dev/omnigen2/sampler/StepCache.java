package dev.omnigen2.sampler;

/**
 * Sampler-side logic of a step cache: for every model pass it decides whether the model's main layer
 * stack runs or is replaced by a cheap estimate, and hands the model a {@link LayerCache} hook that
 * carries out that decision.
 *
 * <p>A step cache holds per-run state (one stream per {@link Pass}, as upstream keeps separate
 * parameters for cond, ref and uncond); {@link #fresh} gives a new, empty cache with the same
 * settings, which the sampler takes at the start of each run. Implementations are not thread-safe.
 */
public interface StepCache {

    /** The hook for {@code pass} at step {@code step} of {@code steps}; call once per model pass. */
    LayerCache hook(Pass pass, int step, int steps);

    /** A new cache with the same settings and no state. */
    StepCache fresh();

    /** How many hooks so far skipped the layer stack. */
    int skipped();

    /** How many hooks so far ran the layer stack. */
    int computed();

    /** No caching: every hook runs the layers. */
    static StepCache none() {
        return new StepCache() {
            private int computed;
            @Override public LayerCache hook(Pass pass, int step, int steps) {
                return (hidden, modulatedInput, layers) -> {
                    computed++;
                    return layers.apply(hidden);
                };
            }
            @Override public StepCache fresh() { return none(); }
            @Override public int skipped() { return 0; }
            @Override public int computed() { return computed; }
            @Override public String toString() { return "none"; }
        };
    }
}
