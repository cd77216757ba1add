package dev.omnigen2.models.geneval;

/**
 * The seed of one image of a sweep depends on the base seed, the prompt index and the sample index only, so an
 * image is the same however the sweep was split into shards or resumed:
 * <pre>seed(base, i, k) = splitmix64(splitmix64(base) + 0x9E3779B97F4A7C15·i + k) & 0x7FFFFFFFFFFFFFFF</pre>
 * (splitmix64 is Steele–Lea–Flood's finaliser; arithmetic is modulo 2⁶⁴).
 */
public final class SweepSeeds {
    private SweepSeeds() {}

    public static long seed(long base, int promptIndex, int sampleIndex) {
        long x = splitmix64(splitmix64(base) + 0x9E3779B97F4A7C15L * promptIndex + sampleIndex);
        return x & Long.MAX_VALUE;
    }

    static long splitmix64(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
