package dev.omnigen2.safetensors;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.statistics.Statistics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated headers and truncations of valid files, parsed in memory through the same code path as files on disk:
 * the reader either accepts the image, and then every tensor view lies inside it and is readable, or throws a
 * {@link SafetensorsException}; nothing else may escape.
 */
class HeaderFuzzTest {
    /** Valid images the mutations start from. */
    static final List<byte[]> SEEDS = seeds();

    private static final String[] NUMBERS = {"-1", "0", "1", "7", "8", "2147483647", "2147483648", "4294967296",
            "9223372036854775807", "9223372036854775808", "18446744073709551616", "-9223372036854775808", "1.5",
            "1e3", "1E400", "-0", "00", "null", "true", "\"3\"", "[]", "{}"};
    private static final String[] TOKENS = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "__metadata__",
            "dtype", "shape", "data_offsets", "F32", "BF16", "U16", "F4", "F6_E2M3", "C64", "BOOL", " ", "\n"};

    @Property(tries = 100_000, shrinking = ShrinkingMode.OFF)
    void mutatedImagesAreAcceptedSafelyOrRejectedWithTheReadersException(@ForAll("mutatedImages") byte[] image) {
        Statistics.label("outcome").collect(readOrReject(image) ? "accepted" : "rejected");
        Statistics.label("outcome").coverage(c -> {
            c.check("accepted").percentage(p -> p > 0.5);
            c.check("rejected").percentage(p -> p > 50);
        });
    }

    @Example
    void everyTruncationOfEverySeedIsRejectedCleanly() {
        int n = 0;
        for (byte[] seed : SEEDS) {
            for (int len = 0; len < seed.length; len++) {
                assertThat(readOrReject(Arrays.copyOf(seed, len))).as("truncated to %d of %d bytes", len, seed.length)
                        .isFalse();
                n++;
            }
            assertThat(readOrReject(seed)).as("the seed itself is valid").isTrue();
        }
        assertThat(n).isGreaterThan(1000);
    }

    @Provide
    Arbitrary<byte[]> mutatedImages() {
        return Combinators.combine(Arbitraries.integers().between(0, SEEDS.size() - 1), Arbitraries.longs())
                .as((seed, random) -> mutate(SEEDS.get(seed), new Random(random)));
    }

    /** True when the image was accepted (and then fully exercised); false when rejected with the reader's exception. */
    static boolean readOrReject(byte[] image) {
        try (SafetensorsFile st = SafetensorsFile.of("fuzz", MemorySegment.ofArray(image))) {
            long dataBytes = image.length - st.dataStart();
            for (SafetensorsFile.Entry e : st.entries()) {
                assertThat(e.begin()).isBetween(0L, e.end());
                assertThat(e.end()).isLessThanOrEqualTo(dataBytes);
                MemorySegment s = st.segment(e.name());
                if (s.byteSize() > 0) s.get(ValueLayout.JAVA_BYTE, s.byteSize() - 1);
                if (e.dtype() != null) {
                    Tensor t = st.tensor(e.name());
                    if (t.numel() > 0) t.getFloat(t.numel() - 1);
                }
            }
            st.metadata().forEach((k, v) -> assertThat(v).isNotNull());
            return true;
        } catch (SafetensorsException rejected) {
            assertThat(rejected.getMessage()).startsWith("fuzz: ");
            return false;
        }
    }

    static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        int rounds = 1 + r.nextInt(3);
        for (int k = 0; k < rounds; k++) {
            int headerLength = headerLength(b);
            switch (r.nextInt(9)) {
                case 0 -> { // flip one bit, mostly in the header
                    if (b.length == 0) break;
                    int at = r.nextInt(4) > 0 && headerLength > 0 ? 8 + r.nextInt(headerLength) : r.nextInt(b.length);
                    b[at] ^= (byte) (1 << r.nextInt(8));
                }
                case 1 -> { // one header byte replaced by a JSON-significant or random byte
                    if (headerLength <= 0) break;
                    String chars = "{}[]\",:0123456789-+.eE \\";
                    b[8 + r.nextInt(headerLength)] = r.nextBoolean() ? (byte) chars.charAt(r.nextInt(chars.length())) : (byte) r.nextInt(256);
                }
                case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length + 1)); // truncate
                case 3 -> { // a new header length
                    if (b.length < 8) break;
                    long[] choices = {r.nextInt(b.length + 16), headerLength + r.nextInt(17) - 8, -1L, Long.MIN_VALUE,
                            Header.MAX_HEADER_BYTES, Header.MAX_HEADER_BYTES + 1, r.nextLong()};
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, choices[r.nextInt(choices.length)]);
                }
                case 4 -> b = editHeader(b, r, NUMBERS, true);   // a number replaced by an edge value
                case 5 -> b = editHeader(b, r, TOKENS, false);   // a token inserted
                case 6 -> { // bytes deleted from the header, the length kept consistent
                    String h = header(b);
                    if (h == null || h.isEmpty()) break;
                    int at = r.nextInt(h.length()), n = 1 + r.nextInt(Math.min(8, h.length() - at));
                    b = withHeader(b, h.substring(0, at) + h.substring(at + n));
                }
                case 7 -> { // data grows or shrinks
                    int delta = r.nextInt(17) - 8;
                    b = Arrays.copyOf(b, Math.max(0, b.length + delta));
                }
                default -> { // duplicate an entry's text or swap two characters
                    String h = header(b);
                    if (h == null || h.length() < 2) break;
                    int i = r.nextInt(h.length() - 1);
                    char[] c = h.toCharArray();
                    char t = c[i]; c[i] = c[i + 1]; c[i + 1] = t;
                    b = withHeader(b, new String(c));
                }
            }
        }
        return b;
    }

    private static int headerLength(byte[] b) {
        if (b.length < 8) return -1;
        long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        return n < 0 || n > b.length - 8 ? -1 : (int) n;
    }

    private static String header(byte[] b) {
        int n = headerLength(b);
        return n < 0 ? null : new String(b, 8, n, StandardCharsets.ISO_8859_1); // byte-preserving
    }

    /** Replaces the header text (bytes kept as they are) and fixes the length field; the data follows unchanged. */
    private static byte[] withHeader(byte[] b, String header) {
        int old = headerLength(b);
        byte[] h = header.getBytes(StandardCharsets.ISO_8859_1);
        byte[] data = Arrays.copyOfRange(b, 8 + old, b.length);
        return ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(h.length).put(h).put(data).array();
    }

    private static byte[] editHeader(byte[] b, Random r, String[] choices, boolean replaceNumber) {
        String h = header(b);
        if (h == null || h.isEmpty()) return b;
        String pick = choices[r.nextInt(choices.length)];
        if (replaceNumber) {
            List<int[]> numbers = new java.util.ArrayList<>();
            for (int i = 0; i < h.length(); i++) {
                if (Character.isDigit(h.charAt(i))) {
                    int j = i;
                    while (j < h.length() && Character.isDigit(h.charAt(j))) j++;
                    numbers.add(new int[]{i, j});
                    i = j;
                }
            }
            if (numbers.isEmpty()) return b;
            int[] n = numbers.get(r.nextInt(numbers.size()));
            return withHeader(b, h.substring(0, n[0]) + pick + h.substring(n[1]));
        }
        int at = r.nextInt(h.length() + 1);
        return withHeader(b, h.substring(0, at) + pick + h.substring(at));
    }

    private static List<byte[]> seeds() {
        try {
            Path dir = Files.createTempDirectory("fuzz-seeds");
            try {
                Path a = dir.resolve("a.safetensors");
                new SafetensorsWriter().metadata("format", "pt")
                        .add("w", Tensor.of(new float[]{1, 2, 3, 4, 5, 6}, 2, 3))
                        .addZeros("b", DType.BF16, 3)
                        .add("ids", DType.I64, new int[]{2}, new byte[16])
                        .add("mask", DType.BOOL, new int[]{1, 3}, new byte[]{1, 0, 1})
                        .write(a);
                Path c = dir.resolve("c.safetensors");
                new SafetensorsWriter()
                        .add("empty", DType.F32, new int[]{0, 4}, new byte[0])
                        .add("scalar", DType.F16, new int[]{}, new byte[]{0, 60})
                        .add("fp8", DType.F8_E4M3, new int[]{4}, new byte[]{1, 2, 3, 4})
                        .add("u16", SafetensorsDtype.U16, new int[]{2}, new byte[4])
                        .add("f4", SafetensorsDtype.F4, new int[]{2, 2}, new byte[2])
                        .write(c);
                return List.of(Files.readAllBytes(a), Files.readAllBytes(c),
                        Files.readAllBytes(ReferenceSamplesTest.SAMPLES.resolve("overall.safetensors")),
                        Files.readAllBytes(ReferenceSamplesTest.SAMPLES.resolve("e.safetensors")));
            } finally {
                try (var s = Files.list(dir)) {
                    for (Path p : s.toList()) Files.delete(p);
                }
                Files.delete(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
