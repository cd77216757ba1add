package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * TaylorSeer as OmniGen2 configures it: run the layer stack on the first steps and then on every
 * third call, and on the calls in between replace its output by a Taylor extrapolation from the
 * finite differences of the computed outputs.
 *
 * <p>Per pass (each with its own call counter {@code s}, as upstream keeps one cache per pass):
 * calls {@code s < firstEnhance} (5) compute; afterwards a call computes when the skip counter
 * reaches {@code freshThreshold − 1} (every 3rd call). A computed call stores the output {@code F}
 * and, once {@code s > firstEnhance − 2}, its divided differences up to {@code maxOrder} (4):
 * {@code D_{k+1} = (D_k − D_k^{prev}) / (s − s_prev)}. A skipped call returns
 * {@code Σ_k D_k · x^k / k!} with {@code x = s − s_last computed}, never looking at its input.
 *
 * <p>Upstream extrapolates every layer's output, but on a skipped call each layer ignores its input,
 * so only the last layer's extrapolation reaches the model output; extrapolating the stack's output
 * once is the same computation. Memory: up to {@code maxOrder + 1} tensors of the stack's output
 * size per pass.
 */
public final class TaylorSeer implements StepCache {
    private final int firstEnhance;
    private final int freshThreshold;
    private final int maxOrder;
    private final Map<Pass, Stream> streams = new EnumMap<>(Pass.class);
    private int skipped, computed;

    public TaylorSeer(int firstEnhance, int freshThreshold, int maxOrder) {
        if (firstEnhance < 1 || freshThreshold < 1 || maxOrder < 0)
            throw new IllegalArgumentException("TaylorSeer needs firstEnhance >= 1, freshThreshold >= 1, maxOrder >= 0; got "
                    + firstEnhance + ", " + freshThreshold + ", " + maxOrder);
        this.firstEnhance = firstEnhance;
        this.freshThreshold = freshThreshold;
        this.maxOrder = maxOrder;
    }

    /** Upstream's settings ({@code cache_init}): first_enhance 5, fresh_threshold 3, max_order 4. */
    public TaylorSeer() { this(5, 3, 4); }

    @Override public StepCache fresh() { return new TaylorSeer(firstEnhance, freshThreshold, maxOrder); }
    @Override public int skipped() { return skipped; }
    @Override public int computed() { return computed; }
    @Override public String toString() { return "taylorseer(" + firstEnhance + "," + freshThreshold + "," + maxOrder + ")"; }

    /** State of one pass across its calls. */
    private static final class Stream {
        int call;                    // upstream current['step']
        int skipCounter;             // upstream cache_counter
        int lastActivated, previousActivated;
        List<Tensor> factors = List.of();   // D_0 .. D_k of the last computed call
    }

    @Override
    public LayerCache hook(Pass pass, int step, int steps) {
        Checks.stepIndex(step, steps);
        Stream s = streams.computeIfAbsent(pass, p -> new Stream());
        int call = s.call++;
        boolean warmup = call < firstEnhance;
        // upstream's interval after warm-up is round(fresh_threshold / 1.0), i.e. the same number
        boolean compute = warmup || s.skipCounter == freshThreshold - 1 || s.factors.isEmpty();
        if (compute) {
            s.skipCounter = 0;
            s.previousActivated = s.lastActivated;
            s.lastActivated = call;
            return (hidden, modulatedInput, layers) -> {
                computed++;
                Tensor out = layers.apply(hidden);
                s.factors = differences(s, call, out);
                return out;
            };
        }
        s.skipCounter++;
        List<Tensor> factors = s.factors;
        int x = call - s.lastActivated;
        return (hidden, modulatedInput, layers) -> {
            skipped++;
            return extrapolate(factors, x);
        };
    }

    private List<Tensor> differences(Stream s, int call, Tensor out) {
        List<Tensor> old = call == 0 ? List.of() : s.factors;
        List<Tensor> fresh = new ArrayList<>();
        fresh.add(out.copy());
        float distance = s.lastActivated - s.previousActivated;
        for (int k = 0; k < maxOrder && k < old.size() && call > firstEnhance - 2; k++) {
            Tensor now = fresh.get(k), before = old.get(k);
            Tensor d = Tensor.zeros(now.shape());
            long n = now.numel();
            for (long e = 0; e < n; e++) d.setFloat(e, (now.getFloat(e) - before.getFloat(e)) / distance);
            fresh.add(d);
        }
        return fresh;
    }

    private static Tensor extrapolate(List<Tensor> factors, int x) {
        Tensor out = Tensor.zeros(factors.get(0).shape());
        long n = out.numel();
        double factorial = 1;
        for (int k = 0; k < factors.size(); k++) {
            if (k > 0) factorial *= k;
            float weight = (float) (1.0 / factorial);
            float power = (float) Math.pow(x, k);
            Tensor f = factors.get(k);
            for (long e = 0; e < n; e++) out.setFloat(e, out.getFloat(e) + weight * f.getFloat(e) * power);
        }
        return out;
    }
}
