package dev.omnigen2.sampler;

/**
 * Single-precision log and sin/cos as PyTorch's {@code avx_mathfun.h} computes them (Cephes
 * polynomials, Pommier's SIMD formulation), one lane at a time, so that {@link TorchCpuGenerator}
 * rounds exactly as PyTorch's vectorised normal sampler does. Where the C compiler fuses a multiply
 * into the following add, {@link Math#fma(float, float, float)} does the same here. (Which
 * multiplies fuse was settled against the torch-cpu-rng fixture: with these fusions every value is
 * bit-identical; with none, about 1% of values differ by 1–2 ulp.)
 */
final class CephesFloat {
    private CephesFloat() {}

    private static final float SQRTHF = 0.707106781186547524f;
    private static final float[] LOG_P = {7.0376836292E-2f, -1.1514610310E-1f, 1.1676998740E-1f, -1.2420140846E-1f,
            1.4249322787E-1f, -1.6668057665E-1f, 2.0000714765E-1f, -2.4999993993E-1f, 3.3333331174E-1f};
    private static final float LOG_Q1 = -2.12194440e-4f, LOG_Q2 = 0.693359375f;

    /** Natural logarithm of a positive float (NaN for x ≤ 0). */
    static float log(float x) {
        boolean invalid = x <= 0f;
        x = Math.max(x, Float.MIN_NORMAL);
        int bits = Float.floatToRawIntBits(x);
        int exponent = (bits >>> 23) - 0x7f;
        x = Float.intBitsToFloat((bits & ~0x7f800000) | Float.floatToRawIntBits(0.5f));
        float e = (float) exponent + 1.0f;
        // mantissa in [0.5, 1): below sqrt(1/2) use 2m − 1 and one less in the exponent
        boolean small = x < SQRTHF;
        float tmp = small ? x : 0f;
        x = x - 1.0f;
        if (small) e = e - 1.0f;
        x = x + tmp;

        float z = x * x;
        float y = LOG_P[0];
        for (int k = 1; k < LOG_P.length; k++) y = Math.fma(y, x, LOG_P[k]);
        y = y * x;
        y = Math.fma(y, z, e * LOG_Q1);
        y = Math.fma(z, -0.5f, y);
        x = x + y;
        x = Math.fma(e, LOG_Q2, x);
        return invalid ? Float.NaN : x;
    }

    private static final float FOUR_OVER_PI = 1.27323954473516f;
    private static final float DP1 = -0.78515625f, DP2 = -2.4187564849853515625e-4f, DP3 = -3.77489497744594108e-8f;
    private static final float SIN_P0 = -1.9515295891E-4f, SIN_P1 = 8.3321608736E-3f, SIN_P2 = -1.6666654611E-1f;
    private static final float COS_P0 = 2.443315711809948E-005f, COS_P1 = -1.388731625493765E-003f,
            COS_P2 = 4.166664568298827E-002f;

    /** sin and cos of {@code a} packed as two float bit patterns (sin high, cos low). */
    static long sincos(float a) {
        int signSin = Float.floatToRawIntBits(a) & 0x80000000;
        float x = Math.abs(a);
        // octant j, rounded up to even (truncating conversion, as cvttps)
        int j = (int) (x * FOUR_OVER_PI);
        j = (j + 1) & ~1;
        float y = (float) j;
        signSin ^= (j & 4) << 29;
        int signCos = (~(j - 2) & 4) << 29;
        boolean sinPoly = (j & 2) == 0;

        // extended-precision reduction x − y·π/4 in three parts
        x = Math.fma(y, DP1, x);
        x = Math.fma(y, DP2, x);
        x = Math.fma(y, DP3, x);
        float z = x * x;
        float cosPoly = Math.fma(COS_P0, z, COS_P1);
        cosPoly = Math.fma(cosPoly, z, COS_P2);
        cosPoly = cosPoly * z;
        cosPoly = Math.fma(cosPoly, z, -(z * 0.5f));
        cosPoly = cosPoly + 1.0f;
        float sinPolyValue = Math.fma(SIN_P0, z, SIN_P1);
        sinPolyValue = Math.fma(sinPolyValue, z, SIN_P2);
        sinPolyValue = sinPolyValue * z;
        sinPolyValue = Math.fma(sinPolyValue, x, x);
        float s = sinPoly ? sinPolyValue : cosPoly;
        float c = sinPoly ? cosPoly : sinPolyValue;
        int sBits = Float.floatToRawIntBits(s) ^ signSin;
        int cBits = Float.floatToRawIntBits(c) ^ signCos;
        return ((long) sBits << 32) | (cBits & 0xffffffffL);
    }

    static float sinOf(long sincos) { return Float.intBitsToFloat((int) (sincos >>> 32)); }

    static float cosOf(long sincos) { return Float.intBitsToFloat((int) sincos); }
}
