package dev.omnigen2.runtime;

import java.lang.constant.ConstantDescs;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template of {@link LinearKernels}: never used as is, only as hidden classes defined by {@link LinearKernels#of},
 * each of which gets its species as class data (so {@link #F} is a constant to the JIT). Keep this class free of
 * lambdas and nested classes: they would refer to the template, not to the hidden copy.
 */
final class VectorLinearKernels implements LinearKernels {
    private static final VectorSpecies<Float> F = classData(0, VectorSpecies.class);
    /** Rows of the register tile, 6 or 8 (class data too): the rows 6 and 7 of the tiles are compiled only for 8. */
    private static final int MR = classData(1, Integer.class);
    private static final boolean EIGHT = MR == 8;
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final int VL = F.length();
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** BF16 is the upper half of an F32: the high BF16 of an int lane is widened by masking, the low one by a shift. */
    private static final int HIGH = 0xFFFF0000;
    /** Lane permutations i → i xor d for the fixed-order horizontal sums. */
    private static final VectorShuffle<Float> X2 = swap(2), X1 = swap(1);
    /** For {@link #sum4}: the upper half / the upper quarter of every half of the lanes. */
    private static final VectorMask<Float> HALF = laneBit(VL / 2), QUARTER = laneBit(VL / 4);
    private static final VectorShuffle<Float> XH = swap(VL / 2), XQ = swap(VL / 4);

    @SuppressWarnings("unchecked")
    private static <T> T classData(int index, Class<?> type) {
        try {
            return (T) MethodHandles.classDataAt(MethodHandles.lookup(), ConstantDescs.DEFAULT_NAME, type, index);
        } catch (IllegalAccessException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    VectorLinearKernels() {}

    private static VectorShuffle<Float> swap(int d) {
        int[] idx = new int[VL];
        for (int i = 0; i < VL; i++) idx[i] = (i ^ d) & (VL - 1);
        return VectorShuffle.fromArray(F, idx, 0);
    }

    private static VectorMask<Float> laneBit(int bit) {
        boolean[] m = new boolean[VL];
        for (int i = 0; i < VL; i++) m[i] = (i & bit) != 0;
        return VectorMask.fromArray(F, m, 0);
    }

    /**
     * The lane sums of four vectors at once, into {@code out[o..o+3]}, in one fixed order: halves of a and b are
     * paired by one blend each way and one permutation, then the same for c and d, then those two results by
     * quarters; the lanes left for each vector are summed pairwise (i + (i xor 2), then i + (i xor 1)). 5
     * permutations for four sums instead of 16 (four separate lane-sum trees cost ~7 % of a decode GEMV). At 4
     * lanes the two pairing steps are all. Not {@code reduceLanes(ADD)}: its float order is unspecified and differs
     * between the interpreter's Java fallback and the JIT intrinsic, which would make results depend on which
     * thread ran warm code — and so on the thread count.
     */
    private static void sum4(FloatVector a, FloatVector b, FloatVector c, FloatVector d, float[] out, int o) {
        FloatVector ab = a.blend(b, HALF).add(b.blend(a, HALF).rearrange(XH));
        FloatVector cd = c.blend(d, HALF).add(d.blend(c, HALF).rearrange(XH));
        FloatVector v = ab.blend(cd, QUARTER).add(cd.blend(ab, QUARTER).rearrange(XQ));
        if (VL > 8) v = v.add(v.rearrange(X2));
        if (VL > 4) v = v.add(v.rearrange(X1));
        // a's sum is in lane 0, b's in the upper half, c's in the upper quarter, d's in both.
        out[o] = v.lane(0);
        out[o + 1] = v.lane(VL / 2);
        out[o + 2] = v.lane(VL / 4);
        out[o + 3] = v.lane(VL / 2 + VL / 4);
    }

    /** Where the x4 dot kernels park their accumulators in {@code out} (after the 16 sums). */
    private static final int PARK = 16;

    /** The 16 sums of four rows × four weight rows from the accumulators parked at {@link #PARK}, as {@link #sum4}. */
    private static void sumParked(float[] out) {
        for (int r = 0; r < 4; r++) {
            int p = PARK + 4 * r * VL;
            sum4(FloatVector.fromArray(F, out, p), FloatVector.fromArray(F, out, p + VL),
                    FloatVector.fromArray(F, out, p + 2 * VL), FloatVector.fromArray(F, out, p + 3 * VL), out, 4 * r);
        }
    }

    @Override
    public int lanes() { return VL; }

    @Override
    public int mr() { return MR; }

    @Override
    public void tileF32(float[] a, int ao, float[] b, int bo, int kc, MemorySegment c, long co, long ldc,
                        boolean accumulate, float[] bias, int bi) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        long hi = 4L * VL;
        if (accumulate) {
            c00 = FloatVector.fromMemorySegment(F, c, co, LE); c01 = FloatVector.fromMemorySegment(F, c, co + hi, LE);
            c10 = FloatVector.fromMemorySegment(F, c, co + ldc, LE); c11 = FloatVector.fromMemorySegment(F, c, co + ldc + hi, LE);
            c20 = FloatVector.fromMemorySegment(F, c, co + 2 * ldc, LE); c21 = FloatVector.fromMemorySegment(F, c, co + 2 * ldc + hi, LE);
            c30 = FloatVector.fromMemorySegment(F, c, co + 3 * ldc, LE); c31 = FloatVector.fromMemorySegment(F, c, co + 3 * ldc + hi, LE);
            c40 = FloatVector.fromMemorySegment(F, c, co + 4 * ldc, LE); c41 = FloatVector.fromMemorySegment(F, c, co + 4 * ldc + hi, LE);
            c50 = FloatVector.fromMemorySegment(F, c, co + 5 * ldc, LE); c51 = FloatVector.fromMemorySegment(F, c, co + 5 * ldc + hi, LE);
            if (EIGHT) {
                c60 = FloatVector.fromMemorySegment(F, c, co + 6 * ldc, LE); c61 = FloatVector.fromMemorySegment(F, c, co + 6 * ldc + hi, LE);
                c70 = FloatVector.fromMemorySegment(F, c, co + 7 * ldc, LE); c71 = FloatVector.fromMemorySegment(F, c, co + 7 * ldc + hi, LE);
            } else {
                c60 = c50; c61 = c51; c70 = c50; c71 = c51;
            }
        } else {
            FloatVector lo = bias == null ? FloatVector.zero(F) : FloatVector.fromArray(F, bias, bi);
            FloatVector up = bias == null ? FloatVector.zero(F) : FloatVector.fromArray(F, bias, bi + VL);
            c00 = lo; c10 = lo; c20 = lo; c30 = lo; c40 = lo; c50 = lo; c60 = lo; c70 = lo;
            c01 = up; c11 = up; c21 = up; c31 = up; c41 = up; c51 = up; c61 = up; c71 = up;
        }
        for (int k = 0; k < kc; k++, ao += MR, bo += 2 * VL) {
            FloatVector b0 = FloatVector.fromArray(F, b, bo);
            FloatVector b1 = FloatVector.fromArray(F, b, bo + VL);
            FloatVector x = FloatVector.broadcast(F, a[ao]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[ao + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[ao + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[ao + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, a[ao + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, a[ao + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51);
            if (EIGHT) {
                x = FloatVector.broadcast(F, a[ao + 6]);
                c60 = b0.fma(x, c60); c61 = b1.fma(x, c61);
                x = FloatVector.broadcast(F, a[ao + 7]);
                c70 = b0.fma(x, c70); c71 = b1.fma(x, c71);
            }
        }
        c00.intoMemorySegment(c, co, LE); c01.intoMemorySegment(c, co + hi, LE);
        c10.intoMemorySegment(c, co + ldc, LE); c11.intoMemorySegment(c, co + ldc + hi, LE);
        c20.intoMemorySegment(c, co + 2 * ldc, LE); c21.intoMemorySegment(c, co + 2 * ldc + hi, LE);
        c30.intoMemorySegment(c, co + 3 * ldc, LE); c31.intoMemorySegment(c, co + 3 * ldc + hi, LE);
        c40.intoMemorySegment(c, co + 4 * ldc, LE); c41.intoMemorySegment(c, co + 4 * ldc + hi, LE);
        c50.intoMemorySegment(c, co + 5 * ldc, LE); c51.intoMemorySegment(c, co + 5 * ldc + hi, LE);
        if (EIGHT) {
            c60.intoMemorySegment(c, co + 6 * ldc, LE); c61.intoMemorySegment(c, co + 6 * ldc + hi, LE);
            c70.intoMemorySegment(c, co + 7 * ldc, LE); c71.intoMemorySegment(c, co + 7 * ldc + hi, LE);
        }
    }

    @Override
    public void tileBF16(float[] a, int ao, int[] b, int bo, int kc, MemorySegment c, long co, long ldc,
                         boolean accumulate, float[] bias, int bi) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71;
        long hi = 4L * VL;
        if (accumulate) {
            c00 = FloatVector.fromMemorySegment(F, c, co, LE); c01 = FloatVector.fromMemorySegment(F, c, co + hi, LE);
            c10 = FloatVector.fromMemorySegment(F, c, co + ldc, LE); c11 = FloatVector.fromMemorySegment(F, c, co + ldc + hi, LE);
            c20 = FloatVector.fromMemorySegment(F, c, co + 2 * ldc, LE); c21 = FloatVector.fromMemorySegment(F, c, co + 2 * ldc + hi, LE);
            c30 = FloatVector.fromMemorySegment(F, c, co + 3 * ldc, LE); c31 = FloatVector.fromMemorySegment(F, c, co + 3 * ldc + hi, LE);
            c40 = FloatVector.fromMemorySegment(F, c, co + 4 * ldc, LE); c41 = FloatVector.fromMemorySegment(F, c, co + 4 * ldc + hi, LE);
            c50 = FloatVector.fromMemorySegment(F, c, co + 5 * ldc, LE); c51 = FloatVector.fromMemorySegment(F, c, co + 5 * ldc + hi, LE);
            if (EIGHT) {
                c60 = FloatVector.fromMemorySegment(F, c, co + 6 * ldc, LE); c61 = FloatVector.fromMemorySegment(F, c, co + 6 * ldc + hi, LE);
                c70 = FloatVector.fromMemorySegment(F, c, co + 7 * ldc, LE); c71 = FloatVector.fromMemorySegment(F, c, co + 7 * ldc + hi, LE);
            } else {
                c60 = c50; c61 = c51; c70 = c50; c71 = c51;
            }
        } else {
            FloatVector lo = bias == null ? FloatVector.zero(F) : FloatVector.fromArray(F, bias, bi);
            FloatVector up = bias == null ? FloatVector.zero(F) : FloatVector.fromArray(F, bias, bi + VL);
            c00 = lo; c10 = lo; c20 = lo; c30 = lo; c40 = lo; c50 = lo; c60 = lo; c70 = lo;
            c01 = up; c11 = up; c21 = up; c31 = up; c41 = up; c51 = up; c61 = up; c71 = up;
        }
        // Each int holds two consecutive K steps of one column: the low half (one shift) is step k, the high half
        // (one AND) step k+1; the two vectors of a pair cover the tile's 2·lanes columns. K order is kept per column.
        int pairs = (kc + 1) >> 1;
        for (int t = 0; t < pairs; t++, ao += 2 * MR, bo += 2 * VL) {
            IntVector p0 = IntVector.fromArray(I, b, bo), p1 = IntVector.fromArray(I, b, bo + VL);
            FloatVector b0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector b1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector x = FloatVector.broadcast(F, a[ao]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[ao + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[ao + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[ao + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, a[ao + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, a[ao + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51);
            if (EIGHT) {
                x = FloatVector.broadcast(F, a[ao + 6]);
                c60 = b0.fma(x, c60); c61 = b1.fma(x, c61);
                x = FloatVector.broadcast(F, a[ao + 7]);
                c70 = b0.fma(x, c70); c71 = b1.fma(x, c71);
            }
            b0 = p0.and(HIGH).reinterpretAsFloats();
            b1 = p1.and(HIGH).reinterpretAsFloats();
            x = FloatVector.broadcast(F, a[ao + MR]);
            c00 = b0.fma(x, c00); c01 = b1.fma(x, c01);
            x = FloatVector.broadcast(F, a[ao + MR + 1]);
            c10 = b0.fma(x, c10); c11 = b1.fma(x, c11);
            x = FloatVector.broadcast(F, a[ao + MR + 2]);
            c20 = b0.fma(x, c20); c21 = b1.fma(x, c21);
            x = FloatVector.broadcast(F, a[ao + MR + 3]);
            c30 = b0.fma(x, c30); c31 = b1.fma(x, c31);
            x = FloatVector.broadcast(F, a[ao + MR + 4]);
            c40 = b0.fma(x, c40); c41 = b1.fma(x, c41);
            x = FloatVector.broadcast(F, a[ao + MR + 5]);
            c50 = b0.fma(x, c50); c51 = b1.fma(x, c51);
            if (EIGHT) {
                x = FloatVector.broadcast(F, a[ao + MR + 6]);
                c60 = b0.fma(x, c60); c61 = b1.fma(x, c61);
                x = FloatVector.broadcast(F, a[ao + MR + 7]);
                c70 = b0.fma(x, c70); c71 = b1.fma(x, c71);
            }
        }
        c00.intoMemorySegment(c, co, LE); c01.intoMemorySegment(c, co + hi, LE);
        c10.intoMemorySegment(c, co + ldc, LE); c11.intoMemorySegment(c, co + ldc + hi, LE);
        c20.intoMemorySegment(c, co + 2 * ldc, LE); c21.intoMemorySegment(c, co + 2 * ldc + hi, LE);
        c30.intoMemorySegment(c, co + 3 * ldc, LE); c31.intoMemorySegment(c, co + 3 * ldc + hi, LE);
        c40.intoMemorySegment(c, co + 4 * ldc, LE); c41.intoMemorySegment(c, co + 4 * ldc + hi, LE);
        c50.intoMemorySegment(c, co + 5 * ldc, LE); c51.intoMemorySegment(c, co + 5 * ldc + hi, LE);
        if (EIGHT) {
            c60.intoMemorySegment(c, co + 6 * ldc, LE); c61.intoMemorySegment(c, co + 6 * ldc + hi, LE);
            c70.intoMemorySegment(c, co + 7 * ldc, LE); c71.intoMemorySegment(c, co + 7 * ldc + hi, LE);
        }
    }

    @Override
    public void transposePanel(int[] src, int stride, int pairs, int[] dst, int base) {
        // One gather per vector of the panel: lane c reads row c at the same step.
        int[] rowStart = new int[2 * VL];
        for (int c = 0; c < 2 * VL; c++) rowStart[c] = c * stride;
        for (int t = 0, d = base; t < pairs; t++, d += 2 * VL) {
            IntVector.fromArray(I, src, t, rowStart, 0).intoArray(dst, d);
            IntVector.fromArray(I, src, t, rowStart, VL).intoArray(dst, d + VL);
        }
    }

    // The tile loads and stores are written out in place rather than through small helpers: when C2 compiled a
    // tile without inlining such a helper (seen in OSR compilations of these long-running loops) every accumulator
    // was boxed and the GEMM ran several times slower with heavy garbage collection.

    @Override
    public void dotF32(int rows, float[] x, int xo, int xs, MemorySegment w, long w0, long w1, long w2, long w3,
                       int k, float[] out) {
        if (rows == 4) dotF32x4(x, xo, xs, w, w0, w1, w2, w3, k, out);
        else dotF32x1(x, xo, w, w0, w1, w2, w3, k, out);
    }

    private static void dotF32x1(float[] x, int xo, MemorySegment w, long w0, long w1, long w2, long w3, int k,
                                 float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        int full = k - k % VL;
        for (int t = 0; t < full; t += VL) {
            FloatVector xv = FloatVector.fromArray(F, x, xo + t);
            long o = 4L * t;
            a0 = FloatVector.fromMemorySegment(F, w, w0 + o, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(F, w, w1 + o, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(F, w, w2 + o, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(F, w, w3 + o, LE).fma(xv, a3);
        }
        sum4(a0, a1, a2, a3, out, 0);
        addTails(false, 1, x, xo, 0, w, w0, w1, w2, w3, full, k, out);
    }

    private static void dotF32x4(float[] x, int xo, int xs, MemorySegment w, long w0, long w1, long w2, long w3,
                                 int k, float[] out) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00,
                a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int full = k - k % VL;
        int x0 = xo, x1 = xo + xs, x2 = xo + 2 * xs, x3 = xo + 3 * xs;
        for (int t = 0; t < full; t += VL) {
            long o = 4L * t;
            FloatVector v0 = FloatVector.fromMemorySegment(F, w, w0 + o, LE);
            FloatVector v1 = FloatVector.fromMemorySegment(F, w, w1 + o, LE);
            FloatVector v2 = FloatVector.fromMemorySegment(F, w, w2 + o, LE);
            FloatVector v3 = FloatVector.fromMemorySegment(F, w, w3 + o, LE);
            FloatVector xv = FloatVector.fromArray(F, x, x0 + t);
            a00 = v0.fma(xv, a00); a01 = v1.fma(xv, a01); a02 = v2.fma(xv, a02); a03 = v3.fma(xv, a03);
            xv = FloatVector.fromArray(F, x, x1 + t);
            a10 = v0.fma(xv, a10); a11 = v1.fma(xv, a11); a12 = v2.fma(xv, a12); a13 = v3.fma(xv, a13);
            xv = FloatVector.fromArray(F, x, x2 + t);
            a20 = v0.fma(xv, a20); a21 = v1.fma(xv, a21); a22 = v2.fma(xv, a22); a23 = v3.fma(xv, a23);
            xv = FloatVector.fromArray(F, x, x3 + t);
            a30 = v0.fma(xv, a30); a31 = v1.fma(xv, a31); a32 = v2.fma(xv, a32); a33 = v3.fma(xv, a33);
        }
        // Parked, then summed by a small method: passed as arguments, the 16 accumulators made C2 box them (it
        // did not inline four sum4 calls into this large body: NodeCountInliningCutoff) and M=4 ran at 29 GFLOP/s.
        int p = PARK;
        a00.intoArray(out, p); a01.intoArray(out, p + VL); a02.intoArray(out, p + 2 * VL); a03.intoArray(out, p + 3 * VL);
        a10.intoArray(out, p + 4 * VL); a11.intoArray(out, p + 5 * VL); a12.intoArray(out, p + 6 * VL); a13.intoArray(out, p + 7 * VL);
        a20.intoArray(out, p + 8 * VL); a21.intoArray(out, p + 9 * VL); a22.intoArray(out, p + 10 * VL); a23.intoArray(out, p + 11 * VL);
        a30.intoArray(out, p + 12 * VL); a31.intoArray(out, p + 13 * VL); a32.intoArray(out, p + 14 * VL); a33.intoArray(out, p + 15 * VL);
        sumParked(out);
        addTails(false, 4, x, xo, xs, w, w0, w1, w2, w3, full, k, out);
    }

    /**
     * Adds to the lane sums in out[4r + c] the products over K [full, k) that the vector loop of a dot left (k not a
     * multiple of its step), for X rows xo + r·xs (r < rows) and weight rows w0..w3: after the lane sums, as before.
     */
    private static void addTails(boolean bf16, int rows, float[] x, int xo, int xs, MemorySegment w, long w0, long w1,
                                 long w2, long w3, int full, int k, float[] out) {
        if (full >= k) return;
        for (int r = 0; r < rows; r++) {
            int xr = xo + r * xs;
            out[4 * r] += bf16 ? tailBF16(x, xr, w, w0, full, k) : tailF32(x, xr, w, w0, full, k);
            out[4 * r + 1] += bf16 ? tailBF16(x, xr, w, w1, full, k) : tailF32(x, xr, w, w1, full, k);
            out[4 * r + 2] += bf16 ? tailBF16(x, xr, w, w2, full, k) : tailF32(x, xr, w, w2, full, k);
            out[4 * r + 3] += bf16 ? tailBF16(x, xr, w, w3, full, k) : tailF32(x, xr, w, w3, full, k);
        }
    }

    private static float tailF32(float[] x, int xo, MemorySegment w, long wo, int from, int k) {
        float s = 0;
        for (int t = from; t < k; t++) s += x[xo + t] * w.get(Tensor.F32, wo + 4L * t);
        return s;
    }

    @Override
    public void dotBF16(int rows, float[] x, int xo, int xs, MemorySegment w, long w0, long w1, long w2, long w3,
                        int k, float[] out) {
        if (rows == 4) dotBF16x4(x, xo, xs, w, w0, w1, w2, w3, k, out);
        else dotBF16x1(x, xo, w, w0, w1, w2, w3, k, out);
    }

    private static void dotBF16x1(float[] x, int xo, MemorySegment w, long w0, long w1, long w2, long w3, int k,
                                  float[] out) {
        FloatVector e0 = FloatVector.zero(F), e1 = e0, e2 = e0, e3 = e0, o0 = e0, o1 = e0, o2 = e0, o3 = e0;
        int block = 2 * VL, full = k - k % block;
        for (int t = 0; t < full; t += block) {
            FloatVector xe = FloatVector.fromArray(F, x, xo + t);
            FloatVector xd = FloatVector.fromArray(F, x, xo + t + VL);
            long o = 2L * t;
            IntVector p = IntVector.fromMemorySegment(I, w, w0 + o, LE);
            e0 = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, e0);
            o0 = p.and(HIGH).reinterpretAsFloats().fma(xd, o0);
            p = IntVector.fromMemorySegment(I, w, w1 + o, LE);
            e1 = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, e1);
            o1 = p.and(HIGH).reinterpretAsFloats().fma(xd, o1);
            p = IntVector.fromMemorySegment(I, w, w2 + o, LE);
            e2 = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, e2);
            o2 = p.and(HIGH).reinterpretAsFloats().fma(xd, o2);
            p = IntVector.fromMemorySegment(I, w, w3 + o, LE);
            e3 = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(xe, e3);
            o3 = p.and(HIGH).reinterpretAsFloats().fma(xd, o3);
        }
        sum4(e0.add(o0), e1.add(o1), e2.add(o2), e3.add(o3), out, 0);
        addTails(true, 1, x, xo, 0, w, w0, w1, w2, w3, full, k, out);
    }

    private static void dotBF16x4(float[] x, int xo, int xs, MemorySegment w, long w0, long w1, long w2, long w3,
                                  int k, float[] out) {
        FloatVector a00 = FloatVector.zero(F), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00,
                a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int block = 2 * VL, full = k - k % block;
        int x0 = xo, x1 = xo + xs, x2 = xo + 2 * xs, x3 = xo + 3 * xs;
        for (int t = 0; t < full; t += block) {
            long o = 2L * t;
            IntVector p0 = IntVector.fromMemorySegment(I, w, w0 + o, LE);
            IntVector p1 = IntVector.fromMemorySegment(I, w, w1 + o, LE);
            IntVector p2 = IntVector.fromMemorySegment(I, w, w2 + o, LE);
            IntVector p3 = IntVector.fromMemorySegment(I, w, w3 + o, LE);
            FloatVector v0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v2 = p2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector v3 = p3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            FloatVector xv = FloatVector.fromArray(F, x, x0 + t);
            a00 = v0.fma(xv, a00); a01 = v1.fma(xv, a01); a02 = v2.fma(xv, a02); a03 = v3.fma(xv, a03);
            xv = FloatVector.fromArray(F, x, x1 + t);
            a10 = v0.fma(xv, a10); a11 = v1.fma(xv, a11); a12 = v2.fma(xv, a12); a13 = v3.fma(xv, a13);
            xv = FloatVector.fromArray(F, x, x2 + t);
            a20 = v0.fma(xv, a20); a21 = v1.fma(xv, a21); a22 = v2.fma(xv, a22); a23 = v3.fma(xv, a23);
            xv = FloatVector.fromArray(F, x, x3 + t);
            a30 = v0.fma(xv, a30); a31 = v1.fma(xv, a31); a32 = v2.fma(xv, a32); a33 = v3.fma(xv, a33);
            v0 = p0.and(HIGH).reinterpretAsFloats();
            v1 = p1.and(HIGH).reinterpretAsFloats();
            v2 = p2.and(HIGH).reinterpretAsFloats();
            v3 = p3.and(HIGH).reinterpretAsFloats();
            xv = FloatVector.fromArray(F, x, x0 + t + VL);
            a00 = v0.fma(xv, a00); a01 = v1.fma(xv, a01); a02 = v2.fma(xv, a02); a03 = v3.fma(xv, a03);
            xv = FloatVector.fromArray(F, x, x1 + t + VL);
            a10 = v0.fma(xv, a10); a11 = v1.fma(xv, a11); a12 = v2.fma(xv, a12); a13 = v3.fma(xv, a13);
            xv = FloatVector.fromArray(F, x, x2 + t + VL);
            a20 = v0.fma(xv, a20); a21 = v1.fma(xv, a21); a22 = v2.fma(xv, a22); a23 = v3.fma(xv, a23);
            xv = FloatVector.fromArray(F, x, x3 + t + VL);
            a30 = v0.fma(xv, a30); a31 = v1.fma(xv, a31); a32 = v2.fma(xv, a32); a33 = v3.fma(xv, a33);
        }
        // Parked, then summed by a small method: passed as arguments, the 16 accumulators made C2 box them (it
        // did not inline four sum4 calls into this large body: NodeCountInliningCutoff) and M=4 ran at 29 GFLOP/s.
        int p = PARK;
        a00.intoArray(out, p); a01.intoArray(out, p + VL); a02.intoArray(out, p + 2 * VL); a03.intoArray(out, p + 3 * VL);
        a10.intoArray(out, p + 4 * VL); a11.intoArray(out, p + 5 * VL); a12.intoArray(out, p + 6 * VL); a13.intoArray(out, p + 7 * VL);
        a20.intoArray(out, p + 8 * VL); a21.intoArray(out, p + 9 * VL); a22.intoArray(out, p + 10 * VL); a23.intoArray(out, p + 11 * VL);
        a30.intoArray(out, p + 12 * VL); a31.intoArray(out, p + 13 * VL); a32.intoArray(out, p + 14 * VL); a33.intoArray(out, p + 15 * VL);
        sumParked(out);
        addTails(true, 4, x, xo, xs, w, w0, w1, w2, w3, full, k, out);
    }

    private static float tailBF16(float[] x, int xo, MemorySegment w, long wo, int from, int k) {
        float s = 0;
        for (int t = from; t < k; t++) s += x[xo + t] * Half.bf16ToF32(w.get(Tensor.I16, wo + 2L * t));
        return s;
    }
}
