package dev.omnigen2.models.qwen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every case of the qwen25vl fixture: tiny Qwen2.5-VL run by upstream transformers 4.51. */
class Qwen25VlGoldenTest {
    private static Path dir;
    private static Qwen25Vl model;
    private static SafetensorsFile cases;
    private static Map<String, JsonNode> caseSpecs;

    @BeforeAll
    static void load() {
        dir = Golden.dir("qwen25vl");
        JsonNode spec = Golden.json(dir.resolve("cases.json"));
        model = Qwen25Vl.load(dir.resolve(spec.get("config").asText()), dir.resolve(spec.get("weights").asText()));
        cases = SafetensorsFile.open(dir.resolve(spec.get("tensors").asText()));
        caseSpecs = new LinkedHashMap<>();
        for (JsonNode c : spec.get("cases")) caseSpecs.put(c.get("name").asText(), c);
    }

    @AfterAll
    static void close() {
        model.close();
        cases.close();
    }

    private static double tol(String caseName, String kind) {
        return caseSpecs.get(caseName).get("tolerance_rel_l2").get(kind).asDouble();
    }

    private static void check(String what, Tensor y, Tensor r, double tol) {
        System.out.printf("qwen25vl %-40s relL2 %.3e (tol %.0e)%n", what, Golden.assertClose(what, y, r, tol), tol);
    }

    private static Tensor t(String name) { return cases.tensor(name); }

    static int[][] ints2d(Tensor x) {
        int rows = x.size(0), cols = (int) (x.numel() / rows);
        int[][] r = new int[rows][cols];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) r[i][j] = (int) x.getLong((long) i * cols + j);
        return r;
    }

    static int[] ints(Tensor x) {
        int[] r = new int[(int) x.numel()];
        for (int i = 0; i < r.length; i++) r[i] = (int) x.getLong(i);
        return r;
    }

    /** Positions [3][B][L] flattened to compare with the fixture's I64 [3, B, L]. */
    private static int[] flat(int[][][] p) {
        List<Integer> l = new ArrayList<>();
        for (int[][] a : p) for (int[] b : a) for (int v : b) l.add(v);
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Stacks per-row [L, D] tensors into [B, L, D]. */
    private static Tensor stack(List<Tensor> rows) {
        int[] s = rows.get(0).shape();
        Tensor out = Tensor.zeros(rows.size(), s[0], s[1]);
        long bytes = rows.get(0).byteSize();
        for (int b = 0; b < rows.size(); b++) MemorySegment.copy(rows.get(b).data(), 0, out.data(), b * bytes, bytes);
        return out;
    }

    @Test
    void textBatch() {
        String c = "text_batch";
        int[][] ids = ints2d(t(c + "/input_ids")), mask = ints2d(t(c + "/attention_mask"));
        double inter = tol(c, "intermediates"), outTol = tol(c, "outputs");

        RopeIndex.Result pos = RopeIndex.compute(model.config(), ids, mask, null);
        assertThat(flat(pos.positions())).containsExactly(ints(t(c + "/position_ids")));
        assertThat(pos.deltas()).containsExactly(ints(t(c + "/rope_deltas")));

        List<Tensor> embeds = new ArrayList<>();
        for (int[] row : ids) embeds.add(model.decoder().embed(row));
        check(c + " hidden_embed", stack(embeds), t(c + "/hidden_embed"), inter);

        List<List<Tensor>> layers = new ArrayList<>();
        Qwen25Vl.Encoded enc = model.encode(ids, mask, null, null, layers);
        for (int l = 0; l < model.config().numLayers(); l++) {
            List<Tensor> perRow = new ArrayList<>();
            for (List<Tensor> row : layers) perRow.add(row.get(l));
            check(c + " hidden_after_layer" + l, stack(perRow), t(c + "/hidden_after_layer" + l), inter);
        }
        check(c + " hidden_final_norm", enc.hidden(), t(c + "/hidden_final_norm"), outTol);
        int n = model.config().numLayers();
        check(c + " penultimate (hidden_states[-2])", model.encodePenultimate(ids, mask, null, null),
                t(c + (n >= 2 ? "/hidden_after_layer" + (n - 2) : "/hidden_embed")), inter);
        assertThat(enc.ropeDeltas()).containsExactly(ints(t(c + "/rope_deltas")));

        int b = ids.length, len = ids[0].length, d = model.config().hiddenSize();
        Tensor logits = model.decoder().logits(enc.hidden().reshape(b * len, d)).reshape(b, len, -1);
        check(c + " logits", logits, t(c + "/logits"), outTol);
        int vocab = logits.size(2);
        Tensor last = Tensor.zeros(b, vocab);
        for (int r = 0; r < b; r++) {
            int real = 0;
            for (int m : mask[r]) real += m;
            for (int v = 0; v < vocab; v++) last.setFloat((long) r * vocab + v, logits.get(r, real - 1, v));
        }
        check(c + " logits_last", last, t(c + "/logits_last"), outTol);
    }

    @Test
    void visionSingle() {
        String c = "vision_single";
        double inter = tol(c, "intermediates"), outTol = tol(c, "outputs");
        int[][] grids = ints2d(t(c + "/grid_thw"));
        Qwen25VlConfig.Vision v = model.config().vision();

        int[][] pos = VisionRotary.patchPositions(grids, v.spatialMergeSize());
        int[] flatPos = new int[pos.length * 2];
        for (int i = 0; i < pos.length; i++) { flatPos[2 * i] = pos[i][0]; flatPos[2 * i + 1] = pos[i][1]; }
        assertThat(flatPos).containsExactly(ints(t(c + "/vision_pos_ids")));
        checkLayout(c, grids);

        Map<String, Tensor> trace = new LinkedHashMap<>();
        Tensor merged = model.vision().forward(t(c + "/pixel_values"), grids, (n, x) -> trace.put(n, x.copy()));
        for (String n : List.of("rotary_pos_emb", "rotary_cos", "rotary_sin", "hidden_after_patch_embed"))
            check(c + " " + n, trace.get(n), t(c + "/" + n), inter);
        for (int i = 0; i < v.depth(); i++)
            check(c + " hidden_after_block" + i, trace.get("hidden_after_block" + i), t(c + "/hidden_after_block" + i), inter);
        check(c + " merger_output", merged, t(c + "/merger_output"), outTol);
    }

    private void checkLayout(String c, int[][] grids) {
        WindowLayout layout = model.vision().layout(grids);
        assertThat(layout.windowIndex()).as(c + " window_index").containsExactly(ints(t(c + "/window_index")));
        assertThat(layout.cuWindowSeqlensRaw()).as(c + " cu_window_seqlens_raw").containsExactly(ints(t(c + "/cu_window_seqlens_raw")));
        assertThat(layout.cuWindowSeqlens()).as(c + " cu_window_seqlens").containsExactly(ints(t(c + "/cu_window_seqlens")));
        assertThat(layout.cuSeqlens()).as(c + " cu_seqlens").containsExactly(ints(t(c + "/cu_seqlens")));
    }

    @Test
    void vlmImageText() { checkVlm("vlm_image_text"); }

    @Test
    void vlmTwoImages() { checkVlm("vlm_two_images"); }

    private void checkVlm(String c) {
        double inter = tol(c, "intermediates"), outTol = tol(c, "outputs");
        int[][] ids = ints2d(t(c + "/input_ids")), mask = ints2d(t(c + "/attention_mask"));
        int[][] grids = ints2d(t(c + "/image_grid_thw"));
        Tensor pixels = t(c + "/pixel_values");
        checkLayout(c, grids);

        RopeIndex.Result pos = RopeIndex.compute(model.config(), ids, mask, grids);
        assertThat(flat(pos.positions())).as(c + " position_ids").containsExactly(ints(t(c + "/position_ids")));
        assertThat(pos.deltas()).as(c + " rope_deltas").containsExactly(ints(t(c + "/rope_deltas")));

        Tensor imageEmbeds = model.vision().forward(pixels, grids);
        check(c + " image_embeds", imageEmbeds, t(c + "/image_embeds"), inter);
        Tensor embeds = model.inputsEmbeds(ids[0], imageEmbeds, 0);
        check(c + " inputs_embeds", embeds.reshape(1, ids[0].length, -1), t(c + "/inputs_embeds"), inter);

        List<List<Tensor>> layers = new ArrayList<>();
        Qwen25Vl.Encoded enc = model.encode(ids, mask, pixels, grids, layers);
        for (int l = 0; l < model.config().numLayers(); l++)
            check(c + " hidden_after_layer" + l, layers.get(0).get(l).reshape(1, ids[0].length, -1),
                    t(c + "/hidden_after_layer" + l), inter);
        check(c + " hidden_final_norm", enc.hidden(), t(c + "/hidden_final_norm"), outTol);
        int len = ids[0].length;
        Tensor last = model.decoder().logits(enc.hidden().reshape(len, -1).slice0(len - 1, 1));
        check(c + " logits_last", last, t(c + "/logits_last"), outTol);
    }

    @Test
    void greedyDecode() {
        String c = "greedy_decode";
        JsonNode args = caseSpecs.get(c).get("args");
        int[] prompt = ints2d(t(c + "/input_ids"))[0];
        int[][] grids = ints2d(t(c + "/image_grid_thw"));
        RopeIndex.Result pos = RopeIndex.compute(model.config(), new int[][] {prompt}, null, grids);
        assertThat(flat(pos.positions())).containsExactly(ints(t(c + "/position_ids_prefill")));
        int delta = pos.deltas()[0];
        assertThat(delta).isEqualTo(ints(t(c + "/rope_deltas"))[0]);
        int[] cachePos = ints(t(c + "/cache_position_decode"));
        int[] decodePos = ints(t(c + "/position_ids_decode"));
        for (int s = 0; s < cachePos.length; s++) {
            assertThat(cachePos[s]).isEqualTo(prompt.length + s);
            for (int a = 0; a < 3; a++) assertThat(decodePos[s * 3 + a]).isEqualTo(cachePos[s] + delta);
        }

        List<Integer> streamed = new ArrayList<>();
        List<Tensor> steps = new ArrayList<>();
        int[] generated = model.generate(prompt, t(c + "/pixel_values"), grids,
                GenerationOptions.greedy(args.get("max_new_tokens").asInt()), streamed::add, steps);
        assertThat(generated).containsExactly(ints(t(c + "/generated_ids")));
        assertThat(streamed).containsExactly(java.util.Arrays.stream(generated).boxed().toArray(Integer[]::new));
        Tensor logits = Tensor.zeros(steps.size(), 1, steps.get(0).size(1));
        long bytes = steps.get(0).byteSize();
        for (int s = 0; s < steps.size(); s++) MemorySegment.copy(steps.get(s).data(), 0, logits.data(), s * bytes, bytes);
        check(c + " logits_steps", logits, t(c + "/logits_steps"), tol(c, "outputs"));
        int[] seq = ints(t(c + "/sequences"));
        assertThat(java.util.Arrays.copyOfRange(seq, 0, prompt.length)).containsExactly(prompt);
    }

    @Test
    void stopTokenEndsGenerationAndIsStreamed() {
        String c = "greedy_decode";
        int[] prompt = ints2d(t(c + "/input_ids"))[0];
        int[] expected = ints(t(c + "/generated_ids"));
        List<Integer> streamed = new ArrayList<>();
        int[] got = model.generate(prompt, t(c + "/pixel_values"), ints2d(t(c + "/image_grid_thw")),
                GenerationOptions.greedy(20, expected[2]), streamed::add);
        assertThat(got).containsExactly(expected[0], expected[1], expected[2]);
        assertThat(streamed).containsExactly(expected[0], expected[1], expected[2]);
    }

    @Test
    void fixtureHoldsExactlyTheCasesTestedHere() {
        assertThat(caseSpecs.keySet()).containsExactly("text_batch", "vision_single", "vlm_image_text", "vlm_two_images", "greedy_decode");
    }
}
