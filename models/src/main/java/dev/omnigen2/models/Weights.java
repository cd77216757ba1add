package dev.omnigen2.models;

import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.TensorStore;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Binds checkpoint tensors to model blocks by name, as candle's VarBuilder:
 * {@code w.prefix("layers").prefix(3).get("attn.to_q.weight")} reads {@code layers.3.attn.to_q.weight}.
 * Every tensor read is recorded, so {@link #checkAllUsed()} can reject a checkpoint with tensors
 * the model does not know.
 */
public final class Weights {
    private final TensorStore store;
    private final String prefix;
    private final Set<String> used;

    private Weights(TensorStore store, String prefix, Set<String> used) {
        this.store = store;
        this.prefix = prefix;
        this.used = used;
    }

    public static Weights of(TensorStore store) {
        return new Weights(store, "", ConcurrentHashMap.newKeySet());
    }

    public Weights prefix(String p) { return new Weights(store, full(p) + ".", used); }

    public Weights prefix(int i) { return prefix(Integer.toString(i)); }

    private String full(String name) { return prefix + name; }

    public boolean has(String name) { return store.contains(full(name)); }

    /** The tensor {@code prefix + name}; a {@link WeightsException} naming it and the checkpoint when absent. */
    public Tensor get(String name) {
        String f = full(name);
        if (!store.contains(f)) throw new WeightsException(store.source() + ": missing tensor '" + f + "'");
        used.add(f);
        return store.tensor(f);
    }

    /** As {@link #get(String)}, and the shape must equal {@code shape}. */
    public Tensor get(String name, int... shape) {
        if (store instanceof ShapedSource s) {
            used.add(full(name));
            return s.tensor(full(name), shape);
        }
        Tensor t = get(name);
        if (!Arrays.equals(t.shape(), shape))
            throw new WeightsException(store.source() + ": tensor '" + full(name) + "' has shape " + Arrays.toString(t.shape())
                    + " but config.json implies " + Arrays.toString(shape));
        return t;
    }

    /** The tensor or null when the checkpoint lacks it. */
    public Tensor optional(String name) { return has(name) ? get(name) : null; }

    /** Marks tensors the model deliberately ignores (so {@link #checkAllUsed()} accepts them). */
    public void ignore(String name) { if (has(name)) used.add(full(name)); }

    /** Throws listing every tensor under this prefix that no block read. */
    public void checkAllUsed() {
        Set<String> unused = new TreeSet<>();
        for (String n : store.names()) if (n.startsWith(prefix) && !used.contains(n)) unused.add(n);
        if (!unused.isEmpty()) {
            List<String> shown = unused.stream().limit(10).toList();
            throw new WeightsException(store.source() + ": " + unused.size() + " tensor(s) not used by the model: "
                    + String.join(", ", shown) + (unused.size() > shown.size() ? ", ..." : ""));
        }
    }

    public Set<String> used() { return Collections.unmodifiableSet(new LinkedHashSet<>(used)); }

    public String source() { return store.source(); }

    /**
     * A store that makes tensors on request, given the shape the model expects (synthetic checkpoints: binding a
     * model to one lists every tensor a real checkpoint must hold). Its {@link TensorStore#contains} answers
     * false, so optional tensors are left out.
     */
    public interface ShapedSource {
        Tensor tensor(String name, int[] shape);
    }

    /** A checkpoint that does not fit the model: missing, unused or mis-shaped tensors. */
    public static final class WeightsException extends RuntimeException {
        public WeightsException(String message) { super(message); }
    }
}
