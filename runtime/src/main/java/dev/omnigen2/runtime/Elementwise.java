package dev.omnigen2.runtime;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Elementwise add / sub / mul / scale on F32 tensors with numpy-style broadcasting (shapes aligned at the
 * right, size-1 dimensions stretched). The output may alias an input of the output's shape. The innermost run
 * where both operands advance together (or one stays constant) is vectorised; results do not depend on the
 * thread count.
 */
public final class Elementwise {
    private Elementwise() {}

    public static Tensor add(Tensor a, Tensor b) { return apply(OpKernels.ADD, a, b, null); }

    public static Tensor sub(Tensor a, Tensor b) { return apply(OpKernels.SUB, a, b, null); }

    public static Tensor mul(Tensor a, Tensor b) { return apply(OpKernels.MUL, a, b, null); }

    public static void add(Tensor a, Tensor b, Tensor out) { apply(OpKernels.ADD, a, b, out); }

    public static void sub(Tensor a, Tensor b, Tensor out) { apply(OpKernels.SUB, a, b, out); }

    public static void mul(Tensor a, Tensor b, Tensor out) { apply(OpKernels.MUL, a, b, out); }

    /** out = x · s. */
    public static void scale(Tensor x, float s, Tensor out) {
        if (x.dtype() != DType.F32 || out.dtype() != DType.F32 || x.numel() != out.numel())
            throw new IllegalArgumentException("scale: x " + x + " and out " + out + " must be F32 of one size");
        if (Vectors.scalar()) {
            Activations.chunks(x.numel(), (i, n) -> { for (long j = i; j < i + n; j++) out.setFloat(j, x.getFloat(j) * s); });
            return;
        }
        OpKernels k = OpKernels.of(Vectors.floats());
        MemorySegment xs = x.data(), os = out.data();
        Activations.chunks(x.numel(), (i, n) -> k.binaryScalar(OpKernels.MUL, xs, 4 * i, s, true, os, 4 * i, n));
    }

    public static Tensor scale(Tensor x, float s) {
        Tensor out = Tensor.zeros(x.shape());
        scale(x, s, out);
        return out;
    }

    /** The broadcast shape of a and b, or an exception naming both. */
    public static int[] broadcastShape(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)], db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1)
                throw new IllegalArgumentException("cannot broadcast " + Arrays.toString(a) + " with " + Arrays.toString(b));
            out[i] = Math.max(da, db);
        }
        return out;
    }

    private static Tensor apply(int op, Tensor a, Tensor b, Tensor out) {
        if (a.dtype() != DType.F32 || b.dtype() != DType.F32)
            throw new IllegalArgumentException("elementwise: operands must be F32, got " + a + " and " + b);
        int[] shape = broadcastShape(a.shape(), b.shape());
        if (out == null) out = Tensor.zeros(shape);
        else if (out.dtype() != DType.F32 || !Arrays.equals(out.shape(), shape))
            throw new IllegalArgumentException("elementwise: out " + out + " must be F32" + Arrays.toString(shape));
        int r = shape.length;
        long[] sa = strides(a.shape(), shape), sb = strides(b.shape(), shape);
        // Innermost run: trailing dims where each operand either advances contiguously or stays constant.
        int inner = 1, d = r;
        boolean aConst = true, bConst = true, aFull = true, bFull = true;
        while (d > 0) {
            int n = shape[d - 1];
            boolean ac = sa[d - 1] == 0 || n == 1, bc = sb[d - 1] == 0 || n == 1;
            boolean af = sa[d - 1] == inner || n == 1, bf = sb[d - 1] == inner || n == 1;
            boolean nextAConst = aConst && ac, nextBConst = bConst && bc, nextAFull = aFull && af, nextBFull = bFull && bf;
            if (!((nextAFull || nextAConst) && (nextBFull || nextBConst))) break;
            aConst = nextAConst; bConst = nextBConst; aFull = nextAFull; bFull = nextBFull;
            inner *= n;
            d--;
        }
        long total = out.numel();
        long outer = inner == 0 ? 0 : total / inner;
        int outerDims = d;
        Tensor o = out;
        MemorySegment as = a.data(), bs = b.data(), os = out.data();
        OpKernels k = Vectors.scalar() ? null : OpKernels.of(Vectors.floats());
        int run = inner;
        boolean aC = aConst && !aFull, bC = bConst && !bFull;
        int per = Math.max(1, Norms.CHUNK / Math.max(1, run));
        long tasks = (outer + per - 1) / per;
        Parallel.forEach((int) tasks, t -> {
            int[] idx = new int[Math.max(1, outerDims)];
            for (long q = (long) t * per; q < Math.min(outer, (long) (t + 1) * per); q++) {
                long rem = q, ao = 0, bo = 0;
                for (int i = outerDims - 1; i >= 0; i--) {
                    int c = (int) (rem % shape[i]);
                    rem /= shape[i];
                    ao += c * sa[i];
                    bo += c * sb[i];
                }
                long oo = q * run;
                if (k == null) {
                    for (int j = 0; j < run; j++) {
                        float x = as.getAtIndex(Tensor.F32, aC ? ao : ao + j), y = bs.getAtIndex(Tensor.F32, bC ? bo : bo + j);
                        os.setAtIndex(Tensor.F32, oo + j, op == OpKernels.ADD ? x + y : op == OpKernels.SUB ? x - y : x * y);
                    }
                } else if (aC) {
                    k.binaryScalar(op, bs, 4 * bo, as.getAtIndex(Tensor.F32, ao), false, os, 4 * oo, run);
                } else if (bC) {
                    k.binaryScalar(op, as, 4 * ao, bs.getAtIndex(Tensor.F32, bo), true, os, 4 * oo, run);
                } else {
                    k.binary(op, as, 4 * ao, bs, 4 * bo, os, 4 * oo, run);
                }
            }
        });
        return o;
    }

    /** Element strides of a tensor of shape {@code s} read as the broadcast shape {@code to} (0 where stretched). */
    private static long[] strides(int[] s, int[] to) {
        int r = to.length, off = r - s.length;
        long[] st = new long[r];
        long acc = 1;
        for (int i = r - 1; i >= 0; i--) {
            int dim = i < off ? 1 : s[i - off];
            st[i] = dim == 1 && to[i] != 1 ? 0 : acc;
            acc *= dim;
        }
        return st;
    }
}
