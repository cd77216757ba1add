package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The memory-bandwidth probe: reads buffers far larger than the caches as fast as plain Java can, so that the
 * memory-bound kernels (decode GEMV, a decode step) have an honest ceiling measured on the same machine, threads
 * and kind of memory (an off-heap buffer, or the memory-mapped checkpoint in the page cache).
 *
 * <p>The bytes are cut into fixed 4 MiB tasks spread over the {@link Parallel} pool; each task reads its bytes as
 * {@code streams} sequential streams in lockstep (its first, second, … part, one 64-byte vector of each per step),
 * because one stream per core leaves the memory system idle at every 4 KB page boundary where the hardware
 * prefetchers stop (measured here: one stream ≈ 30 GB/s per core, four ≈ 40). The result is a checksum (the
 * 64-bit sum of the words), returned so the reads cannot be optimised away.
 */
public final class MemoryBandwidth {
    private MemoryBandwidth() {}

    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    /** Bytes per task. */
    static final long CHUNK = 4L << 20;

    /** Reads every byte of {@code segments} once; streams per task: 1, 2, 4 or 8. */
    public static long read(List<MemorySegment> segments, int streams) {
        if (streams != 1 && streams != 2 && streams != 4 && streams != 8)
            throw new IllegalArgumentException("streams must be 1, 2, 4 or 8, got " + streams);
        List<long[]> work = new ArrayList<>();
        for (int s = 0; s < segments.size(); s++)
            for (long o = 0; o < segments.get(s).byteSize(); o += CHUNK)
                work.add(new long[] {s, o, Math.min(CHUNK, segments.get(s).byteSize() - o)});
        long[] sums = new long[work.size()];
        Parallel.forEach(work.size(), i -> {
            long[] w = work.get(i);
            sums[i] = read(segments.get((int) w[0]), w[1], w[2], streams);
        });
        long total = 0;
        for (long v : sums) total += v;
        return total;
    }

    public static long read(MemorySegment segment, int streams) { return read(List.of(segment), streams); }

    /** The 64-bit word sum of [from, from + bytes), read as {@code streams} equal parts in lockstep, then the rest. */
    static long read(MemorySegment seg, long from, long bytes, int streams) {
        int step = L.vectorByteSize();
        long part = bytes / streams / step * step;
        LongVector a = LongVector.zero(L), b = a, c = a, d = a, e = a, f = a, g = a, h = a;
        long o0 = from, o1 = from + part, o2 = from + 2 * part, o3 = from + 3 * part;
        long o4 = from + 4 * part, o5 = from + 5 * part, o6 = from + 6 * part, o7 = from + 7 * part;
        switch (streams) {
            case 1 -> {
                // One stream, four vectors per step (independent adds).
                long quads = part / (4L * step) * (4L * step);
                for (long o = 0; o < quads; o += 4L * step) {
                    a = a.add(LongVector.fromMemorySegment(L, seg, o0 + o, LE));
                    b = b.add(LongVector.fromMemorySegment(L, seg, o0 + o + step, LE));
                    c = c.add(LongVector.fromMemorySegment(L, seg, o0 + o + 2L * step, LE));
                    d = d.add(LongVector.fromMemorySegment(L, seg, o0 + o + 3L * step, LE));
                }
                for (long o = quads; o < part; o += step) a = a.add(LongVector.fromMemorySegment(L, seg, o0 + o, LE));
            }
            case 2 -> {
                for (long o = 0; o < part; o += step) {
                    a = a.add(LongVector.fromMemorySegment(L, seg, o0 + o, LE));
                    b = b.add(LongVector.fromMemorySegment(L, seg, o1 + o, LE));
                }
            }
            case 4 -> {
                for (long o = 0; o < part; o += step) {
                    a = a.add(LongVector.fromMemorySegment(L, seg, o0 + o, LE));
                    b = b.add(LongVector.fromMemorySegment(L, seg, o1 + o, LE));
                    c = c.add(LongVector.fromMemorySegment(L, seg, o2 + o, LE));
                    d = d.add(LongVector.fromMemorySegment(L, seg, o3 + o, LE));
                }
            }
            default -> {
                for (long o = 0; o < part; o += step) {
                    a = a.add(LongVector.fromMemorySegment(L, seg, o0 + o, LE));
                    b = b.add(LongVector.fromMemorySegment(L, seg, o1 + o, LE));
                    c = c.add(LongVector.fromMemorySegment(L, seg, o2 + o, LE));
                    d = d.add(LongVector.fromMemorySegment(L, seg, o3 + o, LE));
                    e = e.add(LongVector.fromMemorySegment(L, seg, o4 + o, LE));
                    f = f.add(LongVector.fromMemorySegment(L, seg, o5 + o, LE));
                    g = g.add(LongVector.fromMemorySegment(L, seg, o6 + o, LE));
                    h = h.add(LongVector.fromMemorySegment(L, seg, o7 + o, LE));
                }
            }
        }
        long sum = a.add(b).add(c).add(d).add(e).add(f).add(g).add(h).reduceLanes(VectorOperators.ADD);
        long end = from + bytes, o = from + streams * part;
        for (; o + 8 <= end; o += 8) sum += seg.get(ValueLayout.JAVA_LONG_UNALIGNED, o);
        for (; o < end; o++) sum += seg.get(ValueLayout.JAVA_BYTE, o);
        return sum;
    }
}
