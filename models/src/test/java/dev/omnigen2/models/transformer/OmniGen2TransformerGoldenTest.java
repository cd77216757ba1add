package dev.omnigen2.models.transformer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Patchify;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every case of golden/omnigen2-transformer: the whole forward with all its intermediates, and each block alone
 * given the stored input of that block. Sizes come from config.json and cases.json.
 */
class OmniGen2TransformerGoldenTest {
    private static final String FOLDER = "omnigen2-transformer";
    private static final double BLOCK_TOL = 1e-4;
    private static final double MODEL_TOL = 1e-3;
    /** Rotary tables: float32 rounding of the float64 values, one ulp near 1. */
    private static final double ROPE_ABS_TOL = 1.2e-7;

    private static Path dir;
    private static JsonNode cases;
    private static SafetensorsFile golden;
    private static OmniGen2Transformer model;

    @BeforeAll
    static void load() {
        dir = Golden.dir(FOLDER);
        cases = Golden.json(dir.resolve("cases.json"));
        golden = Golden.cases(FOLDER);
        model = OmniGen2Transformer.load(dir);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
        if (golden != null) golden.close();
    }

    static Stream<String> caseNames() {
        List<String> names = new ArrayList<>();
        Golden.json(Golden.dir(FOLDER).resolve("cases.json")).get("cases").forEach(c -> names.add(c.get("name").asText()));
        return names.stream();
    }

    @Test
    void configDerivesSizesOfTheTinyModel() {
        OmniGen2TransformerConfig c = OmniGen2TransformerConfig.load(dir.resolve("config.json"));
        JsonNode raw = Golden.json(dir.resolve("config.json"));
        assertThat(c.headDim()).isEqualTo(raw.get("hidden_size").asInt() / raw.get("num_attention_heads").asInt());
        assertThat(c.outChannelsResolved()).isEqualTo(raw.get("in_channels").asInt());
        assertThat(model.config()).isEqualTo(c);
        // the tiny config's FFN: multiple_of · ceil(4·hidden / multiple_of)
        int m = raw.get("multiple_of").asInt(), h = raw.get("hidden_size").asInt();
        assertThat(c.ffnInnerDim()).isEqualTo(m * ((4 * h + m - 1) / m));
    }

    @ParameterizedTest
    @MethodSource("caseNames")
    void wholeForwardWithIntermediates(String name) {
        Case c = new Case(name);
        Map<String, Tensor> seen = new HashMap<>();
        Tensor out = model.forward(c.input(), (n, v) -> seen.put(n, v.copy()));
        assertThat(seen.get("output").toFloatArray()).containsExactly(out.toFloatArray());
        StringBuilder report = new StringBuilder(name + " end-to-end:");
        for (JsonNode o : c.node.get("outputs")) {
            String t = o.asText();
            assertThat(seen).as("trace point " + t).containsKey(t);
            Tensor ref = c.t(t), got = seen.get(t);
            assertThat(got.shape()).as(t + " shape").containsExactly(ref.shape());
            if (ref.dtype() == DType.I64 || ref.dtype() == DType.BOOL) {
                assertThat(got.toLongArray()).as(t).containsExactly(ref.toLongArray());
            } else if (t.contains("rope_")) {
                double e = maxAbs(got, ref);
                assertThat(e).as(t + " max abs error").isLessThanOrEqualTo(ROPE_ABS_TOL);
                report.append(String.format(" %s=%.1e(abs)", t, e));
            } else {
                boolean[] rows = c.rowMask(t);
                double e = rows == null ? Golden.assertClose(t, got, ref, MODEL_TOL)
                        : Golden.assertCloseRows(t, got, ref, rows, MODEL_TOL);
                report.append(String.format(" %s=%.2e", t, e));
            }
        }
        System.out.println(report);
    }

    @ParameterizedTest
    @MethodSource("caseNames")
    void eachBlockGivenItsStoredInput(String name) {
        Case c = new Case(name);
        int b = c.node.get("batch_size").asInt();
        StringBuilder report = new StringBuilder(name + " per block:");
        Workspace ws = model.workspace();
        OmniGen2TransformerConfig cfg = model.config();

        float[] timesteps = c.t("timestep").toFloatArray();
        report.append(check("t_proj", model.timestepEmbedding().project(timesteps), c.t("t_proj"), null));
        report.append(check("temb", model.timestepEmbedding().forward(c.t("t_proj")), c.t("temb"), null));
        Tensor siluTemb = Ops.silu(c.t("temb"));

        Packing text = c.packing("text_attention_mask");
        Tensor textIn = text.fromPadded(c.t("text_hidden_states"));
        report.append(check("text_embed", text.toPadded(model.captionEmbedder().forward(textIn), 0), c.t("text_embed"), c.rowMask("text_embed")));

        Packing img = c.packing("img_mask");
        Tensor patches = Tensor.zeros(img.total(), cfg.patchFeatures());
        for (int i = 0; i < b; i++) Patchify.patchify(c.t("latents").select0(i), cfg.patchSize(), patches, img.offset(i));
        assertThat(img.toPadded(patches, 0).toFloatArray()).as("x_patches").containsExactly(c.t("x_patches").toFloatArray());
        report.append(check("x_embed", img.toPadded(model.xEmbedder().forward(img.fromPadded(c.t("x_patches"))), 0),
                c.t("x_embed"), c.rowMask("x_embed")));

        runRefiner(c, "context_refiner_out", "text_embed", text, "context_rope", model.contextRefiner(), null, ws, report);
        runRefiner(c, "noise_refiner_out", "x_embed", img, "noise_rope", model.noiseRefiner(), siluTemb, ws, report);
        if (c.has("ref_batch_mask")) {
            Packing refSeq = c.packing("ref_seq_mask");
            report.append(check("ref_embed", refSeq.toPadded(model.refImagePatchEmbedder().forward(refSeq.fromPadded(c.t("ref_patches"))), 0),
                    c.t("ref_embed"), c.rowMask("ref_embed")));
            runRefiner(c, "ref_refiner_out", "ref_refiner_in", c.refBatchPacking(), "ref_batch_rope", model.refImageRefiner(),
                    siluTemb, ws, report);
        }

        // main layers, each from the stored input of that layer; layer 0 with its internal points
        Packing joint = c.packing("joint_mask");
        OmniRope.Tables rope = c.rope("rope", joint);
        List<TransformerBlock> layers = model.layers();
        for (int l = 0; l < layers.size(); l++) {
            String inName = l == 0 ? "joint_in" : "hidden_after_layer" + (l - 1);
            Tensor x = joint.fromPadded(c.t(inName));
            Map<String, Tensor> seen = new HashMap<>();
            Tracer tracer = new Tracer((n, v) -> seen.put(n, v.copy()));
            TransformerBlock block = layers.get(l);
            block.forward(x, joint, rope, block.modulation(siluTemb), ws, tracer, "layer" + l + "_");
            for (String part : List.of("norm1_x", "gate_msa", "scale_mlp", "gate_mlp", "attn_out", "ffn_out")) {
                String n = "layer" + l + "_" + part;
                if (c.has(n)) report.append(check(n, seen.get(n), c.t(n), c.rowMask(n)));
            }
            String outName = "hidden_after_layer" + l;
            report.append(check(outName, joint.toPadded(x, 0), c.t(outName), c.rowMask(outName)));
        }

        Tensor last = joint.fromPadded(c.t("hidden_after_layer" + (layers.size() - 1)));
        Tensor normOut = model.normOut().forward(last, joint, siluTemb, ws);
        report.append(check("norm_out", joint.toPadded(normOut, 0), c.t("norm_out"), c.rowMask("norm_out")));

        // output = unpatchified noise tokens of the stored norm_out
        Tensor storedTokens = joint.fromPadded(c.t("norm_out"));
        Tensor expected = c.t("output");
        Tensor out = Tensor.zeros(expected.shape());
        for (int i = 0; i < b; i++)
            Patchify.unpatchify(storedTokens, joint.offset(i) + joint.length(i) - img.length(i), cfg.patchSize(), out.select0(i));
        assertThat(out.toFloatArray()).as("output = unpatchify(norm_out)").containsExactly(expected.toFloatArray());
        System.out.println(report);
    }

    private static void runRefiner(Case c, String outPrefix, String inName, Packing packing, String ropePrefix,
                                   List<TransformerBlock> blocks, Tensor siluTemb, Workspace ws, StringBuilder report) {
        OmniRope.Tables rope = c.rope(ropePrefix, packing);
        for (int k = 0; k < blocks.size(); k++) {
            String in = k == 0 ? inName : outPrefix + (k - 1);
            Tensor x = packing.fromPadded(c.t(in));
            TransformerBlock block = blocks.get(k);
            block.forward(x, packing, rope, siluTemb == null ? null : block.modulation(siluTemb), ws, Tracer.OFF, null);
            String out = outPrefix + k;
            report.append(check(out, packing.toPadded(x, 0), c.t(out), c.rowMask(out)));
        }
    }

    private static String check(String what, Tensor got, Tensor ref, boolean[] rows) {
        double e = rows == null ? Golden.assertClose(what, got, ref, BLOCK_TOL) : Golden.assertCloseRows(what, got, ref, rows, BLOCK_TOL);
        return String.format(" %s=%.2e", what, e);
    }

    private static double maxAbs(Tensor a, Tensor b) {
        float[] x = a.toFloatArray(), y = b.toFloatArray();
        double m = 0;
        for (int i = 0; i < x.length; i++) m = Math.max(m, Math.abs((double) x[i] - y[i]));
        return m;
    }

    /** One case of cases.json with its tensors. */
    static final class Case {
        final String name;
        final JsonNode node;

        Case(String name) {
            this.name = name;
            JsonNode found = null;
            for (JsonNode c : cases.get("cases")) if (c.get("name").asText().equals(name)) found = c;
            assertThat(found).as("case " + name).isNotNull();
            this.node = found;
        }

        boolean has(String t) { return golden.contains(name + "/" + t); }

        Tensor t(String t) { return golden.tensor(name + "/" + t); }

        OmniGen2Transformer.Input input() {
            Tensor latents = t("latents");
            int b = latents.size(0);
            List<List<Tensor>> refs = null;
            if (!node.get("ref_image_hidden_states_arg").asText().equals("None")) {
                refs = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    List<Tensor> r = new ArrayList<>();
                    for (int j = 0; has("ref_latent_b" + i + "_r" + j); j++) r.add(t("ref_latent_b" + i + "_r" + j));
                    refs.add(r.isEmpty() ? null : r);
                }
            }
            return new OmniGen2Transformer.Input(latents, t("timestep").toFloatArray(), t("text_hidden_states"),
                    OmniGen2Transformer.Input.lengthsFromMask(t("text_attention_mask")), refs);
        }

        /** The stored mask of a padded tensor's layout (null: not a token layout). */
        String maskOf(String t) {
            if (t.equals("text_embed") || t.startsWith("context_refiner_out")) return "text_attention_mask";
            if (t.equals("x_patches") || t.equals("x_embed") || t.startsWith("noise_refiner_out")) return "img_mask";
            if (t.equals("ref_patches") || t.equals("ref_embed")) return "ref_seq_mask";
            if (t.equals("ref_refiner_in") || t.startsWith("ref_refiner_out")) return "ref_batch_mask";
            if (t.equals("joint_in") || t.startsWith("hidden_after_layer") || t.equals("norm_out")
                    || t.matches("layer\\d+_(norm1_x|attn_out|ffn_out)")) return "joint_mask";
            return null;
        }

        boolean[] rowMask(String t) {
            String m = maskOf(t);
            if (m == null) return null;
            long[] v = t(m).toLongArray();
            boolean[] r = new boolean[v.length];
            for (int i = 0; i < v.length; i++) r[i] = v[i] != 0;
            return r;
        }

        /** Packing of a stored mask [rows, len]: lengths = valid positions per row, one sample per row. */
        Packing packing(String mask) {
            Tensor m = t(mask);
            int rows = m.size(0), len = m.size(1);
            int[] lengths = new int[rows];
            for (int i = 0; i < rows; i++) for (int j = 0; j < len; j++) if (m.getLong((long) i * len + j) != 0) lengths[i]++;
            int[] samples = new int[rows];
            for (int i = 0; i < rows; i++) samples[i] = i;
            return Packing.of(lengths, samples, len);
        }

        /** The reference refiner's rows: ref_lens lists, per sample, its images' token counts ([0]: an empty row). */
        Packing refBatchPacking() {
            List<Integer> lengths = new ArrayList<>(), samples = new ArrayList<>();
            JsonNode refLens = node.get("ref_lens");
            for (int i = 0; i < refLens.size(); i++)
                for (JsonNode n : refLens.get(i)) {
                    lengths.add(n.asInt());
                    samples.add(i);
                }
            Packing p = Packing.of(lengths.stream().mapToInt(Integer::intValue).toArray(),
                    samples.stream().mapToInt(Integer::intValue).toArray(), t("ref_batch_mask").size(1));
            assertThat(p.paddedMask()).as("ref_batch_mask").containsExactly(rowMask("ref_refiner_in"));
            return p;
        }

        OmniRope.Tables rope(String prefix, Packing p) {
            return new OmniRope.Tables(p.fromPadded(t(prefix + "_cos")), p.fromPadded(t(prefix + "_sin")));
        }
    }
}
