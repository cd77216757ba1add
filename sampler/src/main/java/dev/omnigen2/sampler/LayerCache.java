package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The hook through which a step cache (TeaCache, TaylorSeer) may skip a model's main layer stack.
 *
 * <p><b>Contract for the model.</b> In every forward the model hands its main stack of transformer
 * layers to {@link #run} instead of calling it directly:
 * <pre>{@code
 * Tensor hidden = ...;                                   // joint tokens entering layer 0
 * hidden = cache.run(hidden,
 *         () -> layers[0].norm1Modulated(hidden, temb),  // first layer's modulated input
 *         h -> { for (Layer l : layers) h = l.forward(h, ...); return h; });
 * Tensor out = normOut(hidden, temb) ...                 // continue as usual
 * }</pre>
 * <ul>
 *   <li>{@code hidden} is the tensor entering the first layer; the returned tensor takes the place of
 *       the last layer's output (same shape, F32). The hook never modifies {@code hidden} or the
 *       stack's output and keeps no reference to either (it copies what it needs), so the model may
 *       reuse those buffers afterwards. The returned tensor is either the stack's output or a new
 *       tensor the model owns.</li>
 *   <li>{@code modulatedInput} must compute the first layer's modulated, normalised input
 *       (OmniGen2: {@code layers[0].norm1(hidden, temb)[0]}, over the same tokens as {@code hidden})
 *       without side effects, into a new tensor: the hook keeps it until the next step. It is called
 *       at most once, and only by caches that need it (TeaCache).</li>
 *   <li>{@code layers} runs the whole stack on its argument and returns the output; the hook calls it
 *       at most once. When the cache decides to skip, it is not called at all.</li>
 * </ul>
 * Everything before the stack (embeddings, refiners) and after it (output norm, projection) always
 * runs. A model that cannot split its forward this way may simply ignore the hook (no caching
 * happens then; results are exact). The sampler gives each {@link Pass} its own hook object and a
 * fresh one per step; the model must not keep hooks between calls.
 */
@FunctionalInterface
public interface LayerCache {

    /** Runs (or skips) the layer stack on {@code hidden}; see the interface documentation. */
    Tensor run(Tensor hidden, Supplier<Tensor> modulatedInput, UnaryOperator<Tensor> layers);

    /** No caching: always runs the layers. */
    LayerCache NONE = (hidden, modulatedInput, layers) -> layers.apply(hidden);
}
