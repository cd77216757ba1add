package dev.omnigen2.sampler;

import dev.omnigen2.runtime.Tensor;

/**
 * PyTorch's CPU random generator, so that a seed gives the Python pipeline's starting noise:
 * {@code torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float32)}.
 *
 * <p>Three pieces, each as PyTorch (1.13 – 2.x, x86-64 builds with AVX2 kernels) does it:
 * <ol>
 *   <li><b>Engine</b>: MT19937 seeded with the low 32 bits of the seed by the standard
 *       {@code init_genrand} recurrence; {@code random()} is one tempered 32-bit output,
 *       {@code random64()} two of them, the first as the high word.</li>
 *   <li><b>Uniforms</b>: float {@code (random() & (2^24−1))·2^−24}; double
 *       {@code (random64() & (2^53−1))·2^−53}.</li>
 *   <li><b>Normals</b>, two paths chosen by element count:
 *     <ul>
 *       <li>≥ 16 elements: first the whole buffer is filled with float uniforms, then each block of
 *           16 is turned into normals in place by Box–Muller over the pairs (j, j+8), j &lt; 8:
 *           {@code r = sqrt(−2·log(1 − u_j))}, {@code θ = 2π·u_{j+8}}, {@code n_j = r·cos θ},
 *           {@code n_{j+8} = r·sin θ}, all in float with the Cephes-derived {@code log256_ps} /
 *           {@code sincos256_ps} approximations of PyTorch's {@code avx_mathfun.h} (reproduced
 *           here lane by lane, with the fused multiply-adds the compiler forms). When the count is
 *           not a multiple of 16, 16 fresh uniforms overwrite the last 16 elements, which are
 *           transformed again.</li>
 *       <li>&lt; 16 elements: one double-precision Box–Muller per element from two double uniforms
 *           {@code u1, u2}: {@code r = sqrt(−2·log(1 − u2))}, {@code θ = 2π·u1}; it returns
 *           {@code r·cos θ} and keeps {@code r·sin θ} for the next element.</li>
 *     </ul>
 *   </li>
 * </ol>
 * Deterministic and independent of thread count. Not thread-safe.
 */
public final class TorchCpuGenerator {
    private static final int N = 624, M = 397;
    private static final int MATRIX_A = 0x9908b0df, UPPER = 0x80000000, LOWER = 0x7fffffff;

    private final int[] state = new int[N];
    private int index;
    private boolean hasCachedNormal;
    private double cachedNormal;

    /** {@code torch.Generator().manual_seed(seed)}. */
    public TorchCpuGenerator(long seed) {
        state[0] = (int) seed;
        for (int j = 1; j < N; j++) {
            int prev = state[j - 1];
            state[j] = 1812433253 * (prev ^ (prev >>> 30)) + j;
        }
        index = N;
    }

    /** One 32-bit output of the engine (as an unsigned value in an int). */
    public int nextInt() {
        if (index >= N) twist();
        int y = state[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** Two outputs, the first as the high word ({@code random64()}). */
    public long nextLong() {
        long hi = nextInt() & 0xffffffffL, lo = nextInt() & 0xffffffffL;
        return (hi << 32) | lo;
    }

    /** {@code uniform_real_distribution<float>(0, 1)}: 24 random bits, in [0, 1). */
    public float nextUniformFloat() {
        return (nextInt() & 0xffffff) * 0x1.0p-24f;
    }

    /** {@code uniform_real_distribution<double>(0, 1)}: 53 random bits, in [0, 1). */
    public double nextUniformDouble() {
        return (nextLong() & ((1L << 53) - 1)) * 0x1.0p-53;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (state[i] & UPPER) | (state[(i + 1) % N] & LOWER);
            int v = y >>> 1;
            if ((y & 1) != 0) v ^= MATRIX_A;
            state[i] = state[(i + M) % N] ^ v;
        }
        index = 0;
    }

    /** {@code torch.randn(shape, generator=this)} as an F32 tensor. */
    public Tensor randn(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + java.util.Arrays.toString(shape));
            n *= d;
        }
        if (n > Integer.MAX_VALUE) throw new IllegalArgumentException("noise tensor too large: " + n + " elements");
        float[] values = new float[(int) n];
        fillNormal(values);
        return Tensor.of(values, shape);
    }

    /** Fills {@code out} as {@code torch.randn} fills a contiguous float tensor of that many elements. */
    public void fillNormal(float[] out) {
        int n = out.length;
        if (n < 16) {
            for (int i = 0; i < n; i++) out[i] = (float) nextScalarNormal();
            return;
        }
        for (int i = 0; i < n; i++) out[i] = nextUniformFloat();
        for (int i = 0; i + 16 <= n; i += 16) boxMuller16(out, i);
        if (n % 16 != 0) {
            int tail = n - 16;
            for (int i = 0; i < 16; i++) out[tail + i] = nextUniformFloat();
            boxMuller16(out, tail);
        }
    }

    /** {@code at::normal_distribution<double>(0, 1)} with the generator's cached second value. */
    double nextScalarNormal() {
        if (hasCachedNormal) {
            hasCachedNormal = false;
            return cachedNormal;
        }
        double u1 = nextUniformDouble();
        double u2 = nextUniformDouble();
        double r = Math.sqrt(-2.0 * Math.log1p(-u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = r * Math.sin(theta);
        hasCachedNormal = true;
        return r * Math.cos(theta);
    }

    private static final float TWO_PI = (float) (2.0 * Math.PI);

    /** Box–Muller over one block of 16 uniforms, in place, as PyTorch's AVX2 kernel. */
    static void boxMuller16(float[] data, int offset) {
        for (int j = 0; j < 8; j++) {
            float u1 = 1.0f - data[offset + j];
            float u2 = data[offset + j + 8];
            float radius = (float) Math.sqrt(-2.0f * CephesFloat.log(u1));
            float theta = TWO_PI * u2;
            long sc = CephesFloat.sincos(theta);
            data[offset + j] = radius * CephesFloat.cosOf(sc);
            data[offset + j + 8] = radius * CephesFloat.sinOf(sc);
        }
    }
}
