package dev.omnigen2.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense, row-major tensor over an off-heap {@link MemorySegment}.
 *
 * <p>Weights keep the dtype they are stored in (a zero-copy view of a memory-mapped file);
 * activations are F32. Views along the first dimension ({@link #slice0}, {@link #select0}) and
 * {@link #reshape} share memory; anything that would need strides ({@link #narrow} on an inner
 * dimension, {@link #transpose}) returns a contiguous copy, so every kernel can assume
 * contiguous rows.
 */
public final class Tensor {
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType dtype;
    private final int[] shape;
    private final long numel;
    private final MemorySegment data;

    public Tensor(DType dtype, int[] shape, MemorySegment data) {
        this.dtype = dtype;
        this.shape = shape.clone();
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            n *= d;
        }
        this.numel = n;
        if (data.byteSize() < n * dtype.byteSize())
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes is too small for "
                    + dtype + Arrays.toString(shape));
        this.data = data;
    }

    /**
     * A zero-filled tensor in memory freed by the garbage collector — or, inside {@link #scoped} on this thread, when
     * the scope ends.
     */
    public static Tensor allocate(DType dtype, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        Arena scope = SCOPE.get();
        MemorySegment seg = (scope != null ? scope : Arena.ofAuto()).allocate(Math.max(1, n * dtype.byteSize()), 64);
        return new Tensor(dtype, shape, seg);
    }

    private static final ThreadLocal<Arena> SCOPE = new ThreadLocal<>();

    /**
     * Runs {@code body} with the tensors this thread allocates meanwhile taken from one arena that is freed when it
     * returns: for intermediates that die together (one decoder layer's), so their memory is reused at once. Left
     * to the garbage collector, which with a small Java heap runs rarely, every product got fresh pages (page
     * faults, gigabytes of resident memory). A tensor allocated inside must not outlive the scope: using it later
     * throws {@link IllegalStateException}. Allocations by pool workers are not scoped.
     */
    public static void scoped(Runnable body) {
        Arena outer = SCOPE.get();
        try (Arena arena = Arena.ofShared()) { // shared: pool workers read and write these tensors
            SCOPE.set(arena);
            body.run();
        } finally {
            SCOPE.set(outer);
        }
    }

    public static Tensor zeros(int... shape) { return allocate(DType.F32, shape); }

    /** An F32 tensor holding a copy of {@code values}. */
    public static Tensor of(float[] values, int... shape) {
        Tensor t = zeros(shape);
        if (values.length != t.numel)
            throw new IllegalArgumentException(values.length + " values for shape " + Arrays.toString(shape));
        MemorySegment.copy(values, 0, t.data, F32, 0, values.length);
        return t;
    }

    public DType dtype() { return dtype; }
    public int[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public int size(int dim) { return shape[dim < 0 ? shape.length + dim : dim]; }
    public long numel() { return numel; }
    public MemorySegment data() { return data; }
    public long byteSize() { return numel * dtype.byteSize(); }

    /** Element {@code i} (row-major flat index) as float, converting any floating or integer dtype. */
    public float getFloat(long i) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, i);
            case BF16 -> Half.bf16ToF32(data.getAtIndex(I16, i));
            case F16 -> Half.f16ToF32(data.getAtIndex(I16, i));
            case F64 -> (float) data.getAtIndex(F64, i);
            case F8_E4M3 -> Half.e4m3ToF32(data.get(ValueLayout.JAVA_BYTE, i));
            case F8_E5M2 -> Half.e5m2ToF32(data.get(ValueLayout.JAVA_BYTE, i));
            case I64 -> data.getAtIndex(I64, i);
            case I32 -> data.getAtIndex(I32, i);
            case I16 -> data.getAtIndex(I16, i);
            case I8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8 -> data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
        };
    }

    /** Element {@code i} as long (integer dtypes; floats are truncated). */
    public long getLong(long i) {
        return switch (dtype) {
            case I64 -> data.getAtIndex(I64, i);
            case I32 -> data.getAtIndex(I32, i);
            case I16 -> data.getAtIndex(I16, i);
            case I8, BOOL -> data.get(ValueLayout.JAVA_BYTE, i);
            case U8 -> data.get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            default -> (long) getFloat(i);
        };
    }

    public void setFloat(long i, float v) {
        switch (dtype) {
            case F32 -> data.setAtIndex(F32, i, v);
            case BF16 -> data.setAtIndex(I16, i, Half.f32ToBf16(v));
            case F16 -> data.setAtIndex(I16, i, Half.f32ToF16(v));
            case F64 -> data.setAtIndex(F64, i, v);
            default -> throw new UnsupportedOperationException("setFloat on " + dtype);
        }
    }

    /** Element at a multi-dimensional index. */
    public float get(int... idx) { return getFloat(flatIndex(idx)); }

    public void set(float v, int... idx) { setFloat(flatIndex(idx), v); }

    private long flatIndex(int[] idx) {
        if (idx.length != shape.length)
            throw new IllegalArgumentException("index of rank " + idx.length + " for shape " + Arrays.toString(shape));
        long f = 0;
        for (int d = 0; d < shape.length; d++) {
            if (idx[d] < 0 || idx[d] >= shape[d])
                throw new IndexOutOfBoundsException("index " + Arrays.toString(idx) + " for shape " + Arrays.toString(shape));
            f = f * shape[d] + idx[d];
        }
        return f;
    }

    public float[] toFloatArray() {
        if (numel > Integer.MAX_VALUE) throw new IllegalStateException("tensor too large for a float[]");
        float[] out = new float[(int) numel];
        if (dtype == DType.F32) MemorySegment.copy(data, F32, 0, out, 0, out.length);
        else for (int i = 0; i < out.length; i++) out[i] = getFloat(i);
        return out;
    }

    public long[] toLongArray() {
        long[] out = new long[(int) numel];
        for (int i = 0; i < out.length; i++) out[i] = getLong(i);
        return out;
    }

    /** Same memory, new shape with the same element count; one dimension may be -1. */
    public Tensor reshape(int... newShape) {
        int[] s = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < s.length; i++) {
            if (s[i] == -1) infer = i; else known *= s[i];
        }
        if (infer >= 0) s[infer] = (int) (numel / Math.max(1, known));
        long n = 1;
        for (int d : s) n *= d;
        if (n != numel)
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
        return new Tensor(dtype, s, data);
    }

    private long rowElements() {
        long n = 1;
        for (int d = 1; d < shape.length; d++) n *= shape[d];
        return n;
    }

    /** Rows [start, start+len) of the first dimension, sharing memory. */
    public Tensor slice0(int start, int len) {
        if (start < 0 || len < 0 || start + len > shape[0])
            throw new IndexOutOfBoundsException("slice [" + start + ", " + (start + len) + ") of dim 0 size " + shape[0]);
        long row = rowElements() * dtype.byteSize();
        int[] s = shape.clone();
        s[0] = len;
        return new Tensor(dtype, s, data.asSlice(start * row, len * row));
    }

    /** Row {@code i} of the first dimension with that dimension dropped, sharing memory. */
    public Tensor select0(int i) {
        Tensor t = slice0(i, 1);
        return new Tensor(dtype, Arrays.copyOfRange(shape, 1, shape.length), t.data);
    }

    /** Indices [start, start+len) of dimension {@code dim}; a view for dim 0, otherwise a contiguous copy. */
    public Tensor narrow(int dim, int start, int len) {
        if (dim < 0) dim += shape.length;
        if (dim == 0) return slice0(start, len);
        if (start < 0 || len < 0 || start + len > shape[dim])
            throw new IndexOutOfBoundsException("narrow [" + start + ", " + (start + len) + ") of dim " + dim + " size " + shape[dim]);
        long outer = 1, inner = dtype.byteSize();
        for (int d = 0; d < dim; d++) outer *= shape[d];
        for (int d = dim + 1; d < shape.length; d++) inner *= shape[d];
        int[] s = shape.clone();
        s[dim] = len;
        Tensor out = allocate(dtype, s);
        for (long o = 0; o < outer; o++)
            MemorySegment.copy(data, (o * shape[dim] + start) * inner, out.data, o * len * inner, len * inner);
        return out;
    }

    /** A contiguous copy with dimensions {@code a} and {@code b} swapped. */
    public Tensor transpose(int a, int b) {
        int r = shape.length;
        if (a < 0) a += r;
        if (b < 0) b += r;
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) perm[i] = i;
        perm[a] = b;
        perm[b] = a;
        return permute(perm);
    }

    /** A contiguous copy with dimensions reordered: output dim i is input dim perm[i]. */
    public Tensor permute(int... perm) {
        int r = shape.length;
        int[] s = new int[r];
        long[] inStride = new long[r];
        long st = 1;
        for (int d = r - 1; d >= 0; d--) { inStride[d] = st; st *= shape[d]; }
        long[] strideOut = new long[r];
        for (int i = 0; i < r; i++) { s[i] = shape[perm[i]]; strideOut[i] = inStride[perm[i]]; }
        Tensor out = allocate(dtype, s);
        int es = dtype.byteSize();
        int[] idx = new int[r];
        for (long o = 0; o < numel; o++) {
            long src = 0;
            for (int i = 0; i < r; i++) src += idx[i] * strideOut[i];
            MemorySegment.copy(data, src * es, out.data, o * es, es);
            for (int i = r - 1; i >= 0; i--) {
                if (++idx[i] < s[i]) break;
                idx[i] = 0;
            }
        }
        return out;
    }

    /** A contiguous copy in the same dtype. */
    public Tensor copy() {
        Tensor out = allocate(dtype, shape);
        MemorySegment.copy(data, 0, out.data, 0, byteSize());
        return out;
    }

    /** An F32 copy (or this tensor itself when it already is F32). */
    public Tensor toF32() {
        if (dtype == DType.F32) return this;
        Tensor out = zeros(shape);
        for (long i = 0; i < numel; i++) out.data.setAtIndex(F32, i, getFloat(i));
        return out;
    }

    /** Copies all elements of {@code src} (same element count and dtype) into this tensor. */
    public void copyFrom(Tensor src) {
        if (src.numel != numel || src.dtype != dtype)
            throw new IllegalArgumentException("copy " + src + " into " + this);
        MemorySegment.copy(src.data, 0, data, 0, byteSize());
    }

    public void fill(float v) {
        for (long i = 0; i < numel; i++) setFloat(i, v);
    }

    @Override
    public String toString() { return dtype + Arrays.toString(shape); }
}
