package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * TeaCache as OmniGen2 runs it: skip the layer stack while the first layer's modulated input has
 * changed little since the last computed step, and reuse that step's residual (output − input of
 * the stack) instead.
 *
 * <p>Per pass, at every step but the first and the last, the relative L1 change
 * {@code mean|m − m_prev| / mean|m_prev|} of the modulated input {@code m} is mapped through
 * upstream's rescale polynomial (fitted for OmniGen2) and accumulated; while the sum stays below
 * the threshold the stack is skipped ({@code out = hidden + residual}), otherwise it runs and the
 * sum restarts at 0. {@code m_prev} is always the previous step's input, skipped or not. The first
 * and the last step always compute. A pass seen for the first time (e.g. guidance passes that
 * start later because of a cfg range) computes too.
 */
public final class TeaCache implements StepCache {
    /** Upstream's default threshold ({@code --teacache_rel_l1_thresh 0.05}). */
    public static final double DEFAULT_THRESHOLD = 0.05;
    /** Upstream's rescale polynomial, highest power first. */
    static final double[] RESCALE = {-5.48259225, 11.48772289, -4.47407401, 2.47730926, -0.03316487};

    private final double threshold;
    private final Map<Pass, Stream> streams = new EnumMap<>(Pass.class);
    private int skipped, computed;

    public TeaCache(double threshold) {
        if (!(threshold >= 0)) throw new IllegalArgumentException("TeaCache threshold must be >= 0, got " + threshold);
        this.threshold = threshold;
    }

    public TeaCache() { this(DEFAULT_THRESHOLD); }

    public double threshold() { return threshold; }

    @Override public StepCache fresh() { return new TeaCache(threshold); }
    @Override public int skipped() { return skipped; }
    @Override public int computed() { return computed; }
    @Override public String toString() { return "teacache(" + threshold + ")"; }

    /** State of one pass across steps. */
    private static final class Stream {
        Tensor previousModulated;
        Tensor previousResidual;
        double accumulated;
    }

    @Override
    public LayerCache hook(Pass pass, int step, int steps) {
        Checks.stepIndex(step, steps);
        Stream s = streams.computeIfAbsent(pass, p -> new Stream());
        boolean firstOrLast = step == 0 || step == steps - 1;
        return (hidden, modulatedInput, layers) -> run(s, firstOrLast, hidden, modulatedInput, layers);
    }

    private Tensor run(Stream s, boolean firstOrLast, Tensor hidden, Supplier<Tensor> modulatedInput,
                       UnaryOperator<Tensor> layers) {
        Tensor modulated = modulatedInput.get();
        boolean compute;
        if (firstOrLast || s.previousModulated == null || s.previousResidual == null) {
            compute = true;
            s.accumulated = 0;
        } else {
            s.accumulated += rescale(relativeL1(modulated, s.previousModulated));
            compute = s.accumulated >= threshold;
            if (compute) s.accumulated = 0;
        }
        s.previousModulated = modulated;
        if (!compute && java.util.Arrays.equals(s.previousResidual.shape(), hidden.shape())) {
            skipped++;
            return dev.omnigen2.runtime.Elementwise.add(hidden, s.previousResidual);
        }
        computed++;
        Tensor out = layers.apply(hidden);
        s.previousResidual = dev.omnigen2.runtime.Elementwise.sub(out, hidden);
        return out;
    }

    /** {@code mean|a − b| / mean|b|}. */
    static double relativeL1(Tensor a, Tensor b) {
        if (a.numel() != b.numel())
            throw new IllegalArgumentException("modulated input changed size: " + a + " vs " + b);
        return RelativeL1.of(a, b);
    }

    /** Upstream's {@code np.poly1d(coefficients)(x)}. */
    static double rescale(double x) {
        double y = 0;
        for (double c : RESCALE) y = y * x + c;
        return y;
    }
}
