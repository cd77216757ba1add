package dev.omnigen2.models.transformer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.omnigen2.runtime.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a safetensors file for tests: 8-byte little-endian header length, JSON header padded with spaces to a
 * multiple of 8, then the raw tensor bytes in header order.
 */
final class TestSafetensorsWriter {
    private TestSafetensorsWriter() {}

    static void write(Path file, Map<String, Tensor> tensors) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", t.dtype().name());
            var shape = entry.putArray("shape");
            for (int d : t.shape()) shape.add(d);
            entry.putArray("data_offsets").add(offset).add(offset + t.byteSize());
            offset += t.byteSize();
        }
        byte[] h = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(h);
            for (int i = h.length; i < padded; i++) out.write(' ');
            for (Tensor t : tensors.values()) out.write(t.data().asSlice(0, t.byteSize()).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
