package dev.omnigen2.safetensors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One hand-made malformed file per validation rule; each message must name the file (and tensor) and the rule. */
class ValidationTest {
    @TempDir Path dir;

    private static final String T = "{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    /** Opens the bytes as a real file and asserts the message names the file and contains each fragment. */
    private void rejects(byte[] bytes, String... fragments) {
        Path f = HandMade.write(dir, "bad.safetensors", bytes);
        assertThatThrownBy(() -> SafetensorsFile.open(f).close())
                .isInstanceOf(SafetensorsException.class)
                .hasMessageStartingWith(f + ": ")
                .hasMessageContainingAll(fragments);
    }

    private void rejectsHeader(String header, int dataBytes, String... fragments) {
        rejects(HandMade.image(header, dataBytes), fragments);
    }

    @Test void aValidFileOpens() throws Exception {
        Path f = HandMade.write(dir, "ok.safetensors", HandMade.image(T, 8));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.names()).containsExactly("t");
            assertThat(st.entry("t").byteSize()).isEqualTo(8);
        }
    }

    @Test void missingFile() {
        assertThatThrownBy(() -> SafetensorsFile.open(dir.resolve("nope.safetensors")))
                .isInstanceOf(SafetensorsException.class).hasMessageContaining("nope.safetensors: no such file");
    }

    @Test void fileShorterThanTheLengthField() { rejects(new byte[5], "file of 5 bytes is shorter than the 8-byte header length"); }

    @Test void headerLengthPastTheEndOfTheFile() {
        rejects(HandMade.withLength(1000, "{}".getBytes(StandardCharsets.UTF_8)), "header length 1000 runs past the end of the file (10 bytes");
    }

    @Test void headerLengthAboveTheLimit() {
        rejects(HandMade.withLength(100_000_001L, new byte[16]), "header length 100000001 is above the limit of 100000000 bytes");
        rejects(HandMade.withLength(-1L, new byte[16]), "header length 18446744073709551615 is above the limit");
    }

    @Test void headerNotUtf8() {
        byte[] h = "{\"t\":1}".getBytes(StandardCharsets.UTF_8);
        h[2] = (byte) 0xC3; // a lead byte followed by an ASCII byte
        rejects(HandMade.image(h, 0), "header is not valid UTF-8");
    }

    @Test void headerNotJson() { rejectsHeader("{\"t\": nope}", 0, "header is not valid JSON at line 1"); }

    @Test void headerWithTrailingGarbage() { rejectsHeader("{} {}", 0, "header is not valid JSON"); }

    @Test void emptyHeader() { rejectsHeader("", 0, "header is empty, expected a JSON object"); }

    @Test void longTensorNamesAreAllowedButDeepNestingIsNot() throws Exception {
        String name = "n".repeat(200_000);
        Path f = HandMade.write(dir, "long.safetensors",
                HandMade.image("{\"" + name + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.names()).containsExactly(name);
        }
        rejectsHeader("{\"__metadata__\":" + "[".repeat(10_000) + "]".repeat(10_000) + "}", 0, "header is not valid JSON", "nesting depth");
    }

    @Test void headerNotAnObject() { rejectsHeader("[1, 2]", 0, "header is a JSON array, expected an object"); }

    @Test void headerNotStartingWithABrace() { rejectsHeader(" {}", 0, "header starts with ' ', expected '{'"); }

    @Test void duplicateKeys() {
        rejectsHeader("{\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                      + "\"t\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2, "duplicate key", "'t'");
    }

    @Test void duplicateKeysInsideAnEntry() {
        rejectsHeader("{\"t\":{\"dtype\":\"U8\",\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "duplicate key", "'dtype'");
    }

    @Test void entryNotAnObject() {
        rejectsHeader("{\"t\":[1,2]}", 0, "tensor 't': entry is a JSON array, expected an object with \"dtype\", \"shape\" and \"data_offsets\"");
    }

    @Test void missingDtype() { rejectsHeader("{\"t\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 't': no \"dtype\""); }

    @Test void missingShape() { rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "tensor 't': no \"shape\""); }

    @Test void missingOffsets() { rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "tensor 't': no \"data_offsets\""); }

    @Test void mistypedDtype() {
        rejectsHeader("{\"t\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 't': \"dtype\" is a JSON number, expected a string");
    }

    @Test void mistypedShape() {
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":\"2\",\"data_offsets\":[0,8]}}", 8, "tensor 't': \"shape\" is a JSON string, expected an array of integers");
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "tensor 't': \"shape\" holds 2.0, expected an array of integers");
    }

    @Test void mistypedOffsets() {
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{}}}", 8, "tensor 't': \"data_offsets\" is a JSON object, expected an array of 2 integers");
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", 8, "\"data_offsets\" has 3 elements, expected an array of 2 integers");
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,\"8\"]}}", 8, "\"data_offsets\" holds \"8\"");
    }

    @Test void unknownDtype() {
        rejectsHeader("{\"t\":{\"dtype\":\"F12\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "tensor 't': unknown dtype \"F12\", expected one of [BOOL,");
    }

    @Test void negativeShape() {
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[2,-1],\"data_offsets\":[0,8]}}", 8, "tensor 't': negative dimension -1 in shape [2, -1]");
    }

    @Test void overflowingShape() {
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", 8,
                "tensor 't': shape [2147483647, 2147483647, 2147483647] overflows");
        rejectsHeader("{\"t\":{\"dtype\":\"U8\",\"shape\":[4294967296],\"data_offsets\":[0,8]}}", 8,
                "tensor 't': dimension 4294967296 in shape [4294967296] overflows");
        rejectsHeader("{\"t\":{\"dtype\":\"U8\",\"shape\":[18446744073709551616],\"data_offsets\":[0,8]}}", 8,
                "\"shape\" value 18446744073709551616 overflows 63 bits");
        rejectsHeader("{\"t\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2],\"data_offsets\":[0,8]}}", 8,
                "F64[2147483647, 2147483647, 2] is too large to address");
    }

    @Test void offsetsReversed() {
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "tensor 't': data_offsets [8, 0] are reversed, expected begin <= end");
    }

    @Test void offsetsNegative() {
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[-8,-8]}}", 0, "tensor 't': data_offsets [-8, -8] are negative");
    }

    @Test void offsetsOutOfRange() {
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
                "tensor 't': data_offsets [0, 16] are out of range, expected them within the 8 bytes of data after the header");
    }

    @Test void offsetsInconsistentWithShapeAndDtype() {
        rejectsHeader("{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
                "tensor 't': data_offsets [0, 8] hold 8 bytes, inconsistent with F32[3] which needs 12");
    }

    @Test void subByteDtypeNotFillingWholeBytes() {
        rejectsHeader("{\"t\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2, "tensor 't': F4[3] is not a whole number of bytes");
    }

    @Test void overlappingTensors() {
        rejectsHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[2,6]}}", 6,
                "tensors 'a' [0, 4) and 'b' [2, 6) overlap");
    }

    @Test void holeBetweenTensors() {
        rejectsHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]},\"b\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}", 6,
                "bytes [2, 4) of the data belong to no tensor (a hole between 'a' and 'b')");
    }

    @Test void holeBeforeTheFirstTensor() {
        rejectsHeader("{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[2,4]}}", 4, "bytes [0, 2) of the data belong to no tensor (a hole before the first tensor 'a')");
    }

    @Test void tensorsNotEndingAtTheEndOfTheFile() {
        rejectsHeader(T, 12, "the tensors end at byte 8 of the data but the file has 12 bytes of data, expected the last tensor to end exactly at the end of the file");
    }

    @Test void metadataNotAnObject() {
        rejectsHeader("{\"__metadata__\":[\"a\"]}", 0, "\"__metadata__\" is a JSON array, expected an object of strings");
    }

    @Test void metadataValueNotAString() {
        rejectsHeader("{\"__metadata__\":{\"format\":\"pt\",\"n\":3}}", 0, "\"__metadata__\" value of 'n' is a JSON number, expected a string");
    }

    @Test void unsupportedButValidDtypeOpensAndRefusesOnlyTheTensorView() throws Exception {
        Path f = HandMade.write(dir, "u16.safetensors",
                HandMade.image("{\"t\":{\"dtype\":\"U16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThat(st.entry("t").stored()).isEqualTo(SafetensorsDtype.U16);
            assertThat(st.segment("t").byteSize()).isEqualTo(4);
            assertThatThrownBy(() -> st.tensor("t")).isInstanceOf(SafetensorsException.class)
                    .hasMessageContainingAll(f.toString(), "tensor 't' has dtype U16", "segment(name)");
        }
    }

    @Test void unknownTensorName() throws Exception {
        Path f = HandMade.write(dir, "ok.safetensors", HandMade.image(T, 8));
        try (SafetensorsFile st = SafetensorsFile.open(f)) {
            assertThatThrownBy(() -> st.tensor("u")).isInstanceOf(SafetensorsException.class)
                    .hasMessage(f + ": no tensor named 'u'");
        }
    }

    // ---- sharded checkpoints ----

    private Path index(String json) throws Exception {
        Path shard = HandMade.write(dir, "model-00001-of-00001.safetensors", HandMade.image(T, 8));
        assertThat(shard).exists();
        return Files.writeString(dir.resolve("model.safetensors.index.json"), json);
    }

    @Test void indexNamingAMissingShard() throws Exception {
        Path idx = index("{\"metadata\":{\"total_size\":8},\"weight_map\":{\"t\":\"model-00001-of-00001.safetensors\",\"u\":\"model-00002.safetensors\"}}");
        assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(SafetensorsException.class)
                .hasMessageStartingWith(idx + ": ")
                .hasMessageContaining("shard 'model-00002.safetensors' (holding tensor 'u') is missing");
    }

    @Test void indexNamingATensorItsShardLacks() throws Exception {
        Path idx = index("{\"weight_map\":{\"t\":\"model-00001-of-00001.safetensors\",\"v\":\"model-00001-of-00001.safetensors\"}}");
        assertThatThrownBy(() -> Safetensors.open(idx)).isInstanceOf(SafetensorsException.class)
                .hasMessage(idx + ": tensor 'v' is not in its shard 'model-00001-of-00001.safetensors'");
    }

    @Test void indexWithoutWeightMap() throws Exception {
        Path idx = index("{\"metadata\":{}}");
        assertThatThrownBy(() -> Safetensors.open(idx)).isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(idx + ": no \"weight_map\" object");
    }

    @Test void indexNotJson() throws Exception {
        Path idx = index("{\"weight_map\":");
        assertThatThrownBy(() -> Safetensors.open(idx)).isInstanceOf(SafetensorsException.class)
                .hasMessageContaining(idx + ": not a valid JSON index");
    }

    @Test void indexWithABadTotalSize() throws Exception {
        Path idx = index("{\"metadata\":{\"total_size\":\"big\"},\"weight_map\":{}}");
        assertThatThrownBy(() -> Safetensors.open(idx)).isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("\"metadata.total_size\" is \"big\", expected a number of bytes >= 0");
    }

    @Test void indexShardOutsideItsFolder() throws Exception {
        Path idx = index("{\"weight_map\":{\"t\":\"../model-00001-of-00001.safetensors\"}}");
        assertThatThrownBy(() -> Safetensors.open(idx)).isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("is not a plain file name");
    }

    @Test void indexReadsTotalSize() throws Exception {
        index("{\"metadata\":{\"total_size\":8},\"weight_map\":{\"t\":\"model-00001-of-00001.safetensors\"}}");
        try (TensorStore s = Safetensors.open(dir)) {
            assertThat(s).isInstanceOf(ShardedCheckpoint.class);
            assertThat(((ShardedCheckpoint) s).declaredTotalSize()).hasValue(8);
            assertThat(s.tensor("t").shape()).containsExactly(2);
        }
    }

    @Test void folderWithoutWeights() throws Exception {
        Files.writeString(dir.resolve("model_index.json"), "{}");
        assertThatThrownBy(() -> Safetensors.open(dir)).isInstanceOf(SafetensorsException.class)
                .hasMessageContaining("no *.safetensors file", "pipeline folder");
    }
}
