package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector path of {@link Attention}: flash-style tiling with an online softmax.
 *
 * <p>Work is cut into tasks (KV head, query block). A query block is P consecutive positions inside one
 * segment; with the G = H/KVH query heads that share the KV head this gives R = G·P rows (about 24), so
 * every K and V row loaded from cache serves all of them. For each tile of KT keys a task computes the score
 * tile S = Q·Kᵀ with a 6-row × 2-vector register block (vectors run along keys, over K packed transposed in
 * panels), masks it, updates the running max / sum of each row and rescales its accumulators, then adds
 * P·V with a 6-row × 2-vector block along the head dimension (V packed with rows padded to whole vectors).
 * The task list depends only on shapes and mask, so results are identical for any thread count.
 */
final class FlashAttention {
    private FlashAttention() {}

    /** Rows of the register block. */
    private static final int MR = 6;
    /** Target rows per task (query heads of a group × positions). */
    private static final int ROWS = 24;
    /** Keys per score tile. */
    private static final int KT = 128;

    private static final class Work {
        float[] qT = new float[0], s = new float[0], o = new float[0], m = new float[0], l = new float[0], row = new float[0];

        float[] grow(float[] a, int n) { return a.length >= n ? a : new float[n]; }
    }

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    static void forward(Tensor q, Tensor k, Tensor v, Tensor out, int heads, int kvHeads, int hd, float scale,
                        Attention.Mask mask, VectorSpecies<Float> sp) {
        int lq = q.size(0), lk = k.size(0);
        int g = heads / kvHeads;
        int vl = sp.length(), kw = 2 * vl;
        int hdPad = (hd + vl - 1) / vl * vl;
        int panels = Math.max(1, (lk + kw - 1) / kw);
        int lkPad = panels * kw;
        int kt = Math.max(kw, KT / kw * kw);

        // Packed K (per KV head: panels of kw keys, each [hd][kw]) and V (per KV head: [lkPad][hdPad]).
        float[][] kPack = new float[kvHeads][panels * hd * kw];
        float[][] vPack = new float[kvHeads][lkPad * hdPad];
        int packChunk = 16; // panels per packing task
        int chunks = (panels + packChunk - 1) / packChunk;
        MemorySegment ks = k.data(), vs = v.data();
        Parallel.forEach(kvHeads * chunks, t -> {
            int kh = t / chunks, p0 = (t % chunks) * packChunk, p1 = Math.min(panels, p0 + packChunk);
            float[] kp = kPack[kh], vp = vPack[kh];
            float[] row = new float[hd];
            for (int p = p0; p < p1; p++) {
                for (int j = 0; j < kw; j++) {
                    int key = p * kw + j;
                    if (key >= lk) break;
                    long src = ((long) key * kvHeads + kh) * hd * 4;
                    MemorySegment.copy(ks, Tensor.F32, src, row, 0, hd);
                    int base = p * hd * kw + j;
                    for (int d = 0; d < hd; d++) kp[base + d * kw] = row[d];
                    MemorySegment.copy(vs, Tensor.F32, src, vp, key * hdPad, hd);
                }
            }
        });

        // Key validity as a prefix count of invalid keys (padding keys beyond lk count as invalid).
        int[] invalidBefore = new int[lkPad + 1];
        boolean[] valid = mask.keyValid();
        for (int j = 0; j < lkPad; j++)
            invalidBefore[j + 1] = invalidBefore[j] + ((j >= lk || (valid != null && !valid[j])) ? 1 : 0);

        // Query blocks: P positions, never crossing a segment boundary.
        int positions = Math.max(1, Math.round((float) ROWS / g));
        List<int[]> blocks = new ArrayList<>(); // {start, end, segLo, segHi}
        int[] seg = mask.segments() != null ? mask.segments() : new int[] {0, lq};
        for (int s = 0; s + 1 < seg.length; s++) {
            int segHi = mask.segments() != null ? seg[s + 1] : lk;
            for (int b = seg[s]; b < seg[s + 1]; b += positions)
                blocks.add(new int[] {b, Math.min(seg[s + 1], b + positions), seg[s], segHi});
        }
        int nBlocks = blocks.size();
        MemorySegment qs = q.data(), os = out.data();
        Parallel.forEach(kvHeads * nBlocks, t -> {
            int kh = t / nBlocks;
            int[] blk = blocks.get(t % nBlocks);
            block(qs, os, kPack[kh], vPack[kh], invalidBefore, valid, mask, blk, kh, heads, g, hd, hdPad, lk, kw, kt,
                    scale, sp);
        });
    }

    private static void block(MemorySegment qs, MemorySegment os, float[] kp, float[] vp, int[] invalidBefore,
                              boolean[] valid, Attention.Mask mask, int[] blk, int kh, int heads, int g, int hd,
                              int hdPad, int lk, int kw, int kt, float scale, VectorSpecies<Float> sp) {
        int i0 = blk[0], i1 = blk[1], segLo = blk[2], segHi = Math.min(blk[3], lk);
        int rows = (i1 - i0) * g, rowsPad = (rows + MR - 1) / MR * MR;
        int vl = sp.length();
        Work w = WORK.get();
        float[] qT = w.qT = w.grow(w.qT, rowsPad * hd);
        float[] s = w.s = w.grow(w.s, rowsPad * kt);
        float[] o = w.o = w.grow(w.o, rowsPad * hdPad);
        float[] mx = w.m = w.grow(w.m, rowsPad);
        float[] sum = w.l = w.grow(w.l, rowsPad);
        float[] row = w.row = w.grow(w.row, hdPad);

        // Q rows (scaled), transposed per 6-row chunk: qT[(c·hd + d)·6 + rr].
        Arrays.fill(qT, 0, rowsPad * hd, 0f);
        for (int r = 0; r < rows; r++) {
            int pos = i0 + r / g, h = kh * g + r % g;
            MemorySegment.copy(qs, Tensor.F32, ((long) pos * heads + h) * hd * 4, row, 0, hd);
            int base = (r / MR) * hd * MR + r % MR;
            for (int d = 0; d < hd; d++) qT[base + d * MR] = row[d] * scale;
        }
        Arrays.fill(o, 0, rowsPad * hdPad, 0f);
        Arrays.fill(mx, 0, rowsPad, Float.NEGATIVE_INFINITY);
        Arrays.fill(sum, 0, rowsPad, 0f);

        boolean causal = mask.causal();
        long off = mask.causalOffset();
        int lo = segLo;
        int hiFirst = causal ? (int) Math.min(segHi, off + i0 + 1) : segHi;
        int hiLast = causal ? (int) Math.min(segHi, off + i1) : segHi;
        if (hiLast > lo) {
            for (int t0 = lo / kw * kw; t0 < hiLast; t0 += kt) {
                int width = Math.min(kt, (hiLast - t0 + kw - 1) / kw * kw);
                scores(qT, kp, s, rowsPad, hd, t0, width, kt, kw, sp);
                boolean clean = t0 >= lo && t0 + width <= hiFirst && invalidBefore[t0 + width] == invalidBefore[t0];
                if (!clean) {
                    for (int r = 0; r < rows; r++) {
                        int pos = i0 + r / g;
                        int hi = causal ? (int) Math.min(segHi, off + pos + 1) : segHi;
                        int so = r * kt;
                        for (int j = 0; j < width; j++) {
                            int key = t0 + j;
                            if (key < lo || key >= hi || (valid != null && key < lk && !valid[key]) || key >= lk)
                                s[so + j] = Float.NEGATIVE_INFINITY;
                        }
                    }
                }
                softmaxStep(s, o, mx, sum, rows, rowsPad, width, kt, hdPad, sp);
                accumulate(s, vp, o, rowsPad, width, kt, t0, hdPad, vl, sp);
            }
        }
        for (int r = 0; r < rows; r++) {
            int pos = i0 + r / g, h = kh * g + r % g;
            float inv = sum[r] > 0 ? 1f / sum[r] : 0f;
            int ob = r * hdPad;
            for (int d = 0; d < hd; d++) row[d] = o[ob + d] * inv;
            MemorySegment.copy(row, 0, os, Tensor.F32, ((long) pos * heads + h) * hd * 4, hd);
        }
    }

    /** S[r][0..width) = Q_r · K[t0 ..), for all rowsPad rows, in 6 × 2-vector register blocks. */
    private static void scores(float[] qT, float[] kp, float[] s, int rowsPad, int hd, int t0, int width, int kt,
                               int kw, VectorSpecies<Float> sp) {
        int vl = sp.length();
        for (int c = 0; c < rowsPad / MR; c++) {
            int qb = c * hd * MR;
            for (int j = 0; j < width; j += kw) {
                int kb = (t0 + j) / kw * hd * kw;
                FloatVector a00 = FloatVector.zero(sp), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00,
                        a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
                for (int d = 0; d < hd; d++) {
                    int ko = kb + d * kw, qo = qb + d * MR;
                    FloatVector k0 = FloatVector.fromArray(sp, kp, ko), k1 = FloatVector.fromArray(sp, kp, ko + vl);
                    FloatVector b = FloatVector.broadcast(sp, qT[qo]);
                    a00 = b.fma(k0, a00); a01 = b.fma(k1, a01);
                    b = FloatVector.broadcast(sp, qT[qo + 1]);
                    a10 = b.fma(k0, a10); a11 = b.fma(k1, a11);
                    b = FloatVector.broadcast(sp, qT[qo + 2]);
                    a20 = b.fma(k0, a20); a21 = b.fma(k1, a21);
                    b = FloatVector.broadcast(sp, qT[qo + 3]);
                    a30 = b.fma(k0, a30); a31 = b.fma(k1, a31);
                    b = FloatVector.broadcast(sp, qT[qo + 4]);
                    a40 = b.fma(k0, a40); a41 = b.fma(k1, a41);
                    b = FloatVector.broadcast(sp, qT[qo + 5]);
                    a50 = b.fma(k0, a50); a51 = b.fma(k1, a51);
                }
                int so = c * MR * kt + j;
                a00.intoArray(s, so); a01.intoArray(s, so + vl); so += kt;
                a10.intoArray(s, so); a11.intoArray(s, so + vl); so += kt;
                a20.intoArray(s, so); a21.intoArray(s, so + vl); so += kt;
                a30.intoArray(s, so); a31.intoArray(s, so + vl); so += kt;
                a40.intoArray(s, so); a41.intoArray(s, so + vl); so += kt;
                a50.intoArray(s, so); a51.intoArray(s, so + vl);
            }
        }
    }

    /**
     * Online softmax over one score tile: per row, the new running max, the tile's weights e^(s − max) written
     * back into S, the running sum and the accumulators rescaled by e^(old max − new max). Rows with no visible
     * key in this tile (and padding rows) get all-zero weights.
     */
    private static void softmaxStep(float[] s, float[] o, float[] mx, float[] sum, int rows, int rowsPad, int width,
                                    int kt, int hdPad, VectorSpecies<Float> sp) {
        int vl = sp.length();
        for (int r = 0; r < rowsPad; r++) {
            int so = r * kt;
            if (r >= rows) { Arrays.fill(s, so, so + width, 0f); continue; }
            FloatVector vmax = FloatVector.broadcast(sp, Float.NEGATIVE_INFINITY);
            for (int j = 0; j < width; j += vl) vmax = vmax.max(FloatVector.fromArray(sp, s, so + j));
            float tileMax = vmax.reduceLanes(VectorOperators.MAX);
            if (tileMax == Float.NEGATIVE_INFINITY) { Arrays.fill(s, so, so + width, 0f); continue; }
            float old = mx[r], now = Math.max(old, tileMax);
            FloatVector vnow = FloatVector.broadcast(sp, now);
            FloatVector acc = FloatVector.zero(sp);
            for (int j = 0; j < width; j += vl) {
                FloatVector p = VecMath.exp(FloatVector.fromArray(sp, s, so + j).sub(vnow));
                p.intoArray(s, so + j);
                acc = acc.add(p);
            }
            float tileSum = acc.reduceLanes(VectorOperators.ADD);
            if (old == now) {
                sum[r] += tileSum;
            } else {
                float alpha = old == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(old - now);
                sum[r] = sum[r] * alpha + tileSum;
                int ob = r * hdPad;
                for (int d = 0; d < hdPad; d += vl)
                    FloatVector.fromArray(sp, o, ob + d).mul(alpha).intoArray(o, ob + d);
                mx[r] = now;
            }
        }
    }

    /** O[r][·] += Σ_j P[r][j] · V[t0 + j][·], in 6-row × 2-vector register blocks along the head dimension. */
    private static void accumulate(float[] s, float[] vp, float[] o, int rowsPad, int width, int kt, int t0,
                                   int hdPad, int vl, VectorSpecies<Float> sp) {
        for (int c = 0; c < rowsPad / MR; c++) {
            int sb = c * MR * kt, ob = c * MR * hdPad;
            int d = 0;
            for (; d + 2 * vl <= hdPad; d += 2 * vl) {
                int o0 = ob + d;
                FloatVector a00 = FloatVector.fromArray(sp, o, o0), a01 = FloatVector.fromArray(sp, o, o0 + vl);
                FloatVector a10 = FloatVector.fromArray(sp, o, o0 + hdPad), a11 = FloatVector.fromArray(sp, o, o0 + hdPad + vl);
                FloatVector a20 = FloatVector.fromArray(sp, o, o0 + 2 * hdPad), a21 = FloatVector.fromArray(sp, o, o0 + 2 * hdPad + vl);
                FloatVector a30 = FloatVector.fromArray(sp, o, o0 + 3 * hdPad), a31 = FloatVector.fromArray(sp, o, o0 + 3 * hdPad + vl);
                FloatVector a40 = FloatVector.fromArray(sp, o, o0 + 4 * hdPad), a41 = FloatVector.fromArray(sp, o, o0 + 4 * hdPad + vl);
                FloatVector a50 = FloatVector.fromArray(sp, o, o0 + 5 * hdPad), a51 = FloatVector.fromArray(sp, o, o0 + 5 * hdPad + vl);
                for (int j = 0; j < width; j++) {
                    int vo = (t0 + j) * hdPad + d;
                    FloatVector v0 = FloatVector.fromArray(sp, vp, vo), v1 = FloatVector.fromArray(sp, vp, vo + vl);
                    int si = sb + j;
                    FloatVector b = FloatVector.broadcast(sp, s[si]);
                    a00 = b.fma(v0, a00); a01 = b.fma(v1, a01);
                    b = FloatVector.broadcast(sp, s[si + kt]);
                    a10 = b.fma(v0, a10); a11 = b.fma(v1, a11);
                    b = FloatVector.broadcast(sp, s[si + 2 * kt]);
                    a20 = b.fma(v0, a20); a21 = b.fma(v1, a21);
                    b = FloatVector.broadcast(sp, s[si + 3 * kt]);
                    a30 = b.fma(v0, a30); a31 = b.fma(v1, a31);
                    b = FloatVector.broadcast(sp, s[si + 4 * kt]);
                    a40 = b.fma(v0, a40); a41 = b.fma(v1, a41);
                    b = FloatVector.broadcast(sp, s[si + 5 * kt]);
                    a50 = b.fma(v0, a50); a51 = b.fma(v1, a51);
                }
                a00.intoArray(o, o0); a01.intoArray(o, o0 + vl);
                a10.intoArray(o, o0 + hdPad); a11.intoArray(o, o0 + hdPad + vl);
                a20.intoArray(o, o0 + 2 * hdPad); a21.intoArray(o, o0 + 2 * hdPad + vl);
                a30.intoArray(o, o0 + 3 * hdPad); a31.intoArray(o, o0 + 3 * hdPad + vl);
                a40.intoArray(o, o0 + 4 * hdPad); a41.intoArray(o, o0 + 4 * hdPad + vl);
                a50.intoArray(o, o0 + 5 * hdPad); a51.intoArray(o, o0 + 5 * hdPad + vl);
            }
            for (; d < hdPad; d += vl) { // one vector left over (hdPad an odd number of vectors)
                int o0 = ob + d;
                FloatVector a0 = FloatVector.fromArray(sp, o, o0), a1 = FloatVector.fromArray(sp, o, o0 + hdPad),
                        a2 = FloatVector.fromArray(sp, o, o0 + 2 * hdPad), a3 = FloatVector.fromArray(sp, o, o0 + 3 * hdPad),
                        a4 = FloatVector.fromArray(sp, o, o0 + 4 * hdPad), a5 = FloatVector.fromArray(sp, o, o0 + 5 * hdPad);
                for (int j = 0; j < width; j++) {
                    FloatVector v0 = FloatVector.fromArray(sp, vp, (t0 + j) * hdPad + d);
                    int si = sb + j;
                    a0 = FloatVector.broadcast(sp, s[si]).fma(v0, a0);
                    a1 = FloatVector.broadcast(sp, s[si + kt]).fma(v0, a1);
                    a2 = FloatVector.broadcast(sp, s[si + 2 * kt]).fma(v0, a2);
                    a3 = FloatVector.broadcast(sp, s[si + 3 * kt]).fma(v0, a3);
                    a4 = FloatVector.broadcast(sp, s[si + 4 * kt]).fma(v0, a4);
                    a5 = FloatVector.broadcast(sp, s[si + 5 * kt]).fma(v0, a5);
                }
                a0.intoArray(o, o0); a1.intoArray(o, o0 + hdPad); a2.intoArray(o, o0 + 2 * hdPad);
                a3.intoArray(o, o0 + 3 * hdPad); a4.intoArray(o, o0 + 4 * hdPad); a5.intoArray(o, o0 + 5 * hdPad);
            }
        }
    }
}
