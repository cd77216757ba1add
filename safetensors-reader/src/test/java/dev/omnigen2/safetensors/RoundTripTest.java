package dev.omnigen2.safetensors;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoundTripTest {
    @TempDir Path dir;

    private static byte[] randomBytes(long n, long seed) {
        byte[] b = new byte[(int) n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void everyDtypeRoundTripsWithRegularEmptyAndScalarShapes() throws Exception {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt").metadata("note", "ünïcode \"quoted\"");
        int seed = 0;
        for (SafetensorsDtype d : SafetensorsDtype.values()) {
            int[] regular = d.bits() < 8 ? new int[]{3, 8} : new int[]{3, 5};
            w.add(d + "/regular", d, regular, randomBytes(d.bytesFor((long) regular[0] * regular[1]), seed++));
            w.add(d + "/empty", d, new int[]{0, 7}, new byte[0]);
            if (d.bits() % 8 == 0) w.add(d + "/scalar", d, new int[]{}, randomBytes(d.bits() / 8, seed++));
        }
        Path f = dir.resolve("all.safetensors");
        w.write(f);
        byte[] raw = Files.readAllBytes(f);
        long headerLength = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        assertThat(headerLength % 8).as("header padded to a multiple of 8").isZero();
        assertThat(new String(raw, 8, (int) headerLength, StandardCharsets.UTF_8)).startsWith("{\"__metadata__\":{\"format\":\"pt\",");

        seed = 0;
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.names()).containsExactlyElementsOf(w.names());
            assertThat(st.metadata()).containsExactly(Map.entry("format", "pt"), Map.entry("note", "ünïcode \"quoted\""));
            long previousEnd = 0;
            for (SafetensorsDtype d : SafetensorsDtype.values()) {
                SafetensorsFile.Entry e = st.entry(d + "/regular");
                assertThat(e.stored()).isEqualTo(d);
                assertThat(e.dtype()).isEqualTo(d.runtime());
                assertThat(e.begin()).as("contiguous in header order").isEqualTo(previousEnd);
                assertThat(st.segment(d + "/regular").toArray(ValueLayout.JAVA_BYTE))
                        .isEqualTo(randomBytes(e.byteSize(), seed++));
                SafetensorsFile.Entry empty = st.entry(d + "/empty");
                assertThat(empty.shape()).containsExactly(0, 7);
                assertThat(empty.byteSize()).isZero();
                previousEnd = empty.end();
                if (d.bits() % 8 == 0) {
                    SafetensorsFile.Entry scalar = st.entry(d + "/scalar");
                    assertThat(scalar.shape()).isEmpty();
                    assertThat(scalar.numel()).isEqualTo(1);
                    assertThat(st.segment(d + "/scalar").toArray(ValueLayout.JAVA_BYTE)).isEqualTo(randomBytes(d.bits() / 8, seed++));
                    previousEnd = scalar.end();
                }
                if (d.runtime() != null) {
                    Tensor t = st.tensor(d + "/regular");
                    assertThat(t.dtype()).isEqualTo(d.runtime());
                    assertThat(t.shape()).containsExactly(3, 5);
                    assertThat(st.tensor(d + "/empty").numel()).isZero();
                    assertThat(st.tensor(d + "/scalar").rank()).isZero();
                }
            }
            assertThat(previousEnd).isEqualTo(st.byteSize() - st.dataStart());
        }
    }

    @Test
    void floatTensorsRoundTripAndConvertToF32() throws Exception {
        float[] values = {0f, -1.5f, 3.25f, 1e-3f, -65504f, 448f};
        Tensor f32 = Tensor.of(values, 2, 3);
        SafetensorsWriter w = new SafetensorsWriter().add("f32", f32);
        for (DType d : new DType[]{DType.F64, DType.F16, DType.BF16}) {
            Tensor t = Tensor.allocate(d, 2, 3);
            for (int i = 0; i < 6; i++) t.setFloat(i, values[i]);
            w.add(d.name(), t);
        }
        Path f = dir.resolve("floats.safetensors");
        w.write(f);
        try (TensorStore st = Safetensors.open(f)) {
            assertThat(st.tensor("f32").toFloatArray()).containsExactly(values);
            assertThat(st.tensor("F64").toF32().toFloatArray()).containsExactly(values);
            assertThat(st.tensor("F16").toFloatArray()).containsExactly(0f, -1.5f, 3.25f, Float.float16ToFloat(Float.floatToFloat16(1e-3f)), -65504f, 448f);
            assertThat(st.tensor("BF16").toFloatArray()).containsExactly(0f, -1.5f, 3.25f, Float.intBitsToFloat(0x3A830000), -65536f, 448f);
        }
    }

    /** Every one of the 256 FP8 codes against the format definitions (OCP E4M3FN: no infinities; E5M2: IEEE-like). */
    @Test
    void fp8TensorsConvertToF32ForAll256Codes() throws Exception {
        byte[] codes = new byte[256];
        for (int i = 0; i < 256; i++) codes[i] = (byte) i;
        Path f = dir.resolve("fp8.safetensors");
        new SafetensorsWriter().add("e4m3", DType.F8_E4M3, new int[]{256}, codes)
                .add("e5m2", DType.F8_E5M2, new int[]{16, 16}, codes).write(f);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            float[] e4m3 = st.tensor("e4m3").toF32().toFloatArray();
            float[] e5m2 = st.tensor("e5m2").toF32().toFloatArray();
            for (int i = 0; i < 256; i++) {
                assertThat(Float.floatToIntBits(e4m3[i])).as("E4M3 0x%02x", i).isEqualTo(Float.floatToIntBits(fp8(i, 4, 3, 7, false)));
                assertThat(Float.floatToIntBits(e5m2[i])).as("E5M2 0x%02x", i).isEqualTo(Float.floatToIntBits(fp8(i, 5, 2, 15, true)));
            }
            assertThat(e4m3[0x7E]).isEqualTo(448f);
            assertThat(e4m3[0x01]).isEqualTo(0x1p-9f);
            assertThat(e5m2[0x7B]).isEqualTo(57344f);
            assertThat(e5m2[0x7C]).isEqualTo(Float.POSITIVE_INFINITY);
        }
    }

    /** The value of an 8-bit float code from its definition; {@code ieee}: top exponent means inf/NaN, else only S.1111.111 is NaN. */
    private static float fp8(int code, int expBits, int manBits, int bias, boolean ieee) {
        int sign = (code >> 7) & 1, exp = (code >> manBits) & ((1 << expBits) - 1), man = code & ((1 << manBits) - 1);
        int top = (1 << expBits) - 1;
        double v;
        if (ieee && exp == top) v = man == 0 ? Double.POSITIVE_INFINITY : Double.NaN;
        else if (!ieee && exp == top && man == (1 << manBits) - 1) v = Double.NaN;
        else if (exp == 0) v = man * Math.pow(2, 1 - bias - manBits);
        else v = (1 + man / (double) (1 << manBits)) * Math.pow(2, exp - bias);
        return (float) (sign == 1 ? -v : v);
    }

    @Test
    void generatedAndZeroTensorsStreamWithoutHoldingData() throws Exception {
        Path f = dir.resolve("gen.safetensors");
        new SafetensorsWriter()
                .add("ramp", SafetensorsDtype.F32, new int[]{1000}, seg -> {
                    for (int i = 0; i < 1000; i++) seg.setAtIndex(Tensor.F32, i, i * 0.5f);
                })
                .addZeros("zeros", DType.BF16, 64, 64)
                .add("tail", DType.I64, new int[]{2}, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(7).putLong(-9).array())
                .write(f);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            float[] ramp = st.tensor("ramp").toFloatArray();
            for (int i = 0; i < 1000; i++) assertThat(ramp[i]).isEqualTo(i * 0.5f);
            Tensor z = st.tensor("zeros");
            for (long i = 0; i < z.numel(); i++) assertThat(z.getFloat(i)).isZero();
            assertThat(st.tensor("tail").toLongArray()).containsExactly(7, -9);
        }
    }

    @Test
    void shardedWriterSplitsAndWritesAnIndexTheReaderJoins() throws Exception {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (int i = 0; i < 10; i++) {
            float[] v = new float[100];
            Arrays.fill(v, i);
            w.add("layers." + i + ".weight", Tensor.of(v, 10, 10));
        }
        Path index = w.writeSharded(dir.resolve("transformer"), "diffusion_pytorch_model", 1000);
        assertThat(index.getFileName().toString()).isEqualTo("diffusion_pytorch_model.safetensors.index.json");
        try (TensorStore st = Safetensors.open(dir.resolve("transformer"))) {
            ShardedCheckpoint sc = (ShardedCheckpoint) st;
            assertThat(sc.shards()).hasSize(5).containsKey("diffusion_pytorch_model-00001-of-00005.safetensors");
            assertThat(sc.declaredTotalSize()).hasValue(4000);
            assertThat(sc.metadata()).containsEntry("format", "pt");
            for (int i = 0; i < 10; i++) assertThat(st.tensor("layers." + i + ".weight").get(9, 9)).isEqualTo(i);
            assertThat(sc.shardOf("layers.9.weight")).isEqualTo("diffusion_pytorch_model-00005-of-00005.safetensors");
        }
    }

    @Test
    void writerRefusesWrongSizesDuplicatesAndTheReservedName() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", DType.F32, new int[]{2}, new byte[8]);
        assertThatThrownBy(() -> w.add("a", DType.F32, new int[]{2}, new byte[8])).hasMessageContaining("'a' was already added");
        assertThatThrownBy(() -> w.add("b", DType.F32, new int[]{3}, new byte[8])).hasMessageContaining("8 bytes given, F32[3] needs 12");
        assertThatThrownBy(() -> w.addZeros("__metadata__", DType.U8, 1)).hasMessageContaining("reserved");
        assertThatThrownBy(() -> w.addZeros("c", SafetensorsDtype.F4, 3)).hasMessageContaining("whole number of bytes");
    }

    @Test
    void writingReplacesAnExistingFileAndLeavesNoTemporaryFile() throws Exception {
        Path f = dir.resolve("x.safetensors");
        new SafetensorsWriter().add("a", DType.U8, new int[]{1}, new byte[]{1}).write(f);
        new SafetensorsWriter().add("b", DType.U8, new int[]{1}, new byte[]{2}).write(f);
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.names()).containsExactly("b");
        }
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("x.safetensors");
        }
    }

    @Test
    void inMemoryImagesReadLikeFiles() {
        byte[] img = HandMade.image("{\"t\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}", 2);
        try (SafetensorsFile st = SafetensorsFile.of("memory", MemorySegment.ofArray(img))) {
            assertThat(st.tensor("t").toLongArray()).containsExactly(0, 1);
            assertThat(st.path()).isNull();
        }
    }
}
