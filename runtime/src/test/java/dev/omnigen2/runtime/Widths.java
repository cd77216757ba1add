package dev.omnigen2.runtime;

import java.util.ArrayList;
import java.util.List;

import jdk.incubator.vector.VectorShape;

/** The vector widths the kernel sweeps run on: every width up to the machine's preferred one, plus "preferred". */
final class Widths {
    private Widths() {}

    static List<String> supported() {
        int max = VectorShape.preferredShape().vectorBitSize();
        List<String> out = new ArrayList<>();
        for (int bits : new int[] {128, 256, 512}) if (bits <= max) out.add(Integer.toString(bits));
        out.add("preferred");
        return out;
    }
}
