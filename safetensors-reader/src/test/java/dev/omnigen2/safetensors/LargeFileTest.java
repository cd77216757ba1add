package dev.omnigen2.safetensors;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A sparse file over 2 GiB: offsets are longs and a tensor past the 2 GiB mark reads correctly. */
class LargeFileTest {
    @TempDir Path dir;

    @Test
    void tensorsPastTheTwoGibMarkOfASparseFileRead() throws Exception {
        Path f = dir.resolve("big.safetensors");
        long twoGib = 1L << 31;
        new SafetensorsWriter()
                .addZeros("hole", DType.BF16, 1 << 30, 1)            // 2 GiB of zeros, not written
                .add("after", DType.F32, new int[]{4}, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                        .putFloat(1.5f).putFloat(-2f).putFloat(1e30f).putFloat(7f).array())
                .add("generated", SafetensorsDtype.I32, new int[]{1000}, seg -> {
                    for (int i = 0; i < 1000; i++) seg.setAtIndex(Tensor.I32, i, i * 3);
                })
                .addZeros("tail", DType.F16, 1 << 20)
                .write(f);
        assertThat(Files.size(f)).isGreaterThan(twoGib + (2 << 20));
        try (TensorStore st = Safetensors.open(f)) {
            SafetensorsFile file = (SafetensorsFile) st;
            SafetensorsFile.Entry after = file.entry("after");
            assertThat(file.dataStart() + after.begin()).isGreaterThanOrEqualTo(twoGib);
            assertThat(st.tensor("after").toFloatArray()).containsExactly(1.5f, -2f, 1e30f, 7f);
            Tensor g = st.tensor("generated");
            for (int i = 0; i < 1000; i++) assertThat(g.getLong(i)).isEqualTo(i * 3L);
            Tensor hole = st.tensor("hole");
            assertThat(hole.numel()).isEqualTo(1L << 30);
            assertThat(hole.getFloat((1L << 30) - 1)).isZero();
            assertThat(st.tensor("tail").getFloat((1 << 20) - 1)).isZero();
            assertThat(file.entry("tail").end()).isEqualTo(Files.size(f) - file.dataStart());
        }
    }
}
