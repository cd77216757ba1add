package dev.omnigen2.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vectorised elementary functions shared by the kernels. The Vector API's own EXP may or may not be
 * intrinsified (it depends on the JVM build and platform), so the kernels use this polynomial instead: its
 * speed and its results are the same everywhere.
 */
final class VecMath {
    private VecMath() {}

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 split so that n·LN2_HI is exact for |n| ≤ 2^9 (Cody–Waite range reduction).
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2^23: adding it rounds a float of magnitude below 2^22 to an integer (round to nearest even). */
    private static final float ROUND_MAGIC = 12582912f;
    private static final int ROUND_MAGIC_BITS = 0x4B400000;
    /** Below this exp underflows the normal range; the result is flushed to 0 (softmax weights of masked keys). */
    static final float EXP_LO = -87.33654f;
    /** Above this the result is clamped to exp(88) instead of overflowing (callers only divide by it). */
    static final float EXP_HI = 88.0f;

    /**
     * e^x with at most ~2 ulp error on [{@value #EXP_LO}, {@value #EXP_HI}]; 0 below (including −∞), exp(88)
     * above. Range reduction x = n·ln2 + r, |r| ≤ ln2/2, then a degree-7 polynomial (cephes expf coefficients)
     * and 2^n built in the exponent bits.
     */
    static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.lt(EXP_LO);
        FloatVector xc = x.max(EXP_LO).min(EXP_HI);
        FloatVector t = xc.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = t.sub(ROUND_MAGIC);
        FloatVector r = n.fma(FloatVector.broadcast(xc.species(), -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(xc.species(), -LN2_LO), r);
        var sp = x.species();
        FloatVector p = r.fma(1.9875691500E-4f, 1.3981999507E-3f);
        p = p.fma(r, FloatVector.broadcast(sp, 8.3334519073E-3f));
        p = p.fma(r, FloatVector.broadcast(sp, 4.1665795894E-2f));
        p = p.fma(r, FloatVector.broadcast(sp, 1.6666665459E-1f));
        p = p.fma(r, FloatVector.broadcast(sp, 5.0000001201E-1f));
        FloatVector r2 = r.mul(r);
        p = p.fma(r2, r).add(1f);
        IntVector ni = (IntVector) t.reinterpretAsInts();
        ni = ni.sub(ROUND_MAGIC_BITS).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector pow2 = (FloatVector) ni.reinterpretAsFloats();
        return p.mul(pow2).blend(0f, under);
    }

    /** Scalar e^x with the same algorithm and rounding as {@link #exp(FloatVector)} (used in tests). */
    static float expScalar(float x) {
        if (x < EXP_LO) return 0f;
        float xc = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float t = Math.fma(xc, LOG2E, ROUND_MAGIC);
        float n = t - ROUND_MAGIC;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, 1.9875691500E-4f, 1.3981999507E-3f);
        p = Math.fma(p, r, 8.3334519073E-3f);
        p = Math.fma(p, r, 4.1665795894E-2f);
        p = Math.fma(p, r, 1.6666665459E-1f);
        p = Math.fma(p, r, 5.0000001201E-1f);
        p = Math.fma(p, r * r, r) + 1f;
        int ni = Float.floatToRawIntBits(t) - ROUND_MAGIC_BITS;
        return p * Float.intBitsToFloat((ni + 127) << 23);
    }

    /** 1 / (1 + e^−x), the logistic function. */
    static FloatVector sigmoid(FloatVector x) {
        return FloatVector.broadcast(x.species(), 1f).div(exp(x.neg()).add(1f));
    }

    /**
     * The sum of the lanes, added in lane order. {@code reduceLanes(ADD)} is not used: its compiled form adds in
     * a tree order while the interpreter adds sequentially, so results would change with JIT tiers (and thread
     * scheduling decides which code runs where).
     */
    static float sumLanes(FloatVector v) {
        float s = 0f;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    /** ln 2^k / k!, k = 0..7: the Taylor series of 2^r = e^(r·ln 2); truncation error < 6e-9 for |r| ≤ 1/2. */
    private static final float[] EXP2_TAYLOR = {1f, 0.6931471805599453f, 0.2402265069591007f, 0.05550410866482158f,
            0.009618129107628477f, 0.0013333558146428443f, 1.5403530393381608e-4f, 1.525273380405984e-5f};
    /**
     * Arguments are clamped here: n = −127 puts 0 in the exponent bits, so 2^x comes out as exactly 0 below −126.5
     * (and for −∞) with no compare and blend.
     */
    static final float EXP2_LO = -127f;

    /**
     * 2^x for x ≤ 0 (scores minus their running max, in log2 units): x = n + r with n the nearest integer and r
     * exact, 2^r by its degree-7 Taylor series, 2^n in the exponent bits; 0 below −126.5 and for −∞.
     * Callers guarantee x ≤ 0 (no overflow handling).
     */
    static FloatVector exp2NonPositive(FloatVector x) {
        var sp = x.species();
        FloatVector xc = x.max(EXP2_LO);
        FloatVector t = xc.add(ROUND_MAGIC);
        FloatVector r = xc.sub(t.sub(ROUND_MAGIC));
        FloatVector p = r.fma(EXP2_TAYLOR[7], EXP2_TAYLOR[6]);
        p = p.fma(r, FloatVector.broadcast(sp, EXP2_TAYLOR[5]));
        p = p.fma(r, FloatVector.broadcast(sp, EXP2_TAYLOR[4]));
        p = p.fma(r, FloatVector.broadcast(sp, EXP2_TAYLOR[3]));
        p = p.fma(r, FloatVector.broadcast(sp, EXP2_TAYLOR[2]));
        p = p.fma(r, FloatVector.broadcast(sp, EXP2_TAYLOR[1]));
        p = p.fma(r, FloatVector.broadcast(sp, EXP2_TAYLOR[0]));
        IntVector bits = (IntVector) t.reinterpretAsInts();
        FloatVector pow2 = (FloatVector) bits.add(127 - ROUND_MAGIC_BITS).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(pow2);
    }

    /** Scalar form of {@link #exp2NonPositive(FloatVector)}, same rounding. */
    static float exp2NonPositive(float x) {
        x = Math.max(x, EXP2_LO);
        float t = x + ROUND_MAGIC;
        float r = x - (t - ROUND_MAGIC);
        float p = Math.fma(r, EXP2_TAYLOR[7], EXP2_TAYLOR[6]);
        for (int k = 5; k >= 0; k--) p = Math.fma(p, r, EXP2_TAYLOR[k]);
        return p * Float.intBitsToFloat((Float.floatToRawIntBits(t) + 127 - ROUND_MAGIC_BITS) << 23);
    }
}
