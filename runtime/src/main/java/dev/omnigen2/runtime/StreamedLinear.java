package dev.omnigen2.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * {@link Linear} for few rows of X (decoding, short prompts): the time goes into reading the weights, so they are
 * read once, straight from where they are stored, by several independent row streams per thread, widened to F32 in
 * registers and dotted with every X row while they sit in cache. No packing.
 *
 * <p>Work unit: a fixed group of weight rows (output columns); within it, blocks of 4 (or 1) X rows × 4 weight rows,
 * each dot product over the whole of K in one fixed order, so any thread count gives the same bits.
 */
final class StreamedLinear {
    private StreamedLinear() {}

    /**
     * Weight bytes per task when decoding (M ≤ 4): 1 MiB = 256 BF16 rows of K=2048 (4 streams of 64 rows; 43 tasks
     * at N=11008). Counted in bytes, not rows, so that long rows (down projection, K=11008: 44 rows, 47 tasks
     * instead of 8 tasks of 5.6 MB) still give enough tasks for the last one not to leave a core idle.
     */
    static volatile long decodeGroupBytes = Long.getLong("omnigen2.linear.decodeGroupBytes", 1L << 20);

    /** Weight rows per task: for few X rows {@link #decodeGroupBytes} worth (a multiple of 4, at least 4), else 64. */
    static int groupRows(int m, int k, DType dtype) {
        if (m > 4) return 64;
        long rowBytes = Math.max(1L, (long) k * dtype.byteSize());
        return (int) Math.max(4, Math.min(1 << 20, decodeGroupBytes / rowBytes / 4 * 4));
    }

    /** Converted F16 weight rows, one buffer per worker thread. */
    private static final ThreadLocal<MemorySegment[]> F16_ROWS = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    /** One product of a batch: weights [n, k], bias padded (or null), output [m, n]. */
    record Product(Tensor w, float[] bias, MemorySegment y, int n) {}

    static void run(LinearKernels kern, MemorySegment x, Tensor wt, float[] bias, MemorySegment y, int m, int k, int n) {
        runAll(kern, x, new Product[] {new Product(wt, bias, y, n)}, m, k);
    }

    /**
     * Every product of one x [m, k] in one pass over the worker pool: the tasks of all products (groups of weight
     * rows) in one list, so a decode step forks and joins once for q, k and v (or gate and up) instead of once per
     * product, and the small products (256-row k/v projections: one task each) run beside the others instead of
     * leaving a thread idle. Each task computes exactly what it computes alone, so the results do not change.
     */
    static void runAll(LinearKernels kern, MemorySegment x, Product[] products, int m, int k) {
        int lanes = kern.lanes();
        boolean anyBF16 = false, anyOther = false;
        for (Product p : products) {
            if (p.w().dtype() == DType.BF16) anyBF16 = true;
            else anyOther = true;
        }
        float[] xp = anyBF16 ? new float[m * k] : null, xf = anyOther ? new float[m * k] : null;
        for (int i = 0; i < m; i++) {
            if (anyBF16) LinearKernels.packBF16Row(lanes, x, 4L * i * k, k, xp, i * k);
            if (anyOther) MemorySegment.copy(x, Tensor.F32, 4L * i * k, xf, i * k, k);
        }
        // Weight rows per task: for one to four X rows (decoding) large, so that each task's four streams (below)
        // are long sequential reads the hardware prefetchers follow; for more X rows small enough that the group
        // stays in L2 while every X row passes over it.
        int[] group = new int[products.length], firstTask = new int[products.length + 1];
        for (int p = 0; p < products.length; p++) {
            group[p] = groupRows(m, k, products[p].w().dtype());
            firstTask[p + 1] = firstTask[p] + (products[p].n() + group[p] - 1) / group[p];
        }
        Parallel.forEach(firstTask[products.length], t -> {
            int p = 0;
            while (t >= firstTask[p + 1]) p++;
            Product prod = products[p];
            boolean bf16 = prod.w().dtype() == DType.BF16;
            rowGroup(kern, bf16 ? xp : xf, prod.w(), prod.bias(), prod.y(), m, k, prod.n(), group[p], t - firstTask[p]);
        });
    }

    /** Output columns [task·group, (task+1)·group) of one product, for every x row. */
    private static void rowGroup(LinearKernels kern, float[] xp, Tensor wt, float[] bias, MemorySegment y, int m, int k,
                                 int n, int group, int task) {
        DType dtype = wt.dtype();
        boolean bf16 = dtype == DType.BF16;
        MemorySegment w = wt.data();
        int j0 = task * group, j1 = Math.min(n, j0 + group);
        MemorySegment rows = w;
        long rowBytes = (long) k * dtype.byteSize(), base = j0 * rowBytes;
        if (dtype == DType.F16) {
            rows = f16Rows(w, j0, j1, k);
            rowBytes = 4L * k;
            base = 0;
        }
        float[] out = new float[kern.dotScratch()];
        for (int i = 0; i < m; ) {
            int r = m - i >= 4 ? 4 : 1;
            // The four weight rows dotted together come from four quarters of the group, each quarter read
            // front to back: four long sequential streams in flight instead of four adjacent 4 KB rows that
            // restart the prefetchers every step (decode 22 -> 33 GB/s on one core). Each row's dot product
            // is computed alone in a fixed order, so which rows share a step does not change any bit.
            int q = (j1 - j0 + 3) / 4;
            for (int s = 0; s < q; s++) {
                int j = j0 + s;
                long o0 = base + (j - j0) * rowBytes;
                long o1 = base + (Math.min(j + q, j1 - 1) - j0) * rowBytes;
                long o2 = base + (Math.min(j + 2 * q, j1 - 1) - j0) * rowBytes;
                long o3 = base + (Math.min(j + 3 * q, j1 - 1) - j0) * rowBytes;
                if (bf16) kern.dotBF16(r, xp, i * k, k, rows, o0, o1, o2, o3, k, out);
                else kern.dotF32(r, xp, i * k, k, rows, o0, o1, o2, o3, k, out);
                for (int a = 0; a < r; a++)
                    for (int c = 0; c < 4; c++) {
                        int jc = j + c * q;
                        if (jc >= j1) break;
                        y.setAtIndex(Tensor.F32, (long) (i + a) * n + jc,
                                bias == null ? out[a * 4 + c] : out[a * 4 + c] + bias[jc]);
                    }
            }
            i += r;
        }
    }

    /** Weight rows [j0, j1) of an F16 matrix widened to F32 into this thread's buffer. */
    private static MemorySegment f16Rows(MemorySegment w, int j0, int j1, int k) {
        MemorySegment[] holder = F16_ROWS.get();
        long need = 4L * (j1 - j0) * k;
        if (holder[0] == null || holder[0].byteSize() < need) holder[0] = Arena.ofAuto().allocate(need, 64);
        MemorySegment buf = holder[0];
        short[] row = new short[k];
        for (int j = j0; j < j1; j++) {
            MemorySegment.copy(w, Tensor.I16, 2L * j * k, row, 0, k);
            long o = 4L * (j - j0) * k;
            for (int t = 0; t < k; t++) buf.set(Tensor.F32, o + 4L * t, Float.float16ToFloat(row[t]));
        }
        return buf;
    }
}
