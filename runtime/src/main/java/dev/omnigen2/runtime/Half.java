package dev.omnigen2.runtime;

/** Conversions between F32 and the 16- and 8-bit float formats. All narrowing rounds to nearest even. */
public final class Half {
    private Half() {}

    public static float bf16ToF32(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round-to-nearest-even, NaN kept quiet (as torch does). */
    public static short f32ToBf16(float f) {
        int x = Float.floatToRawIntBits(f);
        if ((x & 0x7FFFFFFF) > 0x7F800000) return (short) ((x >>> 16) | 0x0040);
        int lsb = (x >>> 16) & 1;
        return (short) ((x + 0x7FFF + lsb) >>> 16);
    }

    public static float f16ToF32(short bits) { return Float.float16ToFloat(bits); }

    public static short f32ToF16(float f) { return Float.floatToFloat16(f); }

    /** OCP FP8 E4M3 (fn: no infinities, 0x7F/0xFF are NaN, bias 7). */
    public static float e4m3ToF32(byte b) {
        int v = b & 0xFF;
        int sign = (v >>> 7) != 0 ? -1 : 1;
        int exp = (v >>> 3) & 0xF;
        int man = v & 0x7;
        if (exp == 0xF && man == 0x7) return Float.NaN;
        if (exp == 0) return sign * (man / 8f) * (float) Math.pow(2, -6);
        return sign * (1 + man / 8f) * (float) Math.pow(2, exp - 7);
    }

    /** FP8 E5M2 is the upper byte of an IEEE half. */
    public static float e5m2ToF32(byte b) {
        return Float.float16ToFloat((short) ((b & 0xFF) << 8));
    }
}
