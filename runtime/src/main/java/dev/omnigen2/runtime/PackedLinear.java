package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * {@link Linear} for many rows of X: a cache-blocked GEMM around a register tile of {@link LinearKernels#MR} rows
 * × two vectors of columns.
 *
 * <p>Blocking (per call): K is cut into as few passes as possible (at most {@link #KC_MAX} steps each), because each
 * pass reloads and stores Y. For each pass and block of columns (as many as fit {@link #B_BYTES}), the weights are
 * packed once into panels of 2·lanes columns ([kc][2·lanes]: F32 for F32/F16 weights, BF16 pairs in ints for BF16
 * so the panels stay half size and widen in registers), and X into panels of MR rows ([kc][MR], blocks of
 * {@link #A_BYTES}), both shared by all threads; tasks of {@link #MC} X rows × a run of weight panels then sweep each
 * weight panel (kept in L1/L2) over their X panels (streamed).
 * Each output element belongs to one tile and accumulates its K blocks in order, so results do not depend on the
 * number of threads.
 */
final class PackedLinear {
    /**
     * Most K steps per pass. Each pass reloads and stores all of Y; measured here, a single pass over K=2520 beat
     * 512-step passes by ~25% (the Y round trips miss the caches), so passes are as long as the buffers allow.
     */
    static final int KC_MAX = Integer.getInteger("omnigen2.linear.kc", 4096);
    /** X rows per task (a multiple of MR). */
    static final int MC = Integer.getInteger("omnigen2.linear.mc", 16 * LinearKernels.MR);
    /** Bytes of packed weights per column block (shared by all threads; X is repacked once per block). */
    static final long B_BYTES = 24L << 20;
    /** Bytes of packed X per row block (shared by all threads). */
    static final long A_BYTES = 16L << 20;
    /** Columns per compute task: enough tasks for balance. */
    static final int TASK_COLS = Integer.getInteger("omnigen2.linear.taskCols", 512);
    /** A panels packed per parallel work item. */
    private static final int A_GROUP = 8;

    /** Scratch for tiles cut by the edge of Y: MR rows of up to 64 columns (two 1024-bit vectors). */
    private static final ThreadLocal<MemorySegment> EDGE =
            ThreadLocal.withInitial(() -> java.lang.foreign.Arena.ofAuto().allocate(4L * LinearKernels.MR * 64, 64));
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);

    private PackedLinear() {}

    /** Block sizes; tests shrink them to cross every block boundary on small shapes. */
    record Blocking(int kcMax, int mc, long bBytes, long aBytes, int taskCols) {
        static final Blocking DEFAULT = new Blocking(KC_MAX, MC, B_BYTES, A_BYTES, TASK_COLS);

        Blocking {
            if (kcMax < 1 || mc < 1 || mc % LinearKernels.MR != 0 || taskCols < 1)
                throw new IllegalArgumentException("bad linear blocking " + kcMax + "/" + mc + "/" + taskCols);
        }
    }

    static void run(LinearKernels kern, MemorySegment x, Tensor wt, float[] bias, MemorySegment y, int m, int k, int n) {
        run(kern, x, wt, bias, y, m, k, n, Blocking.DEFAULT);
    }

    static void run(LinearKernels kern, MemorySegment x, Tensor wt, float[] bias, MemorySegment y, int m, int k, int n,
                    Blocking blk) {
        int kcLimit = blk.kcMax(), rowsPerTask = blk.mc();
        int lanes = kern.lanes(), nr = 2 * lanes, mr = LinearKernels.MR;
        boolean bf16 = wt.dtype() == DType.BF16;
        MemorySegment w = wt.data();
        int passes = (k + kcLimit - 1) / kcLimit, kcMax = (k + passes - 1) / passes;
        int ncMax = (int) Math.max(nr, Math.min((long) (n + nr - 1) / nr * nr,
                blk.bBytes() / ((long) kcMax * (bf16 ? 2 : 4)) / nr * nr));
        int msMax = (int) Math.max(rowsPerTask, Math.min((long) (m + rowsPerTask - 1) / rowsPerTask * rowsPerTask, blk.aBytes() / (4L * kcMax) / rowsPerTask * rowsPerTask));
        int maxPanels = ncMax / nr;
        float[] bF = bf16 ? null : new float[maxPanels * kcMax * nr];
        int[] bI = bf16 ? new int[maxPanels * kcMax * lanes] : null;
        float[] a = new float[msMax * kcMax];
        long ldc = 4L * n;
        for (int jc = 0; jc < n; jc += ncMax) {
            int nc = Math.min(ncMax, n - jc), panels = (nc + nr - 1) / nr;
            int panelsPerTask = Math.max(1, blk.taskCols() / nr);
            int chunks = (panels + panelsPerTask - 1) / panelsPerTask;
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc), p0 = pc, j0c = jc;
                boolean accumulate = pc > 0;
                Parallel.forEach(panels, p -> {
                    if (bf16) packBF16(w, k, n, j0c + p * nr, p0, kc, lanes, bI, p * kc * lanes);
                    else packFloat(wt, k, n, j0c + p * nr, p0, kc, nr, bF, p * kc * nr);
                });
                for (int is = 0; is < m; is += msMax) {
                    int ms = Math.min(msMax, m - is), i0s = is;
                    int aPanels = (ms + mr - 1) / mr, aGroups = (aPanels + A_GROUP - 1) / A_GROUP;
                    Parallel.forEach(aGroups, g -> {
                        for (int q = g * A_GROUP; q < Math.min(aPanels, (g + 1) * A_GROUP); q++)
                            packA(x, m, k, i0s, q, p0, kc, a);
                    });
                    int blocks = (ms + rowsPerTask - 1) / rowsPerTask;
                    Parallel.forEach(blocks * chunks, task -> {
                        int ib = (task / chunks) * rowsPerTask, mc = Math.min(rowsPerTask, ms - ib);
                        int pFrom = (task % chunks) * panelsPerTask, pTo = Math.min(panels, pFrom + panelsPerTask);
                        for (int p = pFrom; p < pTo; p++) {
                            int j = j0c + p * nr, cols = Math.min(nr, n - j);
                            for (int ir = ib; ir < ib + mc; ir += mr) {
                                int rows = Math.min(mr, ms - ir);
                                long co = ((long) (i0s + ir) * n + j) * 4L;
                                if (rows == mr && cols == nr) {
                                    if (bf16) kern.tileBF16(a, ir * kc, bI, p * kc * lanes, kc, y, co, ldc, accumulate, bias, j);
                                    else kern.tileF32(a, ir * kc, bF, p * kc * nr, kc, y, co, ldc, accumulate, bias, j);
                                } else {
                                    edgeTile(kern, bf16, a, ir * kc, bF, bI, p * kc * (bf16 ? lanes : nr), kc, y, co, ldc,
                                            rows, cols, nr, accumulate, bias, j);
                                }
                            }
                        }
                    });
                }
            }
        }
    }

    /** A tile cut by the edge of Y, computed whole into scratch and copied back in part. */
    private static void edgeTile(LinearKernels kern, boolean bf16, float[] a, int ao, float[] bF, int[] bI, int bo, int kc,
                                 MemorySegment y, long co, long ldc, int rows, int cols, int nr, boolean accumulate,
                                 float[] bias, int j) {
        // Native scratch: the vector loads and stores are only intrinsified for native (or byte[]) segments, a
        // float[] segment would fall back to Java code.
        MemorySegment e = EDGE.get();
        e.fill((byte) 0);
        if (accumulate)
            for (int r = 0; r < rows; r++) MemorySegment.copy(y, co + r * ldc, e, 4L * r * nr, 4L * cols);
        if (bf16) kern.tileBF16(a, ao, bI, bo, kc, e, 0, 4L * nr, accumulate, bias, j);
        else kern.tileF32(a, ao, bF, bo, kc, e, 0, 4L * nr, accumulate, bias, j);
        for (int r = 0; r < rows; r++) MemorySegment.copy(e, 4L * r * nr, y, co + r * ldc, 4L * cols);
    }

    /** X rows is + [q·MR, q·MR+MR) × K [p0, p0+kc) into A panel q ([kc][MR] at q·MR·kc), zero rows past M. */
    private static void packA(MemorySegment x, int m, int k, int is, int q, int p0, int kc, float[] a) {
        int mr = LinearKernels.MR, base = q * mr * kc;
        float[] rows = ROWS.get();
        if (rows.length < mr * kc) ROWS.set(rows = new float[mr * kc]);
        for (int r = 0; r < mr; r++) {
            int i = is + q * mr + r;
            if (i < m) MemorySegment.copy(x, Tensor.F32, 4L * ((long) i * k + p0), rows, r * kc, kc);
            else java.util.Arrays.fill(rows, r * kc, (r + 1) * kc, 0f);
        }
        interleave(rows, mr, kc, a, base);
    }

    /** Weight rows [j, j+nr) × K [p0, p0+kc) as F32 into [kc][nr], zero columns past N. */
    private static void packFloat(Tensor wt, int k, int n, int j, int p0, int kc, int nr, float[] dst, int base) {
        MemorySegment w = wt.data();
        boolean f16 = wt.dtype() == DType.F16;
        float[] rows = ROWS.get();
        if (rows.length < nr * kc) ROWS.set(rows = new float[nr * kc]);
        short[] half = f16 ? new short[kc] : null;
        for (int c = 0; c < nr; c++) {
            int at = c * kc;
            if (j + c >= n) {
                java.util.Arrays.fill(rows, at, at + kc, 0f);
            } else if (f16) {
                MemorySegment.copy(w, Tensor.I16, 2L * ((long) (j + c) * k + p0), half, 0, kc);
                for (int t = 0; t < kc; t++) rows[at + t] = Float.float16ToFloat(half[t]);
            } else {
                MemorySegment.copy(w, Tensor.F32, 4L * ((long) (j + c) * k + p0), rows, at, kc);
            }
        }
        interleave(rows, nr, kc, dst, base);
    }

    /**
     * dst[base + t·width + c] = rows[c·kc + t]: a transpose done in blocks of {@link #T_BLOCK} steps of K, so the
     * part of the panel being written stays in L1 (a whole column at a time touched one cache line per step,
     * width times over a panel that only fits L2).
     */
    private static void interleave(float[] rows, int width, int kc, float[] dst, int base) {
        for (int t0 = 0; t0 < kc; t0 += T_BLOCK) {
            int t1 = Math.min(kc, t0 + T_BLOCK);
            for (int c = 0; c < width; c++) {
                int src = c * kc, d = base + c;
                for (int t = t0; t < t1; t++) dst[d + t * width] = rows[src + t];
            }
        }
    }

    /**
     * BF16 weight rows [j, j+2·lanes) × K [p0, p0+kc) into [kc][lanes] ints: column l low, column lanes+l high.
     * The rows are copied out first, then interleaved in blocks of {@link #T_BLOCK} steps of K, as {@link #interleave}.
     */
    private static void packBF16(MemorySegment w, int k, int n, int j, int p0, int kc, int lanes, int[] dst, int base) {
        short[] rows = BF16_ROWS.get();
        if (rows.length < 2 * lanes * kc) BF16_ROWS.set(rows = new short[2 * lanes * kc]);
        for (int c = 0; c < 2 * lanes; c++) row(w, k, n, j + c, p0, kc, rows, c * kc);
        for (int t0 = 0; t0 < kc; t0 += T_BLOCK) {
            int t1 = Math.min(kc, t0 + T_BLOCK);
            for (int l = 0; l < lanes; l++) {
                int lo = l * kc, hi = (lanes + l) * kc, d = base + l;
                for (int t = t0; t < t1; t++) dst[d + t * lanes] = (rows[lo + t] & 0xFFFF) | (rows[hi + t] << 16);
            }
        }
    }

    /** Steps of K transposed at a time by the packers: 64 steps × 16–32 columns × 4 bytes = 4–8 KB of panel. */
    private static final int T_BLOCK = 64;
    private static final ThreadLocal<short[]> BF16_ROWS = ThreadLocal.withInitial(() -> new short[0]);

    private static void row(MemorySegment w, int k, int n, int j, int p0, int kc, short[] dst, int at) {
        if (j < n) MemorySegment.copy(w, Tensor.I16, 2L * ((long) j * k + p0), dst, at, kc);
        else java.util.Arrays.fill(dst, at, at + kc, (short) 0);
    }
}
