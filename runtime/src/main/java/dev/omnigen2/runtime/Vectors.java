package dev.omnigen2.runtime;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float vector species every kernel uses, chosen once: {@code -Domnigen2.vector=preferred} (default,
 * {@link FloatVector#SPECIES_PREFERRED}), {@code 128}, {@code 256}, {@code 512} to force a width (A/B checks,
 * emulating an ARM laptop), or {@code scalar} to run the scalar twins of every kernel.
 */
public final class Vectors {
    private Vectors() {}

    private static volatile VectorSpecies<Float> species = parse(System.getProperty("omnigen2.vector", "preferred"));

    static VectorSpecies<Float> parse(String v) {
        return switch (v.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "preferred", "auto", "" -> FloatVector.SPECIES_PREFERRED;
            case "scalar", "off", "none" -> null;
            case "64" -> FloatVector.SPECIES_64;
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "omnigen2.vector must be preferred, scalar, 64, 128, 256 or 512; got '" + v + "'");
        };
    }

    /** The species in use, or null when the scalar path is forced. */
    public static VectorSpecies<Float> floats() { return species; }

    public static boolean scalar() { return species == null; }

    /** Forces a width for the rest of the process ("preferred", "scalar", "128", …); for tests and benchmarks. */
    public static void force(String v) { species = parse(v); }

    /** A one-line description for {@code doctor} and logs. */
    public static String describe() {
        VectorSpecies<Float> s = species;
        int max = VectorShape.preferredShape().vectorBitSize();
        return s == null ? "scalar (forced), machine preferred " + max + " bits"
                : s.vectorBitSize() + "-bit float vectors (" + s.length() + " lanes), machine preferred " + max + " bits";
    }
}
