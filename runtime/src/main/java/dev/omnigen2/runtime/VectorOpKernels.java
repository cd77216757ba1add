package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.nio.ByteOrder;
import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Template of {@link OpKernels}: used only through hidden copies defined by {@link SpeciesTemplates}, each with
 * its species as class data, so {@link #F} is a JIT constant. No lambdas or nested classes here.
 */
final class VectorOpKernels implements OpKernels {
    private static final VectorSpecies<Float> F = SpeciesTemplates.classData(MethodHandles.lookup());
    private static final int VL = F.length();
    private static final VectorSpecies<Integer> I = F.withLanes(int.class);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** The high BF16 of an int widened to F32 by masking (the low one by a shift). */
    private static final int BF16_HIGH = 0xFFFF0000;
    /** Output channels of the conv tiles ({@link OpKernels#CONV_ROWS}, 6 or 8); channels 6 and 7 are compiled only for 8. */
    private static final boolean CONV8 = CONV_ROWS == 8;
    /** Query rows of the attention tiles ({@link OpKernels#MR}, 6 or 8); rows 6 and 7 are compiled only for 8. */
    private static final boolean ATTN8 = MR == 8;

    VectorOpKernels() {}

    @Override
    public int lanes() { return VL; }

    /** S[r][0..width) = Q_r · K[t0 ..), for rows r0 ≤ r &lt; r1, in MR × 2-vector register blocks. */
    @Override
    public void scores(float[] q, float[] kp, float[] s, int r0, int r1, int hd, int t0, int width, int kt) {
        int vl = VL, kw = 2 * VL;
        // Panel-major: one K panel (hd × 2 vectors) stays in L1 while every row tile sweeps it.
        for (int j = 0; j < width; j += kw) {
            int kb = (t0 + j) / kw * hd * kw;
            for (int c = r0 / MR; c < r1 / MR; c++) {
                int q0 = c * MR * hd, q1 = q0 + hd, q2 = q1 + hd, q3 = q2 + hd, q4 = q3 + hd, q5 = q4 + hd, q6 = q5 + hd,
                        q7 = q6 + hd;
                FloatVector a00 = FloatVector.zero(F), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,
                        a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00, a60 = a00, a61 = a00,
                        a70 = a00, a71 = a00;
                for (int d = 0; d < hd; d++) {
                    int ko = kb + d * kw;
                    FloatVector k0 = FloatVector.fromArray(F, kp, ko), k1 = FloatVector.fromArray(F, kp, ko + vl);
                    FloatVector b = FloatVector.broadcast(F, q[q0 + d]);
                    a00 = b.fma(k0, a00); a01 = b.fma(k1, a01);
                    b = FloatVector.broadcast(F, q[q1 + d]);
                    a10 = b.fma(k0, a10); a11 = b.fma(k1, a11);
                    b = FloatVector.broadcast(F, q[q2 + d]);
                    a20 = b.fma(k0, a20); a21 = b.fma(k1, a21);
                    b = FloatVector.broadcast(F, q[q3 + d]);
                    a30 = b.fma(k0, a30); a31 = b.fma(k1, a31);
                    b = FloatVector.broadcast(F, q[q4 + d]);
                    a40 = b.fma(k0, a40); a41 = b.fma(k1, a41);
                    b = FloatVector.broadcast(F, q[q5 + d]);
                    a50 = b.fma(k0, a50); a51 = b.fma(k1, a51);
                    if (ATTN8) {
                        b = FloatVector.broadcast(F, q[q6 + d]);
                        a60 = b.fma(k0, a60); a61 = b.fma(k1, a61);
                        b = FloatVector.broadcast(F, q[q7 + d]);
                        a70 = b.fma(k0, a70); a71 = b.fma(k1, a71);
                    }
                }
                int so = c * MR * kt + j;
                a00.intoArray(s, so); a01.intoArray(s, so + vl); so += kt;
                a10.intoArray(s, so); a11.intoArray(s, so + vl); so += kt;
                a20.intoArray(s, so); a21.intoArray(s, so + vl); so += kt;
                a30.intoArray(s, so); a31.intoArray(s, so + vl); so += kt;
                a40.intoArray(s, so); a41.intoArray(s, so + vl); so += kt;
                a50.intoArray(s, so); a51.intoArray(s, so + vl);
                if (ATTN8) {
                    so += kt;
                    a60.intoArray(s, so); a61.intoArray(s, so + vl); so += kt;
                    a70.intoArray(s, so); a71.intoArray(s, so + vl);
                }
            }
        }
    }

    /**
     * Online softmax over one score tile (scores in log2 units): per row, the new running max, the weights 2^(s − max) written
     * back into S, the running sum and the accumulators rescaled by 2^(old max − new max). Rows with no visible
     * key in this tile (and padding rows) get all-zero weights.
     */
    @Override
    public void softmaxStep(float[] s, float[] o, float[] mx, float[] sum, int r0, int r1, int rows, int width,
                            int kt, int hdPad) {
        int vl = VL;
        int r = r0, real = Math.min(rows, r1);
        // Two rows at a time: each row's arithmetic is exactly the single-row step's, but the two independent
        // chains (max, reduction, exponentials, sum) interleave and hide each other's latency (one row alone is
        // latency-bound: 2.0 µs per 24 × 128 tile, a quarter of the tile's FMA time).
        for (; r + 1 < real; r += 2) {
            int so0 = r * kt, so1 = so0 + kt;
            FloatVector vmax0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), vmax1 = vmax0;
            for (int j = 0; j < width; j += vl) {
                vmax0 = vmax0.max(FloatVector.fromArray(F, s, so0 + j));
                vmax1 = vmax1.max(FloatVector.fromArray(F, s, so1 + j));
            }
            float max0 = vmax0.reduceLanes(VectorOperators.MAX), max1 = vmax1.reduceLanes(VectorOperators.MAX);
            if (max0 == Float.NEGATIVE_INFINITY || max1 == Float.NEGATIVE_INFINITY) {
                softmaxRow(s, o, mx, sum, r, width, kt, hdPad);
                softmaxRow(s, o, mx, sum, r + 1, width, kt, hdPad);
                continue;
            }
            float now0 = Math.max(mx[r], max0), now1 = Math.max(mx[r + 1], max1);
            FloatVector vnow0 = FloatVector.broadcast(F, now0), vnow1 = FloatVector.broadcast(F, now1);
            FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
            for (int j = 0; j < width; j += vl) {
                FloatVector p0 = VecMath.exp2NonPositive(FloatVector.fromArray(F, s, so0 + j).sub(vnow0));
                FloatVector p1 = VecMath.exp2NonPositive(FloatVector.fromArray(F, s, so1 + j).sub(vnow1));
                p0.intoArray(s, so0 + j);
                p1.intoArray(s, so1 + j);
                acc0 = acc0.add(p0);
                acc1 = acc1.add(p1);
            }
            rescale(o, mx, sum, r, now0, acc0, hdPad);
            rescale(o, mx, sum, r + 1, now1, acc1, hdPad);
        }
        for (; r < r1; r++) {
            if (r >= rows) Arrays.fill(s, r * kt, r * kt + width, 0f);
            else softmaxRow(s, o, mx, sum, r, width, kt, hdPad);
        }
    }

    /** One row of {@link #softmaxStep}. */
    private static void softmaxRow(float[] s, float[] o, float[] mx, float[] sum, int r, int width, int kt, int hdPad) {
        int vl = VL, so = r * kt;
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < width; j += vl) vmax = vmax.max(FloatVector.fromArray(F, s, so + j));
        float tileMax = vmax.reduceLanes(VectorOperators.MAX);
        if (tileMax == Float.NEGATIVE_INFINITY) { Arrays.fill(s, so, so + width, 0f); return; }
        float now = Math.max(mx[r], tileMax);
        FloatVector vnow = FloatVector.broadcast(F, now);
        FloatVector acc = FloatVector.zero(F);
        for (int j = 0; j < width; j += vl) {
            FloatVector p = VecMath.exp2NonPositive(FloatVector.fromArray(F, s, so + j).sub(vnow));
            p.intoArray(s, so + j);
            acc = acc.add(p);
        }
        rescale(o, mx, sum, r, now, acc, hdPad);
    }

    /** Row r's running sum gets this tile's lane sums; if its max rose to {@code now}, sum and output rescale first. */
    private static void rescale(float[] o, float[] mx, float[] sum, int r, float now, FloatVector acc, int hdPad) {
        int vl = VL, lo = r * vl;
        float old = mx[r];
        if (old == now) {
            acc.add(FloatVector.fromArray(F, sum, lo)).intoArray(sum, lo);
        } else {
            float alpha = old == Float.NEGATIVE_INFINITY ? 0f : VecMath.exp2NonPositive(old - now);
            FloatVector.fromArray(F, sum, lo).mul(alpha).add(acc).intoArray(sum, lo);
            int ob = r * hdPad;
            for (int d = 0; d < hdPad; d += vl)
                FloatVector.fromArray(F, o, ob + d).mul(alpha).intoArray(o, ob + d);
            mx[r] = now;
        }
    }

    @Override
    public void packValueRow(MemorySegment v, long off, int hd, int hdPad, float[] vp, int key, int lkPad) {
        int pairs = hdPad / (2 * VL) * (2 * VL);
        for (int d = 0; d < hdPad; d += VL) {
            int at = d < pairs ? (d - d % (2 * VL)) * lkPad + key * 2 * VL + d % (2 * VL) : pairs * lkPad + key * VL;
            FloatVector x = d + VL <= hd ? FloatVector.fromMemorySegment(F, v, off + 4L * d, LE)
                    : FloatVector.fromMemorySegment(F, v, off + 4L * d, LE, F.indexInRange(d, hd));
            x.intoArray(vp, at);
        }
    }

    @Override
    public void transposeRows(float[] src, int stride, int n, float[] dst, int base) {
        // One gather per vector of the panel: lane c reads row c at the same step.
        int[] rowStart = new int[2 * VL];
        for (int c = 0; c < 2 * VL; c++) rowStart[c] = c * stride;
        for (int t = 0, d = base; t < n; t++, d += 2 * VL) {
            FloatVector.fromArray(F, src, t, rowStart, 0).intoArray(dst, d);
            FloatVector.fromArray(F, src, t, rowStart, VL).intoArray(dst, d + VL);
        }
    }

    /** O[r][·] += Σ_j P[r][j] · V[t0 + j][·] for rows r0 ≤ r &lt; r1, in MR-row × 2-vector register blocks along the head dimension. */
    @Override
    public void accumulate(float[] s, float[] vp, float[] o, int r0, int r1, int width, int kt, int t0, int hdPad, int lkPad) {
        int vl = VL;
        int pairs = hdPad / (2 * vl) * (2 * vl);
        for (int d = 0; d < pairs; d += 2 * vl) {
            for (int c = r0 / MR; c < r1 / MR; c++) {
                int sb = c * MR * kt, ob = c * MR * hdPad;
                int o0 = ob + d;
                FloatVector a00 = FloatVector.fromArray(F, o, o0), a01 = FloatVector.fromArray(F, o, o0 + vl);
                FloatVector a10 = FloatVector.fromArray(F, o, o0 + hdPad), a11 = FloatVector.fromArray(F, o, o0 + hdPad + vl);
                FloatVector a20 = FloatVector.fromArray(F, o, o0 + 2 * hdPad), a21 = FloatVector.fromArray(F, o, o0 + 2 * hdPad + vl);
                FloatVector a30 = FloatVector.fromArray(F, o, o0 + 3 * hdPad), a31 = FloatVector.fromArray(F, o, o0 + 3 * hdPad + vl);
                FloatVector a40 = FloatVector.fromArray(F, o, o0 + 4 * hdPad), a41 = FloatVector.fromArray(F, o, o0 + 4 * hdPad + vl);
                FloatVector a50 = FloatVector.fromArray(F, o, o0 + 5 * hdPad), a51 = FloatVector.fromArray(F, o, o0 + 5 * hdPad + vl);
                FloatVector a60 = ATTN8 ? FloatVector.fromArray(F, o, o0 + 6 * hdPad) : a50;
                FloatVector a61 = ATTN8 ? FloatVector.fromArray(F, o, o0 + 6 * hdPad + vl) : a51;
                FloatVector a70 = ATTN8 ? FloatVector.fromArray(F, o, o0 + 7 * hdPad) : a50;
                FloatVector a71 = ATTN8 ? FloatVector.fromArray(F, o, o0 + 7 * hdPad + vl) : a51;
                for (int j = 0; j < width; j++) {
                    int vo = d * lkPad + (t0 + j) * 2 * vl;
                    FloatVector v0 = FloatVector.fromArray(F, vp, vo), v1 = FloatVector.fromArray(F, vp, vo + vl);
                    int si = sb + j;
                    FloatVector b = FloatVector.broadcast(F, s[si]);
                    a00 = b.fma(v0, a00); a01 = b.fma(v1, a01);
                    b = FloatVector.broadcast(F, s[si + kt]);
                    a10 = b.fma(v0, a10); a11 = b.fma(v1, a11);
                    b = FloatVector.broadcast(F, s[si + 2 * kt]);
                    a20 = b.fma(v0, a20); a21 = b.fma(v1, a21);
                    b = FloatVector.broadcast(F, s[si + 3 * kt]);
                    a30 = b.fma(v0, a30); a31 = b.fma(v1, a31);
                    b = FloatVector.broadcast(F, s[si + 4 * kt]);
                    a40 = b.fma(v0, a40); a41 = b.fma(v1, a41);
                    b = FloatVector.broadcast(F, s[si + 5 * kt]);
                    a50 = b.fma(v0, a50); a51 = b.fma(v1, a51);
                    if (ATTN8) {
                        b = FloatVector.broadcast(F, s[si + 6 * kt]);
                        a60 = b.fma(v0, a60); a61 = b.fma(v1, a61);
                        b = FloatVector.broadcast(F, s[si + 7 * kt]);
                        a70 = b.fma(v0, a70); a71 = b.fma(v1, a71);
                    }
                }
                a00.intoArray(o, o0); a01.intoArray(o, o0 + vl);
                a10.intoArray(o, o0 + hdPad); a11.intoArray(o, o0 + hdPad + vl);
                a20.intoArray(o, o0 + 2 * hdPad); a21.intoArray(o, o0 + 2 * hdPad + vl);
                a30.intoArray(o, o0 + 3 * hdPad); a31.intoArray(o, o0 + 3 * hdPad + vl);
                a40.intoArray(o, o0 + 4 * hdPad); a41.intoArray(o, o0 + 4 * hdPad + vl);
                a50.intoArray(o, o0 + 5 * hdPad); a51.intoArray(o, o0 + 5 * hdPad + vl);
                if (ATTN8) {
                    a60.intoArray(o, o0 + 6 * hdPad); a61.intoArray(o, o0 + 6 * hdPad + vl);
                    a70.intoArray(o, o0 + 7 * hdPad); a71.intoArray(o, o0 + 7 * hdPad + vl);
                }
            }
        }
        for (int d = pairs; d < hdPad; d += vl) { // one vector left over (hdPad an odd number of vectors)
            for (int c = r0 / MR; c < r1 / MR; c++) {
                int sb = c * MR * kt, ob = c * MR * hdPad;
                int o0 = ob + d;
                FloatVector a0 = FloatVector.fromArray(F, o, o0), a1 = FloatVector.fromArray(F, o, o0 + hdPad),
                        a2 = FloatVector.fromArray(F, o, o0 + 2 * hdPad), a3 = FloatVector.fromArray(F, o, o0 + 3 * hdPad),
                        a4 = FloatVector.fromArray(F, o, o0 + 4 * hdPad), a5 = FloatVector.fromArray(F, o, o0 + 5 * hdPad);
                FloatVector a6 = ATTN8 ? FloatVector.fromArray(F, o, o0 + 6 * hdPad) : a5;
                FloatVector a7 = ATTN8 ? FloatVector.fromArray(F, o, o0 + 7 * hdPad) : a5;
                for (int j = 0; j < width; j++) {
                    FloatVector v0 = FloatVector.fromArray(F, vp, pairs * lkPad + (t0 + j) * vl);
                    int si = sb + j;
                    a0 = FloatVector.broadcast(F, s[si]).fma(v0, a0);
                    a1 = FloatVector.broadcast(F, s[si + kt]).fma(v0, a1);
                    a2 = FloatVector.broadcast(F, s[si + 2 * kt]).fma(v0, a2);
                    a3 = FloatVector.broadcast(F, s[si + 3 * kt]).fma(v0, a3);
                    a4 = FloatVector.broadcast(F, s[si + 4 * kt]).fma(v0, a4);
                    a5 = FloatVector.broadcast(F, s[si + 5 * kt]).fma(v0, a5);
                    if (ATTN8) {
                        a6 = FloatVector.broadcast(F, s[si + 6 * kt]).fma(v0, a6);
                        a7 = FloatVector.broadcast(F, s[si + 7 * kt]).fma(v0, a7);
                    }
                }
                a0.intoArray(o, o0); a1.intoArray(o, o0 + hdPad); a2.intoArray(o, o0 + 2 * hdPad);
                a3.intoArray(o, o0 + 3 * hdPad); a4.intoArray(o, o0 + 4 * hdPad); a5.intoArray(o, o0 + 5 * hdPad);
                if (ATTN8) { a6.intoArray(o, o0 + 6 * hdPad); a7.intoArray(o, o0 + 7 * hdPad); }
            }
        }
    }

    @Override
    public void convTile(float[] band, int[] koff, int taps, int ox, MemorySegment wp, long wo, float[] bias, int bo,
                         MemorySegment out, long outOff, long ldo) {
        FloatVector a00 = FloatVector.broadcast(F, bias[bo]), a01 = a00;
        FloatVector a10 = FloatVector.broadcast(F, bias[bo + 1]), a11 = a10;
        FloatVector a20 = FloatVector.broadcast(F, bias[bo + 2]), a21 = a20;
        FloatVector a30 = FloatVector.broadcast(F, bias[bo + 3]), a31 = a30;
        FloatVector a40 = FloatVector.broadcast(F, bias[bo + 4]), a41 = a40;
        FloatVector a50 = FloatVector.broadcast(F, bias[bo + 5]), a51 = a50;
        FloatVector a60 = CONV8 ? FloatVector.broadcast(F, bias[bo + 6]) : a50, a61 = a60;
        FloatVector a70 = CONV8 ? FloatVector.broadcast(F, bias[bo + 7]) : a50, a71 = a70;
        long wi = wo;
        for (int k = 0; k < taps; k++, wi += 4 * CONV_ROWS) {
            int bi = koff[k] + ox;
            FloatVector x0 = FloatVector.fromArray(F, band, bi), x1 = FloatVector.fromArray(F, band, bi + VL);
            FloatVector b = FloatVector.broadcast(F, wp.get(Tensor.F32, wi));
            a00 = b.fma(x0, a00); a01 = b.fma(x1, a01);
            b = FloatVector.broadcast(F, wp.get(Tensor.F32, wi + 4));
            a10 = b.fma(x0, a10); a11 = b.fma(x1, a11);
            b = FloatVector.broadcast(F, wp.get(Tensor.F32, wi + 8));
            a20 = b.fma(x0, a20); a21 = b.fma(x1, a21);
            b = FloatVector.broadcast(F, wp.get(Tensor.F32, wi + 12));
            a30 = b.fma(x0, a30); a31 = b.fma(x1, a31);
            b = FloatVector.broadcast(F, wp.get(Tensor.F32, wi + 16));
            a40 = b.fma(x0, a40); a41 = b.fma(x1, a41);
            b = FloatVector.broadcast(F, wp.get(Tensor.F32, wi + 20));
            a50 = b.fma(x0, a50); a51 = b.fma(x1, a51);
            if (CONV8) {
                b = FloatVector.broadcast(F, wp.get(Tensor.F32, wi + 24));
                a60 = b.fma(x0, a60); a61 = b.fma(x1, a61);
                b = FloatVector.broadcast(F, wp.get(Tensor.F32, wi + 28));
                a70 = b.fma(x0, a70); a71 = b.fma(x1, a71);
            }
        }
        // Whole tiles only (ConvKernel computes edge tiles into scratch): with masked and partial-row stores the BF16
        // body was too large for C1 ("out of virtual registers") and, with the Vector API's bounds checks on, C2 never
        // compiled it in the VAE decoder, which then ran the interpreted fallback. Stores written out here rather than
        // in a helper: a helper left out-of-line forced the accumulators into heap-allocated vector boxes.
        long l2 = 4L * VL;
        a00.intoMemorySegment(out, outOff, LE); a01.intoMemorySegment(out, outOff + l2, LE);
        a10.intoMemorySegment(out, outOff + ldo, LE); a11.intoMemorySegment(out, outOff + ldo + l2, LE);
        a20.intoMemorySegment(out, outOff + 2 * ldo, LE); a21.intoMemorySegment(out, outOff + 2 * ldo + l2, LE);
        a30.intoMemorySegment(out, outOff + 3 * ldo, LE); a31.intoMemorySegment(out, outOff + 3 * ldo + l2, LE);
        a40.intoMemorySegment(out, outOff + 4 * ldo, LE); a41.intoMemorySegment(out, outOff + 4 * ldo + l2, LE);
        a50.intoMemorySegment(out, outOff + 5 * ldo, LE); a51.intoMemorySegment(out, outOff + 5 * ldo + l2, LE);
        if (CONV8) {
            a60.intoMemorySegment(out, outOff + 6 * ldo, LE); a61.intoMemorySegment(out, outOff + 6 * ldo + l2, LE);
            a70.intoMemorySegment(out, outOff + 7 * ldo, LE); a71.intoMemorySegment(out, outOff + 7 * ldo + l2, LE);
        }
    }

    /**
     * BF16 weights: rows 2j and 2j + 1 of a tap are one int, widened as the BF16 GEMM tiles do (low half by a shift,
     * high half by a mask). The body repeats {@link #convTile} on purpose; see the note on its stores.
     */
    @Override
    public void convTileBF16(float[] band, int[] koff, int taps, int ox, MemorySegment wp, long wo, float[] bias, int bo,
                             MemorySegment out, long outOff, long ldo) {
        FloatVector a00 = FloatVector.broadcast(F, bias[bo]), a01 = a00;
        FloatVector a10 = FloatVector.broadcast(F, bias[bo + 1]), a11 = a10;
        FloatVector a20 = FloatVector.broadcast(F, bias[bo + 2]), a21 = a20;
        FloatVector a30 = FloatVector.broadcast(F, bias[bo + 3]), a31 = a30;
        FloatVector a40 = FloatVector.broadcast(F, bias[bo + 4]), a41 = a40;
        FloatVector a50 = FloatVector.broadcast(F, bias[bo + 5]), a51 = a50;
        FloatVector a60 = CONV8 ? FloatVector.broadcast(F, bias[bo + 6]) : a50, a61 = a60;
        FloatVector a70 = CONV8 ? FloatVector.broadcast(F, bias[bo + 7]) : a50, a71 = a70;
        long wi = wo;
        for (int k = 0; k < taps; k++, wi += 2 * CONV_ROWS) {
            int bi = koff[k] + ox;
            FloatVector x0 = FloatVector.fromArray(F, band, bi), x1 = FloatVector.fromArray(F, band, bi + VL);
            IntVector p = IntVector.broadcast(I, wp.get(Tensor.I32, wi));
            FloatVector b = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a00 = b.fma(x0, a00); a01 = b.fma(x1, a01);
            b = p.and(BF16_HIGH).reinterpretAsFloats();
            a10 = b.fma(x0, a10); a11 = b.fma(x1, a11);
            p = IntVector.broadcast(I, wp.get(Tensor.I32, wi + 4));
            b = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a20 = b.fma(x0, a20); a21 = b.fma(x1, a21);
            b = p.and(BF16_HIGH).reinterpretAsFloats();
            a30 = b.fma(x0, a30); a31 = b.fma(x1, a31);
            p = IntVector.broadcast(I, wp.get(Tensor.I32, wi + 8));
            b = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a40 = b.fma(x0, a40); a41 = b.fma(x1, a41);
            b = p.and(BF16_HIGH).reinterpretAsFloats();
            a50 = b.fma(x0, a50); a51 = b.fma(x1, a51);
            if (CONV8) {
                p = IntVector.broadcast(I, wp.get(Tensor.I32, wi + 12));
                b = p.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
                a60 = b.fma(x0, a60); a61 = b.fma(x1, a61);
                b = p.and(BF16_HIGH).reinterpretAsFloats();
                a70 = b.fma(x0, a70); a71 = b.fma(x1, a71);
            }
        }
        // Whole tiles only (ConvKernel computes edge tiles into scratch): with masked and partial-row stores the BF16
        // body was too large for C1 ("out of virtual registers") and, with the Vector API's bounds checks on, C2 never
        // compiled it in the VAE decoder, which then ran the interpreted fallback. Stores written out here rather than
        // in a helper: a helper left out-of-line forced the accumulators into heap-allocated vector boxes.
        long l2 = 4L * VL;
        a00.intoMemorySegment(out, outOff, LE); a01.intoMemorySegment(out, outOff + l2, LE);
        a10.intoMemorySegment(out, outOff + ldo, LE); a11.intoMemorySegment(out, outOff + ldo + l2, LE);
        a20.intoMemorySegment(out, outOff + 2 * ldo, LE); a21.intoMemorySegment(out, outOff + 2 * ldo + l2, LE);
        a30.intoMemorySegment(out, outOff + 3 * ldo, LE); a31.intoMemorySegment(out, outOff + 3 * ldo + l2, LE);
        a40.intoMemorySegment(out, outOff + 4 * ldo, LE); a41.intoMemorySegment(out, outOff + 4 * ldo + l2, LE);
        a50.intoMemorySegment(out, outOff + 5 * ldo, LE); a51.intoMemorySegment(out, outOff + 5 * ldo + l2, LE);
        if (CONV8) {
            a60.intoMemorySegment(out, outOff + 6 * ldo, LE); a61.intoMemorySegment(out, outOff + 6 * ldo + l2, LE);
            a70.intoMemorySegment(out, outOff + 7 * ldo, LE); a71.intoMemorySegment(out, outOff + 7 * ldo + l2, LE);
        }
    }

    // ---- pointwise and row kernels ----

    private static FloatVector load(MemorySegment m, long at) { return FloatVector.fromMemorySegment(F, m, at, LE); }

    private static FloatVector load(MemorySegment m, long at, VectorMask<Float> k) {
        return FloatVector.fromMemorySegment(F, m, at, LE, k);
    }

    private static final int[] SWAP_INDEX = swapIndex();
    private static final VectorShuffle<Float> SWAP = VectorShuffle.fromArray(F, SWAP_INDEX, 0);

    private static int[] swapIndex() {
        int[] idx = new int[VL];
        for (int i = 0; i < VL; i++) idx[i] = i ^ 1;
        return idx;
    }

    @Override
    public float sum(MemorySegment x, long xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + VL <= n; i += VL) acc = acc.add(load(x, xo + 4L * i));
        if (i < n) acc = acc.add(load(x, xo + 4L * i, F.indexInRange(i, n)));
        return VecMath.sumLanes(acc);
    }

    private static float sumSquares(MemorySegment x, long xo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + VL <= n; i += VL) { FloatVector v = load(x, xo + 4L * i); acc = v.fma(v, acc); }
        if (i < n) { FloatVector v = load(x, xo + 4L * i, F.indexInRange(i, n)); acc = v.fma(v, acc); }
        return VecMath.sumLanes(acc);
    }

    @Override
    public float sumSquaredDeviation(MemorySegment x, long xo, int n, float mean) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + VL <= n; i += VL) { FloatVector v = load(x, xo + 4L * i).sub(mean); acc = v.fma(v, acc); }
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = load(x, xo + 4L * i, m).sub(mean).blend(0f, m.not());
            acc = v.fma(v, acc);
        }
        return VecMath.sumLanes(acc);
    }

    @Override
    public void rmsNorm(MemorySegment x, long xo, MemorySegment out, long oo, int d, float[] w, float eps) {
        float inv = (float) (1.0 / Math.sqrt(sumSquares(x, xo, d) / d + eps));
        int i = 0;
        for (; i < d; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, d);
            FloatVector v = load(x, xo + 4L * i, m).mul(inv);
            if (w != null) v = v.mul(FloatVector.fromArray(F, w, i, m));
            v.intoMemorySegment(out, oo + 4L * i, LE, m);
        }
    }

    @Override
    public void layerNorm(MemorySegment x, long xo, MemorySegment out, long oo, int d, float[] w, float[] b, float eps) {
        float mean = sum(x, xo, d) / d;
        float var = sumSquaredDeviation(x, xo, d, mean) / d;
        float inv = (float) (1.0 / Math.sqrt(var + eps));
        for (int i = 0; i < d; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, d);
            FloatVector v = load(x, xo + 4L * i, m).sub(mean).mul(inv);
            if (w != null) v = v.mul(FloatVector.fromArray(F, w, i, m));
            if (b != null) v = v.add(FloatVector.fromArray(F, b, i, m));
            v.intoMemorySegment(out, oo + 4L * i, LE, m);
        }
    }

    @Override
    public void affine(MemorySegment x, long xo, MemorySegment out, long oo, int n, float sub, float a, float c, boolean silu) {
        FloatVector va = FloatVector.broadcast(F, a), vc = FloatVector.broadcast(F, c);
        for (int i = 0; i < n; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = load(x, xo + 4L * i, m).sub(sub).fma(va, vc);
            if (silu) v = v.mul(VecMath.sigmoid(v));
            v.intoMemorySegment(out, oo + 4L * i, LE, m);
        }
    }

    @Override
    public void unary(int op, MemorySegment x, long xo, MemorySegment out, long oo, int n) {
        for (int i = 0; i < n; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = load(x, xo + 4L * i, m);
            FloatVector r;
            if (op == SILU) {
                r = v.mul(VecMath.sigmoid(v));
            } else {
                // 0.5·x·(1 + tanh(y)) = x · sigmoid(2y), y = √(2/π)·(x + 0.044715·x³): no cancellation for x ≪ 0
                FloatVector y = v.mul(v).fma(0.044715f, 1f).mul(v).mul(2f * 0.7978845608028654f);
                r = v.mul(VecMath.sigmoid(y));
            }
            r.intoMemorySegment(out, oo + 4L * i, LE, m);
        }
    }

    @Override
    public void swiglu(MemorySegment gate, long go, MemorySegment up, long uo, MemorySegment out, long oo, int n) {
        for (int i = 0; i < n; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector g = load(gate, go + 4L * i, m);
            g.mul(VecMath.sigmoid(g)).mul(load(up, uo + 4L * i, m)).intoMemorySegment(out, oo + 4L * i, LE, m);
        }
    }

    @Override
    public void softmax(MemorySegment x, long xo, MemorySegment out, long oo, int d) {
        FloatVector vmax = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < d; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, d);
            vmax = vmax.max(load(x, xo + 4L * i, m).blend(Float.NEGATIVE_INFINITY, m.not()));
        }
        float max = vmax.reduceLanes(VectorOperators.MAX);
        FloatVector acc = FloatVector.zero(F);
        for (int i = 0; i < d; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, d);
            FloatVector e = VecMath.exp(load(x, xo + 4L * i, m).sub(max)).blend(0f, m.not());
            acc = acc.add(e);
            e.intoMemorySegment(out, oo + 4L * i, LE, m);
        }
        float inv = 1f / VecMath.sumLanes(acc);
        for (int i = 0; i < d; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, d);
            load(out, oo + 4L * i, m).mul(inv).intoMemorySegment(out, oo + 4L * i, LE, m);
        }
    }

    private static FloatVector apply(int op, FloatVector a, FloatVector b) {
        return op == ADD ? a.add(b) : op == SUB ? a.sub(b) : a.mul(b);
    }

    @Override
    public void binary(int op, MemorySegment a, long ao, MemorySegment b, long bo, MemorySegment out, long oo, int n) {
        int i = 0;
        for (; i + VL <= n; i += VL)
            apply(op, load(a, ao + 4L * i), load(b, bo + 4L * i)).intoMemorySegment(out, oo + 4L * i, LE);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            apply(op, load(a, ao + 4L * i, m), load(b, bo + 4L * i, m)).intoMemorySegment(out, oo + 4L * i, LE, m);
        }
    }

    @Override
    public void binaryScalar(int op, MemorySegment a, long ao, float c, boolean scalarRight, MemorySegment out, long oo, int n) {
        FloatVector vc = FloatVector.broadcast(F, c);
        for (int i = 0; i < n; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector v = load(a, ao + 4L * i, m);
            (scalarRight ? apply(op, v, vc) : apply(op, vc, v)).intoMemorySegment(out, oo + 4L * i, LE, m);
        }
    }

    @Override
    public void ropeHalf(MemorySegment x, long xo, MemorySegment cos, MemorySegment sin, long co, int hd) {
        int half = hd / 2;
        long h4 = 4L * half;
        for (int i = 0; i < half; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, half);
            long a = 4L * i;
            FloatVector x0 = load(x, xo + a, m), x1 = load(x, xo + a + h4, m);
            FloatVector c0 = load(cos, co + a, m), s0 = load(sin, co + a, m);
            FloatVector c1 = load(cos, co + a + h4, m), s1 = load(sin, co + a + h4, m);
            x0.mul(c0).sub(x1.mul(s0)).intoMemorySegment(x, xo + a, LE, m);
            x1.mul(c1).add(x0.mul(s1)).intoMemorySegment(x, xo + a + h4, LE, m);
        }
    }

    @Override
    public void ropeInterleaved(MemorySegment x, long xo, float[] ce, float[] se, int hd) {
        for (int i = 0; i < hd; i += VL) {
            VectorMask<Float> m = F.indexInRange(i, hd);
            FloatVector v = load(x, xo + 4L * i, m);
            FloatVector sw = v.rearrange(SWAP);
            v.mul(FloatVector.fromArray(F, ce, i, m)).add(sw.mul(FloatVector.fromArray(F, se, i, m)))
                    .intoMemorySegment(x, xo + 4L * i, LE, m);
        }
    }

    @Override
    public float dot(MemorySegment a, long ao, MemorySegment b, long bo, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (; i + VL <= n; i += VL) acc = load(a, ao + 4L * i).fma(load(b, bo + 4L * i), acc);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            acc = load(a, ao + 4L * i, m).fma(load(b, bo + 4L * i, m), acc);
        }
        return VecMath.sumLanes(acc);
    }

    @Override
    public void axpy(float p, MemorySegment v, long vo, float[] acc, int n) {
        FloatVector vp = FloatVector.broadcast(F, p);
        int i = 0;
        for (; i + VL <= n; i += VL) load(v, vo + 4L * i).fma(vp, FloatVector.fromArray(F, acc, i)).intoArray(acc, i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            load(v, vo + 4L * i, m).fma(vp, FloatVector.fromArray(F, acc, i, m)).intoArray(acc, i, m);
        }
    }

    @Override
    public void scaleInto(float[] src, int so, float c, MemorySegment dst, long dOff, int n) {
        int i = 0;
        for (; i + VL <= n; i += VL) FloatVector.fromArray(F, src, so + i).mul(c).intoMemorySegment(dst, dOff + 4L * i, LE);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector.fromArray(F, src, so + i, m).mul(c).intoMemorySegment(dst, dOff + 4L * i, LE, m);
        }
    }

    @Override
    public void scaleFrom(MemorySegment src, long sOff, float c, float[] dst, int dOff, int n) {
        int i = 0;
        for (; i + VL <= n; i += VL) FloatVector.fromMemorySegment(F, src, sOff + 4L * i, LE).mul(c).intoArray(dst, dOff + i);
        if (i < n) {
            VectorMask<Float> m = F.indexInRange(i, n);
            FloatVector.fromMemorySegment(F, src, sOff + 4L * i, LE, m).mul(c).intoArray(dst, dOff + i, m);
        }
    }
}
