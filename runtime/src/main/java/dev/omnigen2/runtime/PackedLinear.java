package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * {@link Linear} for many rows of X: a cache-blocked GEMM around a register tile of {@link LinearKernels#mr} rows
 * × two vectors of columns.
 *
 * <p>Blocking (per call): X is taken in blocks of up to {@link #ROW_BLOCK} rows, and K in as few passes as possible
 * (at most {@link #KC_MAX} steps each; each pass reloads and stores the block's Y). For each block and pass, X is
 * packed into panels of mr rows ([kc][mr], shared by all threads, kept in L3); then each task takes one panel of
 * 2·lanes weight columns, packs it into a buffer of its own that stays in L2, and sweeps it over all the X panels.
 * The weights thus go from where they are stored (memory-mapped, in their dtype) straight into the tile: F32 panels
 * [kc][2·lanes] for F32/F16 weights; for BF16, ints holding two adjacent K steps of a column,
 * [(kc+1)/2][2·lanes], half the size of F32, widened in registers with one shift or one AND, and laid out by an int
 * transpose of the stored rows ({@link LinearKernels#transposePanel}, a gather per vector).
 *
 * <p>Each output element belongs to one tile and accumulates its K passes in order, so results do not depend on
 * the number of threads, the tile height or the row blocking.
 */
final class PackedLinear {
    /**
     * Most K steps per pass. Each pass reloads and stores the block's Y, so passes are long (a single pass over
     * K=2520 beat 512-step passes by ~25 %), but the X panels must stay in L3 while every weight panel sweeps them:
     * at K=10240, four passes of 2560 steps beat three of 3414 by 4–7 % (2 threads, 8-row tiles).
     */
    static final int KC_MAX = Integer.getInteger("omnigen2.linear.kc", 2560);
    /**
     * Rows of X per block, nominally ({@link #blockRows} evens the blocks out). Every block packs the weights again
     * (a gather transpose from memory into L2), and its packed X ([rows][kc] floats, 10 MB at 1024 × 2560) is swept
     * once per weight panel, so it must stay in L3. Measured here, 2 threads, K=2048 N=11008: 1024-row blocks 510
     * GFLOP/s, 2048 rows 414.
     */
    static final int ROW_BLOCK = Integer.getInteger("omnigen2.linear.rowBlock", 1024);
    /** X panels packed per parallel work item. */
    private static final int A_GROUP = 8;

    /**
     * A thread's buffers: the packed X of the products it calls (the pool's workers fill and read it during the
     * call), the weight panel of its current task, the rows it is transposing, and a tile cut by the edge of Y (up
     * to 8 rows of up to 64 columns, two 1024-bit vectors; native, because the vector loads and stores are only
     * intrinsified for native or byte[] segments).
     */
    private static final class Scratch {
        float[] a = new float[0], panelF = new float[0], rowsF = new float[0];
        int[] panelI = new int[0], rowsI = new int[0];
        final MemorySegment edge = java.lang.foreign.Arena.ofAuto().allocate(4L * 8 * 64, 64);

        static float[] grow(float[] b, int n) { return b.length >= n ? b : new float[n]; }

        static int[] grow(int[] b, int n) { return b.length >= n ? b : new int[n]; }
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private PackedLinear() {}

    /** Block sizes; tests shrink them to cross every block boundary on small shapes. */
    record Blocking(int kcMax, int rowBlock) {
        static final Blocking DEFAULT = new Blocking(KC_MAX, ROW_BLOCK);

        Blocking {
            if (kcMax < 1 || rowBlock < 1) throw new IllegalArgumentException("bad linear blocking " + kcMax + "/" + rowBlock);
        }
    }

    static void run(LinearKernels kern, MemorySegment x, Tensor wt, float[] bias, MemorySegment y, int m, int k, int n) {
        run(kern, x, wt, bias, y, m, k, n, Blocking.DEFAULT);
    }

    static void run(LinearKernels kern, MemorySegment x, Tensor wt, float[] bias, MemorySegment y, int m, int k, int n,
                    Blocking blk) {
        int nr = 2 * kern.lanes(), mr = kern.mr();
        boolean bf16 = wt.dtype() == DType.BF16;
        int passes = (k + blk.kcMax() - 1) / blk.kcMax(), kcMax = (k + passes - 1) / passes;
        int blockRows = blockRows(m, blk.rowBlock(), mr);
        int panels = (n + nr - 1) / nr, panelMax = bf16 ? (kcMax + 1) / 2 * nr : kcMax * nr;
        // BF16 tiles step K in pairs: an odd pass gets a zero step in its X panels (its weights are zero too).
        Scratch caller = SCRATCH.get();
        float[] a = caller.a = Scratch.grow(caller.a, (blockRows + mr - 1) / mr * mr * (kcMax + 1));
        long ldc = 4L * n;
        for (int i0 = 0; i0 < m; i0 += blockRows) {
            int ms = Math.min(blockRows, m - i0), ib = i0;
            int aPanels = (ms + mr - 1) / mr, aGroups = (aPanels + A_GROUP - 1) / A_GROUP;
            for (int pc = 0; pc < k; pc += kcMax) {
                int kc = Math.min(kcMax, k - pc), p0 = pc, kcA = bf16 ? (kc + 1) & ~1 : kc;
                boolean accumulate = pc > 0;
                Parallel.forEach(aGroups, g -> {
                    for (int q = g * A_GROUP; q < Math.min(aPanels, (g + 1) * A_GROUP); q++)
                        packA(x, m, k, ib, q, p0, kc, kcA, mr, a);
                });
                Parallel.forEach(panels, p -> {
                    int j = p * nr, cols = Math.min(nr, n - j);
                    Scratch sc = SCRATCH.get();
                    int[] bI = bf16 ? (sc.panelI = Scratch.grow(sc.panelI, panelMax)) : null;
                    float[] bF = bf16 ? null : (sc.panelF = Scratch.grow(sc.panelF, panelMax));
                    if (bf16) packBF16(kern, wt.data(), k, n, j, p0, kc, nr, bI);
                    else packFloat(wt, k, n, j, p0, kc, nr, bF);
                    for (int ir = 0; ir < ms; ir += mr) {
                        int rows = Math.min(mr, ms - ir);
                        long co = ((long) (ib + ir) * n + j) * 4L;
                        if (rows == mr && cols == nr) {
                            if (bf16) kern.tileBF16(a, ir * kcA, bI, 0, kc, y, co, ldc, accumulate, bias, j);
                            else kern.tileF32(a, ir * kc, bF, 0, kc, y, co, ldc, accumulate, bias, j);
                        } else {
                            edgeTile(kern, a, ir * kcA, bF, bI, kc, y, co, ldc, rows, cols, nr, accumulate, bias, j);
                        }
                    }
                });
            }
        }
    }

    /**
     * Rows per block: blocks of equal size (rounded up to the tile height), each at most a quarter over rowBlock.
     * Every block packs the weights again, so a last block of a few rows (M = 1,100 at a 512² image: 1024 + 76)
     * paid a whole weight pass for little work: one block of 1,100 ran 1–4 % faster, 1,500 rows in one block 2–7 %
     * slower than 1024 + 476 (X no longer stays in L3), so larger M is cut into equal blocks (750 + 750).
     */
    static int blockRows(int m, int rowBlock, int mr) {
        long most = (long) rowBlock * 5 / 4;
        int blocks = (int) Math.max(1, (m + most - 1) / most);
        return Math.min(m, ((m + blocks - 1) / blocks + mr - 1) / mr * mr);
    }

    /** A tile cut by the edge of Y, computed whole into scratch and copied back in part (bF null for BF16 panels). */
    private static void edgeTile(LinearKernels kern, float[] a, int ao, float[] bF, int[] bI, int kc,
                                 MemorySegment y, long co, long ldc, int rows, int cols, int nr, boolean accumulate,
                                 float[] bias, int j) {
        MemorySegment e = SCRATCH.get().edge;
        e.fill((byte) 0);
        if (accumulate)
            for (int r = 0; r < rows; r++) MemorySegment.copy(y, co + r * ldc, e, 4L * r * nr, 4L * cols);
        if (bF == null) kern.tileBF16(a, ao, bI, 0, kc, e, 0, 4L * nr, accumulate, bias, j);
        else kern.tileF32(a, ao, bF, 0, kc, e, 0, 4L * nr, accumulate, bias, j);
        for (int r = 0; r < rows; r++) MemorySegment.copy(e, 4L * r * nr, y, co + r * ldc, 4L * cols);
    }

    /**
     * X rows is + [q·mr, q·mr+mr) × K [p0, p0+kc) into A panel q ([kcA][mr] at q·mr·kcA), zero rows past M and
     * zero steps past kc.
     */
    private static void packA(MemorySegment x, int m, int k, int is, int q, int p0, int kc, int kcA, int mr, float[] a) {
        int stride = paddedStride(kc);
        Scratch sc = SCRATCH.get();
        float[] rows = sc.rowsF = Scratch.grow(sc.rowsF, mr * stride);
        for (int r = 0; r < mr; r++) {
            int i = is + q * mr + r;
            if (i < m) MemorySegment.copy(x, Tensor.F32, 4L * ((long) i * k + p0), rows, r * stride, kc);
            else Arrays.fill(rows, r * stride, r * stride + kc, 0f);
        }
        interleave(rows, stride, mr, kc, a, q * mr * kcA);
        Arrays.fill(a, q * mr * kcA + kc * mr, (q + 1) * mr * kcA, 0f);
    }

    /** Weight rows [j, j+nr) × K [p0, p0+kc) as F32 into [kc][nr], zero columns past N. */
    private static void packFloat(Tensor wt, int k, int n, int j, int p0, int kc, int nr, float[] dst) {
        MemorySegment w = wt.data();
        boolean f16 = wt.dtype() == DType.F16;
        int stride = paddedStride(kc);
        Scratch sc = SCRATCH.get();
        float[] rows = sc.rowsF = Scratch.grow(sc.rowsF, nr * stride);
        for (int c = 0; c < nr; c++) {
            int at = c * stride;
            long from = (long) (j + c) * k + p0;
            if (j + c >= n) Arrays.fill(rows, at, at + kc, 0f);
            else if (f16) for (int t = 0; t < kc; t++) rows[at + t] = Float.float16ToFloat(w.getAtIndex(Tensor.I16, from + t));
            else MemorySegment.copy(w, Tensor.F32, 4L * from, rows, at, kc);
        }
        interleave(rows, stride, nr, kc, dst, 0);
    }

    /**
     * dst[base + t·width + c] = rows[c·stride + t]: a transpose done in blocks of {@link #T_BLOCK} steps of K, so the
     * part of the panel being written stays in L1 (a whole column at a time touched one cache line per step,
     * width times over a panel that only fits L2).
     */
    private static void interleave(float[] rows, int stride, int width, int kc, float[] dst, int base) {
        for (int t0 = 0; t0 < kc; t0 += T_BLOCK) {
            int t1 = Math.min(kc, t0 + T_BLOCK);
            for (int c = 0; c < width; c++) {
                int src = c * stride, d = base + c;
                for (int t = t0; t < t1; t++) dst[d + t * width] = rows[src + t];
            }
        }
    }

    /**
     * BF16 weight rows [j, j+nr) × K [p0, p0+kc) into [(kc+1)/2][nr] ints: int c of pair t holds the row's steps 2t
     * (low half) and 2t+1 (high half), which are the two adjacent BF16 values of the row in memory, so each row is
     * copied out as ints in bulk and the panel is an int transpose; a step past an odd kc or a column past N is zero.
     */
    private static void packBF16(LinearKernels kern, MemorySegment w, int k, int n, int j, int p0, int kc, int nr, int[] dst) {
        int pairs = (kc + 1) / 2, whole = kc / 2, stride = paddedStride(pairs);
        Scratch sc = SCRATCH.get();
        int[] rows = sc.rowsI = Scratch.grow(sc.rowsI, nr * stride);
        for (int c = 0; c < nr; c++) {
            int at = c * stride;
            if (j + c >= n) {
                Arrays.fill(rows, at, at + pairs, 0);
                continue;
            }
            long from = 2L * ((long) (j + c) * k + p0);
            MemorySegment.copy(w, Tensor.I32, from, rows, at, whole);
            if (whole < pairs) rows[at + whole] = w.get(Tensor.I16, from + 4L * whole) & 0xFFFF;
        }
        if (TRANSPOSE_SCALAR) transposeScalar(rows, stride, pairs, nr, dst, 0);
        else kern.transposePanel(rows, stride, pairs, dst, 0);
    }

    /**
     * Rows to be transposed lie a cache line more than their length apart: at a stride of exactly 4 KB (K=2048)
     * every row read at one step fell into the same L1 set, and the gather transpose ran at a fraction of its speed.
     */
    private static int paddedStride(int length) {
        return length + 16;
    }

    /** {@code -Domnigen2.linear.scalarTranspose=true}: lay BF16 panels out with the scalar twin (A/B checks). */
    static final boolean TRANSPOSE_SCALAR = Boolean.getBoolean("omnigen2.linear.scalarTranspose");

    /** The scalar twin of {@link LinearKernels#transposePanel} (width nr = 2·lanes), in blocks of {@link #T_BLOCK} steps. */
    static void transposeScalar(int[] src, int stride, int pairs, int nr, int[] dst, int base) {
        for (int t0 = 0; t0 < pairs; t0 += T_BLOCK) {
            int t1 = Math.min(pairs, t0 + T_BLOCK);
            for (int c = 0; c < nr; c++) {
                int from = c * stride, d = base + c;
                for (int t = t0; t < t1; t++) dst[d + t * nr] = src[from + t];
            }
        }
    }

    /** Steps of K transposed at a time by the scalar transposes: 64 steps × 8–32 columns × 4 bytes = 2–8 KB of panel. */
    private static final int T_BLOCK = 64;
}
