package dev.omnigen2.safetensors;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parsed and fully validated header of one safetensors file.
 *
 * <p>Every rule of the format is checked here, before any tensor is handed out, so that a view can never reach
 * outside the file or alias another tensor. Each failure names the file (and tensor) and what was expected.
 *
 * @param dataStart byte position of the data section (8 + header length)
 * @param entries   tensors in header order
 * @param metadata  the {@code __metadata__} strings, possibly empty
 */
record Header(long dataStart, Map<String, SafetensorsFile.Entry> entries, Map<String, String> metadata) {
    /** The reference implementation refuses longer headers; so do we, before reading them. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    static final String METADATA_KEY = "__metadata__";

    /**
     * Shared, thread-safe: strict about duplicate keys and anything after the closing brace. Names and strings may
     * be as long as a header (Jackson's defaults would refuse names over 50,000 characters, which the format
     * allows); nesting stays bounded so that a hostile header cannot overflow the stack.
     */
    static final JsonMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNameLength((int) MAX_HEADER_BYTES)
                            .maxStringLength((int) MAX_HEADER_BYTES)
                            .maxNestingDepth(64)
                            .build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Parses and validates the header of {@code file} (the whole file's bytes); {@code source} names it in messages. */
    static Header parse(String source, MemorySegment file) {
        long size = file.byteSize();
        if (size < 8)
            throw fail(source, "file of " + size + " bytes is shorter than the 8-byte header length");
        long headerLength = file.get(U64_LE, 0);
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES)
            throw fail(source, "header length " + Long.toUnsignedString(headerLength) + " is above the limit of "
                    + MAX_HEADER_BYTES + " bytes");
        if (headerLength > size - 8)
            throw fail(source, "header length " + headerLength + " runs past the end of the file (" + size
                    + " bytes, so at most " + (size - 8) + " bytes of header)");
        String text = decodeUtf8(source, file.asSlice(8, headerLength).toArray(ValueLayout.JAVA_BYTE));
        JsonNode root = parseJson(source, text);
        if (!root.isObject())
            throw fail(source, "header is a JSON " + kind(root) + ", expected an object");
        if (text.charAt(0) != '{')
            throw fail(source, "header starts with " + quoteChar(text.charAt(0)) + ", expected '{'");

        long dataStart = 8 + headerLength;
        long dataSize = size - dataStart;
        Map<String, SafetensorsFile.Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            if (field.getKey().equals(METADATA_KEY)) metadata = parseMetadata(source, field.getValue());
            else entries.put(field.getKey(), parseEntry(source, field.getKey(), field.getValue(), dataSize));
        }
        checkCoverage(source, entries.values(), dataSize);
        return new Header(dataStart, Collections.unmodifiableMap(entries), metadata);
    }

    private static String decodeUtf8(String source, byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw fail(source, "header is not valid UTF-8 (" + e.getMessage() + ")");
        }
    }

    private static JsonNode parseJson(String source, String text) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String what = e.getOriginalMessage();
            int nl = what.indexOf('\n');
            if (nl >= 0) what = what.substring(0, nl);
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            if (what.startsWith("Duplicate field"))
                throw fail(source, "header has a duplicate key" + where + ": " + what + "; expected unique tensor names");
            throw fail(source, "header is not valid JSON" + where + ": " + what);
        } catch (RuntimeException e) { // Jackson reports some limits (nesting, number length) unchecked
            throw fail(source, "header is not valid JSON: " + e.getMessage());
        }
        if (root == null || root.isMissingNode())
            throw fail(source, "header is empty, expected a JSON object");
        return root;
    }

    private static Map<String, String> parseMetadata(String source, JsonNode node) {
        if (node.isNull()) return Map.of();
        if (!node.isObject())
            throw fail(source, "\"" + METADATA_KEY + "\" is a JSON " + kind(node) + ", expected an object of strings");
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> m : node.properties()) {
            if (!m.getValue().isTextual())
                throw fail(source, "\"" + METADATA_KEY + "\" value of '" + m.getKey() + "' is a JSON "
                        + kind(m.getValue()) + ", expected a string");
            metadata.put(m.getKey(), m.getValue().textValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static SafetensorsFile.Entry parseEntry(String source, String name, JsonNode node, long dataSize) {
        String tensor = source + ": tensor '" + name + "'";
        if (!node.isObject())
            throw new SafetensorsException(tensor + ": entry is a JSON " + kind(node)
                    + ", expected an object with \"dtype\", \"shape\" and \"data_offsets\"");

        JsonNode dtypeNode = required(tensor, node, "dtype");
        if (!dtypeNode.isTextual())
            throw new SafetensorsException(tensor + ": \"dtype\" is a JSON " + kind(dtypeNode) + ", expected a string");
        SafetensorsDtype stored = SafetensorsDtype.byName(dtypeNode.textValue());
        if (stored == null)
            throw new SafetensorsException(tensor + ": unknown dtype \"" + dtypeNode.textValue() + "\", expected one of "
                    + SafetensorsDtype.names());

        long[] dims = integers(tensor, required(tensor, node, "shape"), "shape", -1);
        int[] shape = new int[dims.length];
        long elements = 1;
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0)
                throw new SafetensorsException(tensor + ": negative dimension " + dims[i] + " in shape "
                        + Arrays.toString(dims) + ", expected sizes >= 0");
            if (dims[i] > Integer.MAX_VALUE)
                throw new SafetensorsException(tensor + ": dimension " + dims[i] + " in shape " + Arrays.toString(dims)
                        + " overflows, expected at most " + Integer.MAX_VALUE + " per dimension");
            shape[i] = (int) dims[i];
        }
        for (long d : dims) {
            if (d == 0) { elements = 0; break; }
        }
        if (elements != 0) {
            for (long d : dims) {
                try {
                    elements = Math.multiplyExact(elements, d);
                } catch (ArithmeticException e) {
                    throw new SafetensorsException(tensor + ": shape " + Arrays.toString(dims)
                            + " overflows, its element count does not fit in 63 bits");
                }
            }
        }

        long[] offsets = integers(tensor, required(tensor, node, "data_offsets"), "data_offsets", 2);
        long begin = offsets[0], end = offsets[1];
        if (begin < 0 || end < 0)
            throw new SafetensorsException(tensor + ": data_offsets " + Arrays.toString(offsets)
                    + " are negative, expected byte positions >= 0");
        if (begin > end)
            throw new SafetensorsException(tensor + ": data_offsets " + Arrays.toString(offsets)
                    + " are reversed, expected begin <= end");
        if (end > dataSize)
            throw new SafetensorsException(tensor + ": data_offsets " + Arrays.toString(offsets)
                    + " are out of range, expected them within the " + dataSize + " bytes of data after the header");
        long bytes = stored.bytesFor(elements);
        if (bytes < 0)
            throw new SafetensorsException(tensor + ": " + stored + Arrays.toString(dims) + " is "
                    + (elements > Long.MAX_VALUE / stored.bits() ? "too large to address" : "not a whole number of bytes")
                    + ", expected a shape whose bits fill whole bytes");
        if (end - begin != bytes)
            throw new SafetensorsException(tensor + ": data_offsets " + Arrays.toString(offsets) + " hold "
                    + (end - begin) + " bytes, inconsistent with " + stored + Arrays.toString(dims)
                    + " which needs " + bytes);
        return new SafetensorsFile.Entry(name, stored.runtime(), shape, begin, end, stored);
    }

    private static JsonNode required(String tensor, JsonNode entry, String key) {
        JsonNode v = entry.get(key);
        if (v == null)
            throw new SafetensorsException(tensor + ": no \"" + key + "\", expected \"dtype\", \"shape\" and \"data_offsets\"");
        return v;
    }

    /** A JSON array of integers that fit a long; {@code length} -1 means any length. */
    private static long[] integers(String tensor, JsonNode node, String key, int length) {
        String expected = length < 0 ? "an array of integers" : "an array of " + length + " integers";
        if (!node.isArray())
            throw new SafetensorsException(tensor + ": \"" + key + "\" is a JSON " + kind(node) + ", expected " + expected);
        if (length >= 0 && node.size() != length)
            throw new SafetensorsException(tensor + ": \"" + key + "\" has " + node.size() + " elements, expected " + expected);
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber())
                throw new SafetensorsException(tensor + ": \"" + key + "\" holds " + v + ", expected " + expected);
            if (!v.canConvertToLong()) {
                BigInteger big = v.bigIntegerValue();
                throw new SafetensorsException(tensor + ": \"" + key + "\" value " + big
                        + (big.signum() < 0 ? " is negative" : " overflows 63 bits") + ", expected " + expected
                        + " in [0, " + Long.MAX_VALUE + "]");
            }
            out[i] = v.longValue();
        }
        return out;
    }

    /** The tensors must tile the data section exactly: no overlap, no hole, ending at the end of the file. */
    private static void checkCoverage(String source, Iterable<SafetensorsFile.Entry> entries, long dataSize) {
        List<SafetensorsFile.Entry> byOffset = new ArrayList<>();
        entries.forEach(byOffset::add);
        byOffset.sort(Comparator.comparingLong(SafetensorsFile.Entry::begin).thenComparingLong(SafetensorsFile.Entry::end));
        long covered = 0;
        SafetensorsFile.Entry previous = null;
        for (SafetensorsFile.Entry e : byOffset) {
            if (e.begin() < covered)
                throw fail(source, "tensors '" + previous.name() + "' " + range(previous) + " and '" + e.name() + "' "
                        + range(e) + " overlap, expected each byte to belong to one tensor");
            if (e.begin() > covered)
                throw fail(source, "bytes [" + covered + ", " + e.begin() + ") of the data belong to no tensor (a hole "
                        + (previous == null ? "before the first tensor '" + e.name() + "'"
                                            : "between '" + previous.name() + "' and '" + e.name() + "'")
                        + "), expected tensors to be contiguous");
            covered = e.end();
            previous = e;
        }
        if (covered != dataSize)
            throw fail(source, "the tensors end at byte " + covered + " of the data but the file has " + dataSize
                    + " bytes of data, expected the last tensor to end exactly at the end of the file");
    }

    private static String range(SafetensorsFile.Entry e) { return "[" + e.begin() + ", " + e.end() + ")"; }

    private static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "array";
            case OBJECT, POJO -> "object";
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case NULL -> "null";
            case BINARY -> "binary";
            case MISSING -> "nothing";
        };
    }

    private static String quoteChar(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private static SafetensorsException fail(String source, String what) {
        return new SafetensorsException(source + ": " + what);
    }
}
