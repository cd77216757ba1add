package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;

/**
 * {@link Linear} for many rows of X: a cache-blocked GEMM around a register tile of {@link LinearKernels#MR} rows
 * × two vectors of columns.
 *
 * <p>Blocking (per call): for each block of {@link #NC} output columns and {@link #KC} steps of K, the weights are
 * packed once into panels of 2·lanes columns ([kc][2·lanes], F32 for F32/F16 weights, BF16 pairs in ints for BF16 so
 * the panels stay half size and widen in registers) shared by all threads (L3); then tasks of {@link #MC} X rows ×
 * a run of panels pack their X block ([kc][MR] per panel, L2) and sweep it under each weight panel (L1).
 * Each output element belongs to one tile and accumulates its K blocks in order, so results do not depend on the
 * number of threads.
 */
final class PackedLinear {
    static final int KC = Integer.getInteger("omnigen2.linear.kc", 512);
    static final int MC = Integer.getInteger("omnigen2.linear.mc", 32 * LinearKernels.MR);
    static final int NC = 4096;
    /** Columns per compute task: enough tasks for balance, few enough that each packs its X block rarely. */
    static final int TASK_COLS = Integer.getInteger("omnigen2.linear.taskCols", 1024);

    private static final ThreadLocal<float[]> A_BLOCK = ThreadLocal.withInitial(() -> new float[MC * KC]);
    /** Scratch for tiles cut by the edge of Y: MR rows of up to 64 columns (two 1024-bit vectors). */
    private static final ThreadLocal<MemorySegment> EDGE =
            ThreadLocal.withInitial(() -> java.lang.foreign.Arena.ofAuto().allocate(4L * LinearKernels.MR * 64, 64));
    private static final ThreadLocal<float[]> A_ROW = ThreadLocal.withInitial(() -> new float[KC]);

    private PackedLinear() {}

    static void run(LinearKernels kern, MemorySegment x, Tensor wt, float[] bias, MemorySegment y, int m, int k, int n) {
        int lanes = kern.lanes(), nr = 2 * lanes, mr = LinearKernels.MR;
        boolean bf16 = wt.dtype() == DType.BF16;
        MemorySegment w = wt.data();
        int maxPanels = (Math.min(NC, n) + nr - 1) / nr;
        float[] bF = bf16 ? null : new float[maxPanels * KC * nr];
        int[] bI = bf16 ? new int[maxPanels * KC * lanes] : null;
        long ldc = 4L * n;
        for (int jc = 0; jc < n; jc += NC) {
            int nc = Math.min(NC, n - jc), panels = (nc + nr - 1) / nr;
            int panelsPerTask = Math.max(1, TASK_COLS / nr);
            int chunks = (panels + panelsPerTask - 1) / panelsPerTask;
            int blocks = (m + MC - 1) / MC;
            for (int pc = 0; pc < k; pc += KC) {
                int kc = Math.min(KC, k - pc), p0 = pc, j0c = jc;
                Parallel.forEach(panels, p -> {
                    if (bf16) packBF16(w, k, n, j0c + p * nr, p0, kc, lanes, bI, p * kc * lanes);
                    else packFloat(wt, k, n, j0c + p * nr, p0, kc, nr, bF, p * kc * nr);
                });
                boolean accumulate = pc > 0;
                Parallel.forEach(blocks * chunks, task -> {
                    int i0 = (task / chunks) * MC, mc = Math.min(MC, m - i0);
                    int pFrom = (task % chunks) * panelsPerTask, pTo = Math.min(panels, pFrom + panelsPerTask);
                    float[] a = A_BLOCK.get();
                    packA(x, k, i0, mc, p0, kc, a, A_ROW.get());
                    for (int p = pFrom; p < pTo; p++) {
                        int j = j0c + p * nr, cols = Math.min(nr, n - j);
                        for (int ir = 0; ir < mc; ir += mr) {
                            int rows = Math.min(mr, mc - ir);
                            long co = ((long) (i0 + ir) * n + j) * 4L;
                            if (rows == mr && cols == nr) {
                                if (bf16) kern.tileBF16(a, ir * kc, bI, p * kc * lanes, kc, y, co, ldc, accumulate, bias, j);
                                else kern.tileF32(a, ir * kc, bF, p * kc * nr, kc, y, co, ldc, accumulate, bias, j);
                            } else {
                                // A native scratch tile: the vector loads and stores are only intrinsified for
                                // native (or byte[]) segments, a float[] segment would fall back to Java code.
                                MemorySegment e = EDGE.get();
                                e.fill((byte) 0);
                                if (accumulate)
                                    for (int r = 0; r < rows; r++)
                                        MemorySegment.copy(y, co + r * ldc, e, 4L * r * nr, 4L * cols);
                                if (bf16) kern.tileBF16(a, ir * kc, bI, p * kc * lanes, kc, e, 0, 4L * nr, accumulate, bias, j);
                                else kern.tileF32(a, ir * kc, bF, p * kc * nr, kc, e, 0, 4L * nr, accumulate, bias, j);
                                for (int r = 0; r < rows; r++)
                                    MemorySegment.copy(e, 4L * r * nr, y, co + r * ldc, 4L * cols);
                            }
                        }
                    }
                });
            }
        }
    }

    /** X rows [i0, i0+mc) × K [p0, p0+kc) into panels of MR rows, [kc][MR] each, zero rows past M. */
    private static void packA(MemorySegment x, int k, int i0, int mc, int p0, int kc, float[] a, float[] row) {
        int mr = LinearKernels.MR;
        for (int ir = 0; ir < mc; ir += mr) {
            int base = ir * kc;
            for (int r = 0; r < mr; r++) {
                if (ir + r < mc) {
                    MemorySegment.copy(x, Tensor.F32, 4L * ((long) (i0 + ir + r) * k + p0), row, 0, kc);
                    for (int t = 0; t < kc; t++) a[base + t * mr + r] = row[t];
                } else {
                    for (int t = 0; t < kc; t++) a[base + t * mr + r] = 0f;
                }
            }
        }
    }

    /** Weight rows [j, j+nr) × K [p0, p0+kc) as F32 into [kc][nr], zero columns past N. */
    private static void packFloat(Tensor wt, int k, int n, int j, int p0, int kc, int nr, float[] dst, int base) {
        MemorySegment w = wt.data();
        boolean f16 = wt.dtype() == DType.F16;
        float[] row = new float[kc];
        short[] half = f16 ? new short[kc] : null;
        for (int c = 0; c < nr; c++) {
            if (j + c < n) {
                long off = (long) (j + c) * k + p0;
                if (f16) {
                    MemorySegment.copy(w, Tensor.I16, 2L * off, half, 0, kc);
                    for (int t = 0; t < kc; t++) row[t] = Float.float16ToFloat(half[t]);
                } else {
                    MemorySegment.copy(w, Tensor.F32, 4L * off, row, 0, kc);
                }
                for (int t = 0; t < kc; t++) dst[base + t * nr + c] = row[t];
            } else {
                for (int t = 0; t < kc; t++) dst[base + t * nr + c] = 0f;
            }
        }
    }

    /** BF16 weight rows [j, j+2·lanes) × K [p0, p0+kc) into [kc][lanes] ints: column l low, column lanes+l high. */
    private static void packBF16(MemorySegment w, int k, int n, int j, int p0, int kc, int lanes, int[] dst, int base) {
        short[] lo = new short[kc], hi = new short[kc];
        for (int l = 0; l < lanes; l++) {
            row(w, k, n, j + l, p0, kc, lo);
            row(w, k, n, j + lanes + l, p0, kc, hi);
            for (int t = 0; t < kc; t++) dst[base + t * lanes + l] = (lo[t] & 0xFFFF) | (hi[t] << 16);
        }
    }

    private static void row(MemorySegment w, int k, int n, int j, int p0, int kc, short[] dst) {
        if (j < n) MemorySegment.copy(w, Tensor.I16, 2L * ((long) j * k + p0), dst, 0, kc);
        else java.util.Arrays.fill(dst, (short) 0);
    }
}
