package dev.omnigen2.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The files under testdata/safetensors-samples were written by the reference implementation from numpy
 * {@code range(-3, 3)} in one type each (unsigned types wrap around); see their README.
 */
class ReferenceSamplesTest {
    static final Path SAMPLES = Path.of(System.getProperty("testdata.dir", "../testdata"), "safetensors-samples");
    static final Map<String, SafetensorsDtype> FILES = Map.of(
            "B", SafetensorsDtype.U8, "H", SafetensorsDtype.U16, "I", SafetensorsDtype.U32,
            "b", SafetensorsDtype.I8, "h", SafetensorsDtype.I16, "i", SafetensorsDtype.I32,
            "e", SafetensorsDtype.F16, "f", SafetensorsDtype.F32, "d", SafetensorsDtype.F64);

    @TempDir Path tmp;

    /** The six values as the reader decodes them; unsigned types as their unsigned value. */
    static double[] values(SafetensorsFile st, String name) {
        MemorySegment s = st.segment(name);
        SafetensorsDtype d = st.entry(name).stored();
        double[] out = new double[(int) st.entry(name).numel()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (d) {
                case U8 -> Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, i));
                case U16 -> Short.toUnsignedInt(s.getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
                case U32 -> Integer.toUnsignedLong(s.getAtIndex(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
                default -> st.tensor(name).getFloat(i); // the runtime's own conversion for every type it knows
            };
        }
        return out;
    }

    static double[] expected(SafetensorsDtype d) {
        double[] v = {-3, -2, -1, 0, 1, 2};
        long wrap = switch (d) { case U8 -> 1L << 8; case U16 -> 1L << 16; case U32 -> 1L << 32; default -> 0; };
        if (wrap != 0) for (int i = 0; i < v.length; i++) if (v[i] < 0) v[i] += wrap;
        return v;
    }

    @Test
    void everySampleOpensWithItsDtypeShapeMetadataAndExactValues() {
        for (Map.Entry<String, SafetensorsDtype> f : FILES.entrySet()) {
            try (SafetensorsFile st = SafetensorsFile.open(SAMPLES.resolve(f.getKey() + ".safetensors"))) {
                String what = f.getKey() + ".safetensors";
                assertThat(st.names()).as(what).containsExactly(f.getKey());
                assertThat(st.entry(f.getKey()).stored()).as(what).isEqualTo(f.getValue());
                assertThat(st.entry(f.getKey()).shape()).as(what).containsExactly(6);
                assertThat(st.metadata()).as(what).isEqualTo(Map.of("test", "a"));
                assertThat(values(st, f.getKey())).as(what).containsExactly(expected(f.getValue()));
            }
        }
    }

    @Test
    void overallHoldsAllNineTensors() {
        try (SafetensorsFile st = SafetensorsFile.open(SAMPLES.resolve("overall.safetensors"))) {
            assertThat(st.names()).containsExactlyInAnyOrderElementsOf(FILES.keySet());
            for (String n : st.names())
                assertThat(values(st, n)).as(n).containsExactly(expected(FILES.get(n)));
        }
    }

    /**
     * Re-writing each sample from what was read gives the reference bytes exactly, except that our writer pads the
     * header with spaces to a multiple of 8 as the current reference writer does (these older files are unpadded).
     */
    @Test
    void rewritingASampleReproducesTheReferenceBytesPlusPadding() throws Exception {
        for (String name : List.of("B", "H", "I", "b", "h", "i", "e", "f", "d", "overall")) {
            Path original = SAMPLES.resolve(name + ".safetensors");
            byte[] ref = Files.readAllBytes(original);
            Path copy = tmp.resolve(name + ".safetensors");
            try (SafetensorsFile st = SafetensorsFile.open(original)) {
                SafetensorsWriter w = new SafetensorsWriter().metadata(st.metadata());
                for (SafetensorsFile.Entry e : st.entries()) w.add(e.name(), e.stored(), e.shape(), st.segment(e.name()));
                w.write(copy);
            }
            int n = (int) ByteBuffer.wrap(ref).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            int padded = (n + 7) / 8 * 8;
            ByteBuffer expected = ByteBuffer.allocate(ref.length + padded - n).order(ByteOrder.LITTLE_ENDIAN);
            expected.putLong(padded).put(ref, 8, n);
            for (int i = n; i < padded; i++) expected.put((byte) ' ');
            expected.put(ref, 8 + n, ref.length - 8 - n);
            byte[] ours = Files.readAllBytes(copy);
            assertThat(ours).as(name).isEqualTo(expected.array());
            assertThat(Arrays.copyOfRange(ours, ours.length - (ref.length - 8 - n), ours.length)).as(name + " data")
                    .isEqualTo(Arrays.copyOfRange(ref, 8 + n, ref.length));
        }
    }
}
