package dev.omnigen2.runtime;

import dev.omnigen2.runtime.cuda.CudaException;
import dev.omnigen2.runtime.cuda.CudaLinear;
import dev.omnigen2.runtime.cuda.CudaStatus;

/**
 * Where the matrix products run: the CPU kernels, or an NVIDIA GPU through cuBLAS when one is present. Models call
 * {@link #linear} where they would call {@link Linear#forward}; the CLI and the Java API choose with
 * {@link #select}. Until something selects, the device is {@code -Domnigen2.device} (default {@code cpu}, so that
 * library users and tests get the CPU kernels' exact arithmetic unless they ask otherwise).
 *
 * <ul>
 *   <li>{@code cpu}: {@link Linear#forward} always.</li>
 *   <li>{@code cuda}: the GPU; an error when the CUDA libraries or a device are missing.</li>
 *   <li>{@code auto}: the GPU when the binding loads and cudaGetDeviceCount reports a device, else the CPU.</li>
 * </ul>
 * Products the GPU backend does not take (X not F32, weights neither F32, BF16 nor F16) run on the CPU, and so does
 * one whose single layer cannot fit in device memory even after every other weight was evicted.
 */
public final class Device {
    public static final String PROPERTY = "omnigen2.device";

    public enum Kind { CPU, CUDA }

    private static volatile Kind kind;
    private static volatile CudaLinear gpu;
    private static volatile String line = "";

    private Device() {}

    /**
     * Selects the device by name ({@code auto}, {@code cpu} or {@code cuda}, any case) and returns the one in use.
     * Re-selecting releases the previous GPU backend (its device memory) first.
     *
     * @throws IllegalArgumentException for another name
     * @throws IllegalStateException    for {@code cuda} when CUDA is not available, with the reason
     */
    public static synchronized Kind select(String name) {
        String n = name == null ? "" : name.trim().toLowerCase();
        if (!n.equals("auto") && !n.equals("cpu") && !n.equals("cuda"))
            throw new IllegalArgumentException("device '" + name + "': expected auto, cpu or cuda");
        release();
        if (n.equals("cpu")) {
            kind = Kind.CPU;
            line = "device: cpu (selected)";
            return kind;
        }
        CudaStatus status = CudaStatus.probe();
        if (!status.available()) {
            if (n.equals("cuda")) throw new IllegalStateException("--device cuda: " + status.line());
            kind = Kind.CPU;
            line = "device: cpu (" + status.line() + ")";
            return kind;
        }
        try {
            CudaLinear.Options options = CudaLinear.Options.fromSystemProperties();
            gpu = CudaLinear.open(status, options);
            kind = Kind.CUDA;
            line = "device: cuda, " + options.precision().name().toLowerCase() + " GEMM, budget "
                    + (gpu.stats().budgetBytes() >> 20) + " MiB (" + status.line() + ")";
        } catch (CudaException e) {
            if (n.equals("cuda")) throw new IllegalStateException("--device cuda: " + e.getMessage(), e);
            kind = Kind.CPU;
            line = "device: cpu (CUDA unavailable: " + e.getMessage() + ")";
        }
        return kind;
    }

    /** The device in use, selecting {@code -Domnigen2.device} (default cpu) on first use. */
    public static Kind current() {
        Kind k = kind;
        if (k != null) return k;
        synchronized (Device.class) {
            if (kind == null) select(System.getProperty(PROPERTY, "cpu"));
            return kind;
        }
    }

    /** One line for {@code doctor} and {@code --verbose}: the device in use and why. */
    public static String describe() {
        current();
        return line;
    }

    /** The GPU backend when CUDA is selected (for statistics), else null. */
    public static CudaLinear cuda() {
        current();
        return gpu;
    }

    /** Frees the GPU backend, if any, and returns to the CPU until the next {@link #select}. */
    public static synchronized void release() {
        CudaLinear g = gpu;
        gpu = null;
        kind = Kind.CPU;
        line = "device: cpu";
        if (g != null) g.close();
    }

    /** {@code Linear.forward(x, w, bias)} on the selected device. */
    public static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        int[] s = x.shape();
        s[s.length - 1] = w.size(0);
        Tensor y = Tensor.zeros(s);
        linear(x, w, bias, y);
        return y;
    }

    /**
     * {@code Linear.forwardAll(x, ws, biases)} on the selected device: several products of the same x (q/k/v,
     * gate/up), which the CPU runs in one pass over its worker pool; the GPU runs them one after the other.
     */
    public static Tensor[] linearAll(Tensor x, Tensor[] ws, Tensor[] biases) {
        if (current() != Kind.CUDA) return Linear.forwardAll(x, ws, biases);
        Tensor[] ys = new Tensor[ws.length];
        for (int i = 0; i < ws.length; i++) ys[i] = linear(x, ws[i], biases == null ? null : biases[i]);
        return ys;
    }

    /** {@code Linear.forward(x, w, bias, y)} on the selected device. */
    public static void linear(Tensor x, Tensor w, Tensor bias, Tensor y) {
        CudaLinear g = current() == Kind.CUDA ? gpu : null;
        if (g != null && x.dtype() == DType.F32 && y.dtype() == DType.F32 && w.rank() == 2 && CudaLinear.supports(w.dtype())) {
            try {
                g.linear(x, w, bias, y);
                return;
            } catch (CudaException e) {
                if (!e.isOutOfMemory()) throw e;
                // One layer larger than the device can hold: this product runs on the CPU instead of failing.
            }
        }
        Linear.forward(x, w, bias, y);
    }
}
