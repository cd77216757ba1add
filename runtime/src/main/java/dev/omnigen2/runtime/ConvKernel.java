package dev.omnigen2.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.VectorSpecies;

/** The vector path of {@link Conv2d}: implicit GEMM over per-row, phase-split input bands (see there). */
final class ConvKernel {
    private ConvKernel() {}

    private static final int MR = OpKernels.CONV_ROWS;
    /** Floats of the band strip one panel group reads (256 KiB: a quarter of a Zen 5 L2, room for the weights). */
    private static final int STRIP_FLOATS = Integer.getInteger("omnigen2.conv.strip", 1 << 16);
    /** A thread's band, and which call and output row it holds (consecutive rows of one call share kh − s input rows). */
    private static final class Band {
        float[] data = new float[0];
        Object call;
        int oy;
    }

    private static final ThreadLocal<Band> BAND = ThreadLocal.withInitial(Band::new);

    /**
     * [Cout, Cin, kh, kw] → packed per block of MR output channels (see Conv2d.Packed) in {@code arena}: BF16 bits
     * copied as they are when {@code bf16} (w must be BF16), else every float dtype widened to F32. With MR even,
     * the BF16 weights of rows 2j and 2j + 1 of one tap form one little-endian int (row 2j in the low half).
     */
    static MemorySegment packWeights(Tensor w, boolean bf16, Arena arena) {
        if (bf16 && w.dtype() != DType.BF16) throw new IllegalArgumentException("conv2d: BF16 packing of " + w);
        int cout = w.size(0), taps = w.size(1) * w.size(2) * w.size(3);
        int blocks = (cout + MR - 1) / MR;
        long elements = Math.multiplyExact((long) blocks * MR, taps);
        MemorySegment wp = arena.allocate(elements * (bf16 ? 2 : 4), 64);
        MemorySegment ws = w.data();
        Parallel.forEach(blocks, cb -> {
            for (int r = 0; r < MR; r++) {
                int co = cb * MR + r;
                for (int k = 0; k < taps; k++) {
                    long at = ((long) cb * taps + k) * MR + r;
                    if (bf16) wp.setAtIndex(Tensor.I16, at, co < cout ? ws.getAtIndex(Tensor.I16, (long) co * taps + k) : 0);
                    else wp.setAtIndex(Tensor.F32, at, co < cout ? w.getFloat((long) co * taps + k) : 0f);
                }
            }
        });
        return wp;
    }

    static float[] packBias(Tensor bias, int cout) {
        float[] bp = new float[(cout + MR - 1) / MR * MR];
        if (bias != null) for (int co = 0; co < cout; co++) bp[co] = bias.getFloat(co);
        return bp;
    }

    /**
     * Per-thread off-heap rows: [0] one normalised input row, [1] one output row of every channel (accumulate),
     * [2] one tile cut by an edge.
     */
    private static final ThreadLocal<MemorySegment[]> ROWS = ThreadLocal.withInitial(() -> new MemorySegment[3]);

    private static MemorySegment row(int which, long bytes) {
        MemorySegment[] rows = ROWS.get();
        if (rows[which] == null || rows[which].byteSize() < bytes) rows[which] = Arena.ofAuto().allocate(bytes, 64);
        return rows[which];
    }

    /**
     * up2: x is read as its nearest-neighbour ×2 upsampling (never materialised); norm (or null): x is read
     * normalised (not with up2); accumulate: out = conv + out.
     */
    static void forward(Tensor x, GroupNormInput norm, boolean up2, Conv2d.Packed p, int s, int padTop, int padLeft,
                        boolean accumulate, Tensor out, VectorSpecies<Float> sp) {
        if (up2 && norm != null) throw new IllegalArgumentException("conv2d: no input norm with the fused upsampling");
        int f = up2 ? 2 : 1;
        int cin = x.size(0), h = f * x.size(1), wd = f * x.size(2);
        int cout = p.cout, kh = p.kh, kw = p.kw;
        int ho = out.size(1), wo = out.size(2);
        int taps = cin * kh * kw;
        int vl = sp.length();
        OpKernels kern = OpKernels.of(sp);
        int blocks = (cout + MR - 1) / MR;
        MemorySegment wp = p.packedWeights();
        float[] bp = p.packedBias();
        boolean bf16 = p.bf16;
        long blockBytes = (long) taps * MR * (bf16 ? 2 : 4);

        // Band layout: for each (ci, ky) one padded input row split into s phases of phaseLen columns each;
        // padded column c·s + ph sits at phase ph, index c. Tap (ci, ky, kx) of output column ox is at
        // koff[k] + ox. phaseLen leaves room for a full 2-vector panel past the last output column.
        int phaseLen = wo + (kw - 1) / s + 2 * vl;
        int rowLen = s * phaseLen;
        int[] koff = new int[taps];
        for (int ci = 0; ci < cin; ci++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                    koff[(ci * kh + ky) * kw + kx] = (ci * kh + ky) * rowLen + (kx % s) * phaseLen + kx / s;

        // Pixels per panel group: band strip of cin·kh rows × (group + kw − 1) floats within STRIP_FLOATS.
        int group = Math.max(1, (STRIP_FLOATS / (cin * kh) - (kw - 1)) / (2 * vl)) * 2 * vl;
        MemorySegment xs = x.data(), os = out.data();
        long plane = (long) ho * wo * 4;
        Object call = new Object();
        java.util.function.IntConsumer outputRow = oy -> {
            Band held = BAND.get();
            int need = cin * kh * rowLen;
            if (held.data.length < need) { held.data = new float[need]; held.call = null; }
            float[] band = held.data;
            // A thread runs consecutive rows (the runs below): the band of row oy − 1 already holds input rows ky ≥ s
            // of this one (ky − s there), so only the last s rows of each channel are read (and normalised) again.
            int kyFrom = 0;
            if (held.call == call && held.oy == oy - 1 && s < kh) {
                for (int ci = 0; ci < cin; ci++) {
                    int base = ci * kh * rowLen;
                    System.arraycopy(band, base + s * rowLen, band, base, (kh - s) * rowLen);
                }
                kyFrom = kh - s;
            }
            held.call = null; // while the band is being filled
            if (up2) fillBandUpsampled(xs, band, cin, h, wd, kh, oy, padTop, padLeft, phaseLen, rowLen, kyFrom);
            else fillBand(xs, norm, kern, band, cin, h, wd, kh, s, oy, padTop, padLeft, phaseLen, rowLen, kyFrom);
            held.call = call;
            held.oy = oy;
            // accumulate: the tiles write this output row of every channel to a thread's row, added to out below
            MemorySegment dst = accumulate ? row(1, (long) blocks * MR * wo * 4) : os;
            long dstPlane = accumulate ? (long) wo * 4 : plane;
            // Groups of pixel panels whose band strip (Cin·kh rows × group width) fits in L2 next to the weights;
            // inside a group each MR-channel weight block (in L1) serves every panel before the next block.
            for (int g0 = 0; g0 < wo; g0 += group) {
                int g1 = Math.min(wo, g0 + group);
                for (int cb = 0; cb < blocks; cb++) {
                    long rowAt = accumulate ? (long) cb * MR * wo * 4 : ((long) cb * MR * ho + oy) * wo * 4;
                    long wAt = cb * blockBytes;
                    int rows = Math.min(MR, cout - cb * MR);
                    for (int ox = g0; ox < g1; ox += 2 * vl) {
                        int pixels = Math.min(2 * vl, wo - ox);
                        if (rows == MR && pixels == 2 * vl) {
                            if (bf16) kern.convTileBF16(band, koff, taps, ox, wp, wAt, bp, cb * MR, dst, rowAt + ox * 4L, dstPlane);
                            else kern.convTile(band, koff, taps, ox, wp, wAt, bp, cb * MR, dst, rowAt + ox * 4L, dstPlane);
                        } else { // cut by the edge: the whole tile into scratch, the valid part copied out
                            MemorySegment e = row(2, 4L * MR * 2 * vl);
                            if (bf16) kern.convTileBF16(band, koff, taps, ox, wp, wAt, bp, cb * MR, e, 0, 8L * vl);
                            else kern.convTile(band, koff, taps, ox, wp, wAt, bp, cb * MR, e, 0, 8L * vl);
                            for (int r = 0; r < rows; r++)
                                MemorySegment.copy(e, 8L * vl * r, dst, rowAt + ox * 4L + r * dstPlane, 4L * pixels);
                        }
                    }
                }
            }
            if (accumulate)
                for (int co = 0; co < cout; co++) {
                    long at = ((long) co * ho + oy) * wo * 4;
                    kern.binary(OpKernels.ADD, dst, (long) co * wo * 4, os, at, os, at, wo);
                }
        };
        // Runs of consecutive output rows per task, so that a thread's band carries over from row to row (with one
        // row per task the two threads took turns and 90 % of the bands were filled, and normalised, from scratch:
        // VAE decode at 512² 7.2–7.3 s; runs of 8 rows: 80 % carried over, 6.7–6.9 s). Enough runs remain for the
        // threads to share the rows evenly; a row is computed the same way in any run.
        int run = Math.clamp(ho / (4 * Parallel.threads()), 1, 8), runs = (ho + run - 1) / run;
        Parallel.forEach(runs, task -> {
            for (int oy = task * run; oy < Math.min(ho, task * run + run); oy++) outputRow.accept(oy);
        });
    }

    /**
     * Stride-1 band of the ×2 nearest upsampling of x (logical size h × wd, both even): logical row iy is source
     * row iy/2, logical column ix source column ix/2.
     */
    private static void fillBandUpsampled(MemorySegment xs, float[] band, int cin, int h, int wd, int kh, int oy,
                                          int padTop, int padLeft, int phaseLen, int rowLen, int kyFrom) {
        int sw = wd / 2, sh = h / 2;
        float[] src = new float[sw];
        for (int ci = 0; ci < cin; ci++) {
            for (int ky = kyFrom; ky < kh; ky++) {
                int base = (ci * kh + ky) * rowLen;
                int iy = oy + ky - padTop;
                if (iy < 0 || iy >= h) { java.util.Arrays.fill(band, base, base + rowLen, 0f); continue; }
                MemorySegment.copy(xs, Tensor.F32, ((long) ci * sh + iy / 2) * sw * 4, src, 0, sw);
                int first = Math.min(padLeft, phaseLen), last = Math.min(phaseLen, padLeft + wd);
                java.util.Arrays.fill(band, base, base + first, 0f);
                for (int c = first; c < last; c++) band[base + c] = src[(c - padLeft) >> 1];
                java.util.Arrays.fill(band, base + Math.max(first, last), base + phaseLen, 0f);
            }
        }
    }

    /** norm (or null): each input row is normalised into a thread's row first (zero padding stays zero). */
    private static void fillBand(MemorySegment x, GroupNormInput norm, OpKernels kern, float[] band, int cin, int h, int wd,
                                 int kh, int s, int oy, int padTop, int padLeft, int phaseLen, int rowLen, int kyFrom) {
        MemorySegment normed = norm == null ? null : row(0, 4L * wd);
        for (int ci = 0; ci < cin; ci++) {
            for (int ky = kyFrom; ky < kh; ky++) {
                int base = (ci * kh + ky) * rowLen;
                int iy = oy * s + ky - padTop;
                if (iy < 0 || iy >= h) { java.util.Arrays.fill(band, base, base + rowLen, 0f); continue; }
                long src = ((long) ci * h + iy) * wd;
                MemorySegment xs = x;
                if (norm != null) {
                    norm.apply(kern, ci, x, 4 * src, normed, 0, wd);
                    xs = normed;
                    src = 0;
                }
                if (s == 1) {
                    // padded column c ↔ input column c − padLeft
                    int first = Math.min(padLeft, phaseLen), last = Math.min(phaseLen, padLeft + wd);
                    java.util.Arrays.fill(band, base, base + first, 0f);
                    if (last > first) MemorySegment.copy(xs, Tensor.F32, (src + first - padLeft) * 4, band, base + first, last - first);
                    java.util.Arrays.fill(band, base + Math.max(first, last), base + phaseLen, 0f);
                } else {
                    for (int ph = 0; ph < s; ph++) {
                        int pb = base + ph * phaseLen;
                        for (int c = 0; c < phaseLen; c++) {
                            int ix = c * s + ph - padLeft;
                            band[pb + c] = ix >= 0 && ix < wd ? xs.getAtIndex(Tensor.F32, src + ix) : 0f;
                        }
                    }
                }
            }
        }
    }
}
