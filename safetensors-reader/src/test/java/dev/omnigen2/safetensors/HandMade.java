package dev.omnigen2.safetensors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hand-made safetensors images for tests: a header length, header bytes and data bytes, each chosen freely. */
final class HandMade {
    private HandMade() {}

    /** {@code json} as the header (its exact UTF-8 length as header length), then {@code dataBytes} bytes 0,1,2,... */
    static byte[] image(String json, int dataBytes) {
        return image(json.getBytes(StandardCharsets.UTF_8), dataBytes);
    }

    static byte[] image(byte[] header, int dataBytes) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (int i = 0; i < dataBytes; i++) b.put((byte) i);
        return b.array();
    }

    /** An image whose 8-byte header length field is {@code declared}, followed by {@code rest}. */
    static byte[] withLength(long declared, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(declared).put(rest).array();
    }

    static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
