package dev.omnigen2.runtime.cuda;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Half;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code Y = X·Wᵀ + b} on an NVIDIA GPU through cuBLAS, with the contract of {@link dev.omnigen2.runtime.Linear}:
 * X F32 [M, K] (leading dimensions flattened into M), W [N, K] in its stored dtype, b [N] or null, Y F32 [M, N].
 *
 * <h2>Row-major on a column-major library</h2>
 * Our matrices are row-major. A row-major [R, C] matrix is, byte for byte, its transpose in column-major order
 * ([C, R], leading dimension C). So row-major Y[M,N] is column-major Yᵀ[N,M], and Yᵀ = W·Xᵀ where the row-major
 * W[N,K] reads as column-major Wᵀ[K,N] (ld K) and X[M,K] as column-major Xᵀ[K,M] (ld K). Hence one call:
 * {@code gemm(transa=T, transb=N, m=N, n=M, k=K, A=W, lda=K, B=X, ldb=K, C=Y, ldc=N)}. A block of rows of X
 * maps to a block of columns of Yᵀ, which is how a call is split into chunks.
 *
 * <h2>Precision: BF16 inputs, FP32 accumulation (the default)</h2>
 * cublasGemmEx requires A and B of the same type (for CUBLAS_COMPUTE_32F: both BF16, both F16 or both F32). The
 * choice made here: BF16 weights stay BF16 on the device (half the memory of F32, tensor cores), and X is rounded
 * to BF16 on the host (round to nearest even) while it is staged, so each product term has a relative error of at
 * most 2⁻⁸ against the CPU kernel, which multiplies the F32 X by the BF16 weights exactly. That matches what
 * PyTorch does when it runs the reference model in bfloat16, at a tenth of the FP32 GEMM time on the GPU.
 * {@link Precision#F32} instead widens BF16 weights to F32 on upload (twice the device memory) and runs
 * cublasSgemm on F32 X, which agrees with the CPU kernel to float rounding. F16 weights are always widened to F32:
 * rounding activations to F16 could overflow (max 65504), and F16 checkpoints are rare here. F32 weights use
 * cublasSgemm. The bias is added on the host while the output is copied out of the pinned buffer.
 *
 * <h2>Memory</h2>
 * Weights are uploaded once, keyed by their host address, byte size and dtype, checked against a fingerprint of
 * sampled bytes so that memory reused for other data is uploaded afresh. Device memory is accounted against a
 * budget (by default what cudaMemGetInfo reports free when opened, less a reserve); when a weight does not fit,
 * the least recently used weights are freed first (model offload: layers are uploaded on demand), and a real
 * cudaErrorMemoryAllocation also evicts and retries. Activations go through page-locked host buffers and one stream:
 * X is converted and copied chunk by chunk, so the host prepares the next chunk while the device computes.
 *
 * <p>Instances are thread-safe (calls are serialized) and must be closed to free the device memory.
 */
public final class CudaLinear implements AutoCloseable {
    /** How the product is computed on the device; see the class comment. */
    public enum Precision { BF16, F32 }

    /**
     * @param precision    BF16 (GemmEx on BF16 weights and X rounded to BF16) or F32 (Sgemm, weights widened)
     * @param budgetBytes  device bytes this backend may hold (weights + activations); 0 = free memory at open less
     *                     a reserve of max(512 MiB, 5 % of the total)
     * @param device       the CUDA device ordinal
     */
    public record Options(Precision precision, long budgetBytes, int device) {
        public static final String PRECISION_PROPERTY = "omnigen2.cuda.precision";
        public static final String MEMORY_PROPERTY = "omnigen2.cuda.memory";
        public static final String DEVICE_PROPERTY = "omnigen2.cuda.device";

        public static Options defaults() { return new Options(Precision.BF16, 0, 0); }

        /** From {@code -Domnigen2.cuda.precision=bf16|f32}, {@code -Domnigen2.cuda.memory=24g}, {@code -Domnigen2.cuda.device=0}. */
        public static Options fromSystemProperties() {
            String p = System.getProperty(PRECISION_PROPERTY, "bf16");
            Precision precision = switch (p.toLowerCase()) {
                case "bf16" -> Precision.BF16;
                case "f32", "fp32" -> Precision.F32;
                default -> throw new IllegalArgumentException("-D" + PRECISION_PROPERTY + "=" + p + ": expected bf16 or f32");
            };
            return new Options(precision, parseBytes(System.getProperty(MEMORY_PROPERTY, "0")),
                    Integer.parseInt(System.getProperty(DEVICE_PROPERTY, "0")));
        }

        static long parseBytes(String s) {
            String t = s.trim().toLowerCase();
            long unit = 1;
            if (t.endsWith("g")) unit = 1L << 30;
            else if (t.endsWith("m")) unit = 1L << 20;
            else if (t.endsWith("k")) unit = 1L << 10;
            if (unit != 1) t = t.substring(0, t.length() - 1);
            try {
                return Long.parseLong(t) * unit;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + MEMORY_PROPERTY + "=" + s + ": expected bytes such as 24g or 512m");
            }
        }
    }

    /** Counters for logs and tests. */
    public record Stats(long gemmCalls, long uploads, long evictions, int residentWeights, long residentBytes,
                        long activationBytes, long budgetBytes) {}

    private record WeightKey(long address, long byteSize, DType dtype) {}

    private record DeviceWeight(long pointer, long bytes, int cudaType, long fingerprint) {}

    /** Rows of X per chunk: enough to keep the device busy, few enough that host staging overlaps it. */
    private static final int MIN_CHUNK_ROWS = 256;
    private static final long UPLOAD_STAGING_BYTES = 64L << 20;

    private final CudaRuntime rt;
    private final Cublas blas;
    private final Precision precision;
    private final long budget;
    private final long stream, handle;
    private final int device;
    /** The CUDA runtime's current device is per host thread: set it whenever a new thread calls in. */
    private Thread lastThread;
    private final LinkedHashMap<WeightKey, DeviceWeight> weights = new LinkedHashMap<>(64, 0.75f, true);
    private long residentBytes;
    private long deviceX, deviceXBytes, deviceY, deviceYBytes;
    private MemorySegment pinnedX, pinnedY, pinnedUpload;
    private long gemmCalls, uploads, evictions;
    private boolean closed;

    private CudaLinear(CudaRuntime rt, Cublas blas, Options options) {
        this.rt = rt;
        this.blas = blas;
        this.precision = options.precision();
        this.device = options.device();
        rt.setDevice(device);
        lastThread = Thread.currentThread();
        long[] info = rt.memGetInfo();
        long reserve = Math.max(512L << 20, info[1] / 20);
        this.budget = options.budgetBytes() > 0 ? options.budgetBytes() : Math.max(0, info[0] - reserve);
        long s = rt.streamCreate();
        long h;
        try {
            h = blas.create();
        } catch (RuntimeException e) {
            rt.streamDestroy(s);
            throw e;
        }
        try {
            blas.setStream(h, s);
        } catch (RuntimeException e) {
            blas.destroy(h);
            rt.streamDestroy(s);
            throw e;
        }
        this.stream = s;
        this.handle = h;
    }

    /** Opens the backend on an available status (see {@link CudaStatus#probe()}). */
    public static CudaLinear open(CudaStatus status, Options options) {
        if (!status.available()) throw new IllegalStateException(status.line());
        CudaStatus.Bindings b = CudaStatus.bind(status.libraries());
        return new CudaLinear(b.runtime(), b.blas(), options);
    }

    public Precision precision() { return precision; }

    /** True for the weight dtypes this backend multiplies (F32, BF16, F16). */
    public static boolean supports(DType weightType) {
        return weightType == DType.F32 || weightType == DType.BF16 || weightType == DType.F16;
    }

    public synchronized Stats stats() {
        return new Stats(gemmCalls, uploads, evictions, weights.size(), residentBytes, deviceXBytes + deviceYBytes, budget);
    }

    /** {@code y = x·wᵀ + bias} with the shapes and dtypes of {@code Linear.forward(x, w, bias, y)}. */
    public synchronized void linear(Tensor x, Tensor w, Tensor bias, Tensor y) {
        if (closed) throw new IllegalStateException("CudaLinear is closed");
        if (x.dtype() != DType.F32) throw new IllegalArgumentException("cuda linear: x must be F32, got " + x);
        if (y.dtype() != DType.F32) throw new IllegalArgumentException("cuda linear: y must be F32, got " + y);
        if (!supports(w.dtype())) throw new IllegalArgumentException("cuda linear: weight dtype " + w.dtype() + " not supported: " + w);
        if (w.rank() != 2) throw new IllegalArgumentException("cuda linear: weight must be [N, K], got " + w);
        int k = x.size(-1), n = w.size(0);
        if (w.size(1) != k) throw new IllegalArgumentException("linear: x " + x + " vs weight " + w);
        if (k == 0) throw new IllegalArgumentException("linear: x " + x + " has no features");
        long mLong = x.numel() / k;
        if (mLong > Integer.MAX_VALUE) throw new IllegalArgumentException("linear: too many rows in " + x);
        int m = (int) mLong;
        if (y.numel() != (long) m * n) throw new IllegalArgumentException("linear: output " + y + " for x " + x + " and weight " + w);
        if (bias != null && bias.numel() != n) throw new IllegalArgumentException("linear: bias " + bias + " for weight " + w);
        if (m == 0 || n == 0) return;
        onThisThread();

        boolean bf16 = precision == Precision.BF16 && w.dtype() == DType.BF16;
        int xElem = bf16 ? 2 : 4;
        long xBytes = (long) m * k * xElem, yBytes = (long) m * n * 4;
        ensureActivations(xBytes, yBytes);
        DeviceWeight dw = resident(w, bf16);

        int chunkRows = Math.max(MIN_CHUNK_ROWS, (m + 3) / 4);
        try {
            for (int r0 = 0; r0 < m; r0 += chunkRows) {
                int rows = Math.min(chunkRows, m - r0);
                long xOff = (long) r0 * k * xElem, yOff = (long) r0 * n * 4;
                stageRows(x, r0, rows, k, bf16);
                rt.memcpyAsync(deviceX + xOff, pinnedX.address() + xOff, (long) rows * k * xElem, CudaRuntime.HOST_TO_DEVICE, stream);
                if (bf16) {
                    blas.gemmEx(handle, Cublas.OP_T, Cublas.OP_N, n, rows, k, 1f, dw.pointer(), Cublas.R_16BF, k,
                            deviceX + xOff, Cublas.R_16BF, k, 0f, deviceY + yOff, Cublas.R_32F, n);
                } else {
                    blas.sgemm(handle, Cublas.OP_T, Cublas.OP_N, n, rows, k, 1f, dw.pointer(), k, deviceX + xOff, k, 0f,
                            deviceY + yOff, n);
                }
                gemmCalls++;
                rt.memcpyAsync(pinnedY.address() + yOff, deviceY + yOff, (long) rows * n * 4, CudaRuntime.DEVICE_TO_HOST, stream);
            }
        } catch (RuntimeException e) {
            // Copies already queued still read and write the pinned buffers: let them finish before anyone reuses them.
            try {
                rt.streamSynchronize(stream);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        rt.streamSynchronize(stream);
        copyOut(y, bias, m, n);
    }

    private void onThisThread() {
        Thread t = Thread.currentThread();
        if (t != lastThread) {
            rt.setDevice(device);
            lastThread = t;
        }
    }

    /** Copies rows [r0, r0+rows) of X into the pinned buffer, rounding to BF16 when the GEMM takes BF16. */
    private void stageRows(Tensor x, int r0, int rows, int k, boolean bf16) {
        MemorySegment src = x.data();
        if (!bf16) {
            MemorySegment.copy(src, (long) r0 * k * 4, pinnedX, (long) r0 * k * 4, (long) rows * k * 4);
            return;
        }
        MemorySegment dst = pinnedX;
        Parallel.forEach(rows, i -> {
            long row = (long) (r0 + i) * k;
            for (int t = 0; t < k; t++) {
                long e = row + t;
                dst.set(Tensor.I16, e * 2, Half.f32ToBf16(src.get(Tensor.F32, e * 4)));
            }
        });
    }

    private void copyOut(Tensor y, Tensor bias, int m, int n) {
        MemorySegment dst = y.data(), src = pinnedY;
        if (bias == null) {
            MemorySegment.copy(src, 0, dst, 0, (long) m * n * 4);
            return;
        }
        float[] b = new float[n];
        for (int j = 0; j < n; j++) b[j] = bias.getFloat(j);
        Parallel.forEach(m, i -> {
            long row = (long) i * n * 4;
            for (int j = 0; j < n; j++) dst.set(Tensor.F32, row + j * 4L, src.get(Tensor.F32, row + j * 4L) + b[j]);
        });
    }

    /** Device and pinned buffers for X and Y at least this large; device memory comes first from the weights' LRU. */
    private void ensureActivations(long xBytes, long yBytes) {
        if (deviceXBytes < xBytes) {
            freeDevice(deviceX);
            deviceX = 0;
            deviceXBytes = 0;
            long size = grow(xBytes);
            deviceX = allocate(size, null);
            deviceXBytes = size;
        }
        if (deviceYBytes < yBytes) {
            freeDevice(deviceY);
            deviceY = 0;
            deviceYBytes = 0;
            long size = grow(yBytes);
            deviceY = allocate(size, null);
            deviceYBytes = size;
        }
        if (pinnedX == null || pinnedX.byteSize() < xBytes) {
            if (pinnedX != null) rt.freeHost(pinnedX);
            pinnedX = null;
            pinnedX = rt.mallocHost(grow(xBytes));
        }
        if (pinnedY == null || pinnedY.byteSize() < yBytes) {
            if (pinnedY != null) rt.freeHost(pinnedY);
            pinnedY = null;
            pinnedY = rt.mallocHost(grow(yBytes));
        }
    }

    /** Room for growth, so a slightly longer sequence does not reallocate: 1/8 more, rounded to 1 MiB. */
    private static long grow(long bytes) {
        long g = bytes + bytes / 8;
        return (g + (1 << 20) - 1) & -(1L << 20);
    }

    /** The device copy of a weight, uploading it (and evicting least recently used weights) when absent. */
    private DeviceWeight resident(Tensor w, boolean bf16) {
        MemorySegment seg = w.data();
        WeightKey key = new WeightKey(seg.address(), w.byteSize(), w.dtype());
        long fp = fingerprint(seg, w.byteSize());
        DeviceWeight dw = weights.get(key);
        if (dw != null && dw.fingerprint() == fp) return dw;
        if (dw != null) {
            weights.remove(key);
            release(dw);
        }
        long bytes = bf16 ? w.byteSize() : w.numel() * 4;
        long ptr = allocate(bytes, key);
        try {
            upload(w, ptr, bf16);
        } catch (RuntimeException e) {
            freeDevice(ptr);
            throw e;
        }
        dw = new DeviceWeight(ptr, bytes, bf16 ? Cublas.R_16BF : Cublas.R_32F, fp);
        weights.put(key, dw);
        residentBytes += bytes;
        uploads++;
        return dw;
    }

    private void upload(Tensor w, long ptr, boolean asIs) {
        MemorySegment seg = w.data();
        if ((asIs || w.dtype() == DType.F32) && seg.isNative()) {
            rt.memcpy(ptr, seg.address(), w.byteSize(), CudaRuntime.HOST_TO_DEVICE);
            return;
        }
        // Widen to F32 (or copy heap memory) through a pinned staging buffer, a chunk at a time.
        long total = w.numel();
        int outElem = asIs ? w.dtype().byteSize() : 4;
        if (pinnedUpload == null) pinnedUpload = rt.mallocHost(UPLOAD_STAGING_BYTES);
        MemorySegment stage = pinnedUpload;
        long perChunk = UPLOAD_STAGING_BYTES / 4;
        for (long e0 = 0; e0 < total; e0 += perChunk) {
            long count = Math.min(perChunk, total - e0);
            long first = e0;
            if (asIs) {
                MemorySegment.copy(seg, first * outElem, stage, 0, count * outElem);
            } else {
                int blocks = (int) Math.min(64, count);
                Parallel.forEach(blocks, bI -> {
                    long lo = count * bI / blocks, hi = count * (bI + 1) / blocks;
                    for (long e = lo; e < hi; e++) stage.set(Tensor.F32, e * 4, w.getFloat(first + e));
                });
            }
            rt.memcpy(ptr + first * outElem, stage.address(), count * outElem, CudaRuntime.HOST_TO_DEVICE);
        }
    }

    /**
     * Allocates device memory within the budget: least recently used weights are evicted first (never the one being
     * uploaded, which is not yet in the map), and an out-of-memory from the driver evicts one more and retries.
     */
    private long allocate(long bytes, WeightKey forWeight) {
        while (residentBytes + deviceXBytes + deviceYBytes + bytes > budget && evictOne()) { }
        while (true) {
            try {
                return rt.malloc(bytes);
            } catch (CudaException e) {
                if (!e.isOutOfMemory() || !evictOne()) {
                    throw new CudaException(e.function(), e.status(), e.statusText() + " while allocating " + bytes
                            + " bytes for " + (forWeight == null ? "activations" : "a weight of " + forWeight.byteSize()
                            + " bytes") + " (resident " + residentBytes + " bytes, budget " + budget + ")");
                }
            }
        }
    }

    private boolean evictOne() {
        Iterator<Map.Entry<WeightKey, DeviceWeight>> it = weights.entrySet().iterator();
        if (!it.hasNext()) return false;
        DeviceWeight dw = it.next().getValue();
        it.remove();
        release(dw);
        evictions++;
        return true;
    }

    private void release(DeviceWeight dw) {
        residentBytes -= dw.bytes();
        rt.free(dw.pointer());
    }

    private void freeDevice(long ptr) {
        if (ptr != 0) rt.free(ptr);
    }

    /** A hash of 64 bytes sampled across the weight (ends included): cheap, and changes when the memory is reused. */
    private static long fingerprint(MemorySegment seg, long bytes) {
        long h = bytes * 0x9E3779B97F4A7C15L;
        int samples = (int) Math.min(64, bytes);
        for (int i = 0; i < samples; i++) {
            long at = samples == 1 ? 0 : (bytes - 1) * i / (samples - 1);
            h = (h ^ seg.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at)) * 0x100000001B3L;
        }
        return h;
    }

    /** Frees every device and pinned buffer, the stream and the cuBLAS handle. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        onThisThread();
        RuntimeException first = null;
        for (DeviceWeight dw : weights.values()) first = attempt(first, () -> rt.free(dw.pointer()));
        weights.clear();
        residentBytes = 0;
        long dx = deviceX, dy = deviceY;
        first = attempt(first, () -> freeDevice(dx));
        first = attempt(first, () -> freeDevice(dy));
        deviceX = deviceY = 0;
        deviceXBytes = deviceYBytes = 0;
        for (MemorySegment p : new MemorySegment[] {pinnedX, pinnedY, pinnedUpload}) {
            if (p != null) first = attempt(first, () -> rt.freeHost(p));
        }
        pinnedX = pinnedY = pinnedUpload = null;
        first = attempt(first, () -> blas.destroy(handle));
        first = attempt(first, () -> rt.streamDestroy(stream));
        if (first != null) throw first;
    }

    private static RuntimeException attempt(RuntimeException first, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            if (first == null) return e;
            first.addSuppressed(e);
        }
        return first;
    }
}
