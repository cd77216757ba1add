package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import jdk.incubator.vector.VectorSpecies;

/**
 * The vector path of {@link Attention}: flash-style tiling with an online softmax.
 *
 * <p>Work is cut into tasks (KV head, query block). A query block is P consecutive positions inside one
 * segment; with the G = H/KVH query heads that share the KV head this gives R = G·P rows (about 24), so
 * every K and V row loaded from cache serves all of them. For each tile of KT keys a task computes the score
 * tile S = Q·Kᵀ with an MR-row × 2-vector register block (vectors run along keys, over K packed transposed in
 * panels; Q rows as they are, scaled), masks it, updates the running max / sum of each row and rescales its
 * accumulators, then adds P·V with an MR-row × 2-vector block along the head dimension (V packed with rows
 * padded to whole vectors); MR is {@link OpKernels#MR}.
 * The task list depends only on shapes and mask, so results are identical for any thread count.
 */
final class FlashAttention {
    private FlashAttention() {}

    private static final int MR = OpKernels.MR;
    private static final double LOG2E = 1.4426950408889634;
    /** Target rows per task (query heads of a group × positions). */
    private static final int ROWS = Integer.getInteger("omnigen2.attn.rows", 24);
    /** Padding of the staged K rows, so that the lanes of one gather do not all fall into one L1 set. */
    private static final int STAGE_PAD = 16;
    /**
     * Keys per score tile. Long tiles amortise each row's softmax bookkeeping (max and sum reductions, rescaling the
     * accumulators) and the accumulator loads of P·V: 512 ran causal 16×1024×128 at 76 % of the linear GFLOP/s where
     * 128 ran at 70 %, bidirectional 21×4352×120 at 83 % where 128 ran at 77 %; the 24 × 512 score tile (48 KB)
     * is read back from L1 and L2 alike.
     */
    private static final int KT = Integer.getInteger("omnigen2.attn.kt", 512);

    private static final class Work {
        float[] qT = new float[0], s = new float[0], o = new float[0], m = new float[0], l = new float[0];

        float[] grow(float[] a, int n) { return a.length >= n ? a : new float[n]; }
    }

    private static final ThreadLocal<Work> WORK = ThreadLocal.withInitial(Work::new);

    /** At most this many queries (and no segments) take the unpacked path: packing K and V would cost more. */
    static final int FEW_QUERIES = 4;

    static void forward(Tensor q, Tensor k, Tensor v, Tensor out, int heads, int kvHeads, int hd, float scale,
                        Attention.Mask mask, VectorSpecies<Float> sp) {
        int lq = q.size(0), lk = k.size(0);
        if (lq <= FEW_QUERIES && mask.segments() == null) {
            forwardFewQueries(q, k, v, out, heads, kvHeads, hd, scale, mask, sp);
            return;
        }
        int g = heads / kvHeads;
        int vl = sp.length(), kw = 2 * vl;
        int hdPad = (hd + vl - 1) / vl * vl;
        int panels = Math.max(1, (lk + kw - 1) / kw);
        int lkPad = panels * kw;
        int kt = Math.max(kw, KT / kw * kw);

        // Packed K (per KV head: panels of kw keys, each [hd][kw]) and V (per KV head: panels of 2 vectors along
        // the head dimension, each [lkPad][2·vl], then a 1-vector panel when hdPad is an odd number of vectors).
        float[][] kPack = new float[kvHeads][panels * hd * kw];
        float[][] vPack = new float[kvHeads][lkPad * hdPad];
        int packChunk = 16; // panels per packing task
        int chunks = (panels + packChunk - 1) / packChunk;
        MemorySegment ks = k.data(), vs = v.data();
        OpKernels kern = OpKernels.of(sp);
        int stride = hd + STAGE_PAD;
        Parallel.forEach(kvHeads * chunks, t -> {
            int kh = t / chunks, p0 = (t % chunks) * packChunk, p1 = Math.min(panels, p0 + packChunk);
            float[] kp = kPack[kh], vp = vPack[kh];
            float[] stage = new float[kw * stride]; // kw key rows, zero beyond lk
            for (int p = p0; p < p1; p++) {
                for (int j = 0; j < kw; j++) {
                    int key = p * kw + j;
                    if (key >= lk) { Arrays.fill(stage, j * stride, j * stride + hd, 0f); continue; }
                    long src = ((long) key * kvHeads + kh) * hd * 4;
                    MemorySegment.copy(ks, Tensor.F32, src, stage, j * stride, hd);
                    kern.packValueRow(vs, src, hd, hdPad, vp, key, lkPad);
                }
                kern.transposeRows(stage, stride, hd, kp, p * hd * kw);
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
            // Within a KV head, the last blocks first: causal blocks grow along the sequence, and a call that ended
            // on its longest ones left a thread idle while another finished them.
            int[] blk = blocks.get(nBlocks - 1 - t % nBlocks);
            block(qs, os, kPack[kh], vPack[kh], invalidBefore, valid, mask, blk, kh, heads, g, hd, hdPad, lk, kw, kt,
                    scale, kern);
        });
    }

    private static void block(MemorySegment qs, MemorySegment os, float[] kp, float[] vp, int[] invalidBefore,
                              boolean[] valid, Attention.Mask mask, int[] blk, int kh, int heads, int g, int hd,
                              int hdPad, int lk, int kw, int kt, float scale, OpKernels kern) {
        int i0 = blk[0], i1 = blk[1], segLo = blk[2], segHi = Math.min(blk[3], lk);
        int rows = (i1 - i0) * g, rowsPad = (rows + MR - 1) / MR * MR, lanes = kern.lanes();
        int lkPad = Math.max(1, (lk + kw - 1) / kw) * kw;
        Work w = WORK.get();
        float[] qT = w.qT = w.grow(w.qT, rowsPad * hd);
        float[] s = w.s = w.grow(w.s, rowsPad * kt);
        float[] o = w.o = w.grow(w.o, rowsPad * hdPad);
        float[] mx = w.m = w.grow(w.m, rowsPad);
        float[] sum = w.l = w.grow(w.l, rowsPad * lanes); // per-row lane partial sums

        // Q rows scaled by scale·log2(e), so scores come out in log2 units and the softmax uses 2^x; row-major
        // [rowsPad][hd] (the score tile broadcasts each element from where it lies, so no transpose is needed). The
        // g heads of one position are adjacent in q: one copy per position.
        float qScale = (float) (scale * LOG2E);
        for (int pos = i0; pos < i1; pos++)
            kern.scaleFrom(qs, ((long) pos * heads + (long) kh * g) * hd * 4, qScale, qT, (pos - i0) * g * hd, g * hd);
        Arrays.fill(qT, rows * hd, rowsPad * hd, 0f);
        Arrays.fill(o, 0, rowsPad * hdPad, 0f);
        Arrays.fill(mx, 0, rowsPad, Float.NEGATIVE_INFINITY);
        Arrays.fill(sum, 0, rowsPad * lanes, 0f);

        boolean causal = mask.causal();
        long off = mask.causalOffset();
        int lo = segLo;
        int hiFirst = causal ? (int) Math.min(segHi, off + i0 + 1) : segHi;
        int hiLast = causal ? (int) Math.min(segHi, off + i1) : segHi;
        for (int t0 = lo / kw * kw; hiLast > lo && t0 < hiLast; t0 += kt) {
            int width = Math.min(kt, (hiLast - t0 + kw - 1) / kw * kw);
            boolean clean = t0 >= lo && t0 + width <= hiFirst && invalidBefore[t0 + width] == invalidBefore[t0];
            boolean someInvalid = invalidBefore[t0 + width] != invalidBefore[t0];
            // Row tiles that see the same keys of this tile go together. Causal rows near the diagonal see fewer:
            // a row tile stops at its last row's last key (rounded up to a vector for the softmax and P·V, to a
            // panel for the scores), and one that sees none of the tile skips it.
            for (int r0 = 0; r0 < rowsPad; ) {
                int used = usedKeys(r0, rows, i0, g, causal, off, segHi, t0, width, lanes), r1 = r0 + MR;
                while (r1 < rowsPad && usedKeys(r1, rows, i0, g, causal, off, segHi, t0, width, lanes) == used) r1 += MR;
                if (used > 0) {
                    int scored = Math.min(width, (used + kw - 1) / kw * kw);
                    kern.scores(qT, kp, s, r0, r1, hd, t0, scored, kt);
                    if (!clean) {
                        for (int r = r0; r < Math.min(r1, rows); r++) {
                            int pos = i0 + r / g;
                            int hi = causal ? (int) Math.min(segHi, off + pos + 1) : segHi;
                            int so = r * kt;
                            int a = Math.clamp(lo - t0, 0, scored), b = Math.clamp(hi - t0, a, scored);
                            Arrays.fill(s, so, so + a, Float.NEGATIVE_INFINITY);
                            Arrays.fill(s, so + b, so + scored, Float.NEGATIVE_INFINITY);
                            if (someInvalid)
                                for (int j = a; j < b; j++)
                                    if (t0 + j >= lk || (valid != null && !valid[t0 + j])) s[so + j] = Float.NEGATIVE_INFINITY;
                        }
                    }
                    kern.softmaxStep(s, o, mx, sum, r0, r1, rows, used, kt, hdPad);
                    kern.accumulate(s, vp, o, r0, r1, used, kt, t0, hdPad, lkPad);
                }
                r0 = r1;
            }
        }
        for (int r = 0; r < rows; r++) {
            int pos = i0 + r / g, h = kh * g + r % g;
            float l = 0f; // lanes added in order: deterministic
            for (int i = 0; i < lanes; i++) l += sum[r * lanes + i];
            float inv = l > 0 ? 1f / l : 0f;
            kern.scaleInto(o, r * hdPad, inv, os, ((long) pos * heads + h) * hd * 4, hd);
        }
    }

    /**
     * Keys of the score tile at t0 (width keys) that rows r0 .. r0 + MR − 1 can see, rounded up to a vector: causal
     * rows see up to their last row's position.
     */
    private static int usedKeys(int r0, int rows, int i0, int g, boolean causal, long off, int segHi, int t0, int width,
                                int lanes) {
        int last = Math.min(rows, r0 + MR) - 1;
        int hi = causal ? (int) Math.min(segHi, off + i0 + last / g + 1) : segHi;
        return Math.clamp((long) (hi - t0 + lanes - 1) / lanes * lanes, 0, width);
    }

    /**
     * Decode steps (a few queries against a long KV cache): one task per (query, head) reads K and V rows in
     * place, two passes (scores with their max, then weights and P·V), no packing.
     */
    static void forwardFewQueries(Tensor q, Tensor k, Tensor v, Tensor out, int heads, int kvHeads, int hd, float scale,
                                  Attention.Mask mask, VectorSpecies<Float> sp) {
        int lq = q.size(0), lk = k.size(0), g = heads / kvHeads;
        OpKernels kern = OpKernels.of(sp);
        MemorySegment qs = q.data(), ks = k.data(), vs = v.data(), os = out.data();
        boolean[] valid = mask.keyValid();
        java.util.function.IntConsumer task = t -> {
            int i = t / heads, h = t % heads, kh = h / g;
            int hi = mask.causal() ? (int) Math.min(lk, (long) mask.causalOffset() + i + 1) : lk;
            float[] scores = new float[Math.max(0, hi)];
            float[] acc = new float[hd];
            long qo = ((long) i * heads + h) * hd * 4;
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < hi; j++) {
                if (valid != null && !valid[j]) { scores[j] = Float.NEGATIVE_INFINITY; continue; }
                scores[j] = kern.dot(qs, qo, ks, ((long) j * kvHeads + kh) * hd * 4, hd) * scale;
                max = Math.max(max, scores[j]);
            }
            if (max != Float.NEGATIVE_INFINITY) {
                float sum = 0f;
                for (int j = 0; j < hi; j++) {
                    if (scores[j] == Float.NEGATIVE_INFINITY) continue;
                    float p = VecMath.expScalar(scores[j] - max);
                    sum += p;
                    kern.axpy(p, vs, ((long) j * kvHeads + kh) * hd * 4, acc, hd);
                }
                float inv = 1f / sum;
                for (int d = 0; d < hd; d++) acc[d] *= inv;
            }
            MemorySegment.copy(acc, 0, os, Tensor.F32, qo, hd);
        };
        // A decode step over a cache of a few hundred tokens is tens of microseconds of work: forking it out to
        // the pool and joining costs as much, and more when another process holds a core. Each (query, head) is
        // computed the same way wherever it runs, so this choice changes no bit.
        if ((long) lq * heads * lk * hd < SERIAL_WORK) for (int t = 0; t < lq * heads; t++) task.accept(t);
        else Parallel.forEach(lq * heads, task);
    }

    /** Below this many query·key·dim products a few-query call runs on the calling thread. */
    static final long SERIAL_WORK = Long.getLong("omnigen2.attn.serialWork", 1L << 20);
}
