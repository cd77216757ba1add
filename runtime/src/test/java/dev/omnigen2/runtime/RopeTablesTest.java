package dev.omnigen2.runtime;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rotary table builders against the tables upstream built for the golden fixtures (qwen25vl vision_single,
 * omnigen2-transformer two_refs and batch_mixed_refs), plus the M-RoPE section layout. The runtime module cannot
 * use the safetensors reader (it sits above runtime), so this test reads the few tensors it needs itself.
 */
class RopeTablesTest {
    static Path golden(String folder) {
        return Path.of(System.getProperty("golden.dir", "../testdata/golden"), folder);
    }

    /** A minimal safetensors lookup: the raw little-endian bytes of one tensor and its shape. */
    record Raw(ByteBuffer data, int[] shape) {
        long i64(int i) { return data.getLong(8 * i); }
        float f32(int i) { return data.getFloat(4 * i); }
    }

    static Raw tensor(Path file, String name) throws IOException {
        byte[] all = Files.readAllBytes(file);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int n = (int) bb.getLong(0);
        String header = new String(all, 8, n, java.nio.charset.StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("\"" + Pattern.quote(name)
                + "\":\\{\"dtype\":\"\\w+\",\"shape\":\\[([0-9,]*)],\"data_offsets\":\\[(\\d+),(\\d+)]}").matcher(header);
        assertThat(m.find()).as(name + " in " + file).isTrue();
        String[] dims = m.group(1).split(",");
        int[] shape = new int[dims.length];
        for (int i = 0; i < dims.length; i++) shape[i] = Integer.parseInt(dims[i]);
        int from = 8 + n + Integer.parseInt(m.group(2)), to = 8 + n + Integer.parseInt(m.group(3));
        return new Raw(ByteBuffer.wrap(all, from, to - from).slice().order(ByteOrder.LITTLE_ENDIAN), shape);
    }

    static int[] intsFromJson(Path config, String key) throws IOException {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\\[([^]]*)]").matcher(Files.readString(config));
        assertThat(m.find()).as(key + " in " + config).isTrue();
        String[] parts = m.group(1).replaceAll("\\s", "").split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = Integer.parseInt(parts[i]);
        return out;
    }

    @Test
    void visionTableMatchesQwen25VlFixture() throws IOException {
        Path cases = golden("qwen25vl").resolve("cases.safetensors");
        Raw pos = tensor(cases, "vision_single/vision_pos_ids");
        Raw cos = tensor(cases, "vision_single/rotary_cos"), sin = tensor(cases, "vision_single/rotary_sin");
        Raw window = tensor(cases, "vision_single/window_index");
        int l = pos.shape()[0], hd = cos.shape()[1];
        int[][] rowCol = new int[l][2];
        for (int t = 0; t < l; t++) { rowCol[t][0] = (int) pos.i64(2 * t); rowCol[t][1] = (int) pos.i64(2 * t + 1); }
        RopeTables.Table table = RopeTables.vision2d(rowCol, hd);
        // fixture rows are in window order: row i·4 + j is natural row window_index[i]·4 + j
        double maxErr = 0;
        for (int i = 0; i < window.shape()[0]; i++)
            for (int j = 0; j < 4; j++)
                for (int c = 0; c < hd; c++) {
                    int natural = (int) window.i64(i) * 4 + j, stored = i * 4 + j;
                    maxErr = Math.max(maxErr, Math.abs(table.cos().get(natural, c) - cos.f32(stored * hd + c)));
                    maxErr = Math.max(maxErr, Math.abs(table.sin().get(natural, c) - sin.f32(stored * hd + c)));
                }
        assertThat(maxErr).as("vision rotary table max abs error").isLessThanOrEqualTo(5e-7);
    }

    @Test
    void omniTableMatchesOmniGen2Fixture() throws IOException {
        Path folder = golden("omnigen2-transformer");
        int[] axes = intsFromJson(folder.resolve("config.json"), "axes_dim_rope");
        for (String c : new String[] {"two_refs", "batch_mixed_refs"}) {
            Raw pos = tensor(folder.resolve("cases.safetensors"), c + "/position_ids");
            Raw cos = tensor(folder.resolve("cases.safetensors"), c + "/rope_cos");
            Raw sin = tensor(folder.resolve("cases.safetensors"), c + "/rope_sin");
            int rows = pos.shape()[0] * pos.shape()[1], cols = cos.shape()[2];
            int[][] p = new int[rows][3];
            for (int t = 0; t < rows; t++) for (int a = 0; a < 3; a++) p[t][a] = (int) pos.i64(3 * t + a);
            RopeTables.Table table = RopeTables.omni(p, axes, 10000);
            assertThat(table.cos().shape()).containsExactly(rows, cols);
            double maxErr = 0;
            for (int i = 0; i < rows * cols; i++) {
                maxErr = Math.max(maxErr, Math.abs(table.cos().getFloat(i) - cos.f32(i)));
                maxErr = Math.max(maxErr, Math.abs(table.sin().getFloat(i) - sin.f32(i)));
            }
            assertThat(maxErr).as(c + " Omni-RoPE table max abs error").isLessThanOrEqualTo(1e-7);
        }
    }

    @Test
    void mropeSectionsPickTheirPositionRow() {
        int hd = 32;
        long[][] pos = {{5, 6}, {100, 101}, {7, 8}};
        RopeTables.Table m = RopeTables.mrope(pos, hd, 1e6, new int[] {4, 6, 6});
        for (int axis = 0; axis < 3; axis++) {
            long[] single = pos[axis];
            RopeTables.Table ref = RopeTables.text(single, hd, 1e6);
            // columns of section k (both halves) equal the 1-D table of position row k
            int[] from = {0, 4, 10}, len = {4, 6, 6};
            for (int t = 0; t < 2; t++)
                for (int half = 0; half < 2; half++)
                    for (int c = from[axis]; c < from[axis] + len[axis]; c++) {
                        int col = half * hd / 2 + c;
                        assertThat(m.cos().get(t, col)).isEqualTo(ref.cos().get(t, col));
                        assertThat(m.sin().get(t, col)).isEqualTo(ref.sin().get(t, col));
                    }
        }
        // text table: cat(freqs, freqs), angle = pos / θ^(2i/hd) in float32
        RopeTables.Table t = RopeTables.text(new long[] {3}, 8, 10000);
        assertThat(t.cos().get(0, 1)).isEqualTo(t.cos().get(0, 5));
        assertThat((double) t.sin().get(0, 1)).isCloseTo(Math.sin(3 / Math.pow(10000, 2.0 / 8)), org.assertj.core.data.Offset.offset(1e-6));
    }
}
