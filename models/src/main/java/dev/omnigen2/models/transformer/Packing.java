package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Variable-length sequences stored back to back ("packed", as flash-attention's varlen API): segment s holds
 * rows [offset(s), offset(s+1)) of a token-major tensor and belongs to batch sample {@code sample(s)} (whose
 * timestep modulates it). Attention runs within segments, so no padding is ever computed; {@link #toPadded}
 * and {@link #fromPadded} convert to and from upstream's padded [segments, paddedLen, …] layout for tracing
 * and tests.
 */
final class Packing {
    private final int[] lengths;
    private final int[] offsets;
    private final int[] samples;
    private final int paddedLen;

    private Packing(int[] lengths, int[] samples, int paddedLen) {
        if (lengths.length != samples.length) throw new IllegalArgumentException("lengths and samples differ in count");
        this.lengths = lengths.clone();
        this.samples = samples.clone();
        this.offsets = new int[lengths.length + 1];
        int max = 0;
        for (int s = 0; s < lengths.length; s++) {
            offsets[s + 1] = offsets[s] + lengths[s];
            max = Math.max(max, lengths[s]);
        }
        if (paddedLen < max) throw new IllegalArgumentException("padded length " + paddedLen + " < longest segment " + max);
        this.paddedLen = paddedLen;
    }

    /** Segment i belongs to sample i; padded to the longest segment. */
    static Packing perSample(int... lengths) {
        return new Packing(lengths, identity(lengths.length), Arrays.stream(lengths).max().orElse(0));
    }

    static Packing of(int[] lengths, int[] samples, int paddedLen) { return new Packing(lengths, samples, paddedLen); }

    static Packing of(int[] lengths, int[] samples) {
        return new Packing(lengths, samples, Arrays.stream(lengths).max().orElse(0));
    }

    Packing withPaddedLen(int len) { return new Packing(lengths, samples, len); }

    private static int[] identity(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    int segments() { return lengths.length; }
    int length(int s) { return lengths[s]; }
    int offset(int s) { return offsets[s]; }
    int sample(int s) { return samples[s]; }
    int total() { return offsets[lengths.length]; }
    int paddedLen() { return paddedLen; }

    /** Segment boundaries for {@code Attention.Mask.segments}, empty segments dropped. */
    int[] cuSeqlens() {
        int[] cu = new int[lengths.length + 1];
        int n = 1;
        for (int s = 0; s < lengths.length; s++) if (lengths[s] > 0) cu[n++] = offsets[s + 1];
        return Arrays.copyOf(cu, n);
    }

    /** Validity of every position of the padded layout, [segments · paddedLen]. */
    boolean[] paddedMask() {
        boolean[] m = new boolean[lengths.length * paddedLen];
        for (int s = 0; s < lengths.length; s++) Arrays.fill(m, s * paddedLen, s * paddedLen + lengths[s], true);
        return m;
    }

    /** The padded mask as a BOOL tensor [segments, paddedLen]. */
    Tensor maskTensor() {
        Tensor t = Tensor.allocate(DType.BOOL, lengths.length, paddedLen);
        boolean[] m = paddedMask();
        for (int i = 0; i < m.length; i++) t.data().set(ValueLayout.JAVA_BYTE, i, (byte) (m[i] ? 1 : 0));
        return t;
    }

    /** Packed [total, …] → padded [segments, paddedLen, …] with {@code fill} at padding (any dtype). */
    Tensor toPadded(Tensor packed, float fill) {
        checkRows(packed);
        int[] s = packed.shape();
        int[] ps = new int[s.length + 1];
        ps[0] = lengths.length;
        ps[1] = paddedLen;
        System.arraycopy(s, 1, ps, 2, s.length - 1);
        Tensor out = Tensor.allocate(packed.dtype(), ps);
        if (fill != 0) out.fill(fill);
        long row = rowBytes(packed);
        for (int seg = 0; seg < lengths.length; seg++)
            MemorySegment.copy(packed.data(), offsets[seg] * row, out.data(), (long) seg * paddedLen * row, lengths[seg] * row);
        return out;
    }

    /** Padded [segments, ≥longest, …] → packed [total, …] (padded rows dropped). */
    Tensor fromPadded(Tensor padded) {
        if (padded.size(0) != lengths.length)
            throw new IllegalArgumentException("padded " + padded + " has " + padded.size(0) + " rows, packing has " + lengths.length);
        int len = padded.size(1);
        int[] s = padded.shape();
        int[] ps = new int[s.length - 1];
        ps[0] = total();
        System.arraycopy(s, 2, ps, 1, s.length - 2);
        Tensor out = Tensor.allocate(padded.dtype(), ps);
        long row = rowBytes(out);
        for (int seg = 0; seg < lengths.length; seg++)
            MemorySegment.copy(padded.data(), (long) seg * len * row, out.data(), offsets[seg] * row, lengths[seg] * row);
        return out;
    }

    private void checkRows(Tensor packed) {
        if (packed.size(0) != total())
            throw new IllegalArgumentException("packed " + packed + " has " + packed.size(0) + " rows, packing has " + total());
    }

    private static long rowBytes(Tensor t) {
        long n = t.dtype().byteSize();
        for (int d = 1; d < t.rank(); d++) n *= t.size(d);
        return n;
    }
}
