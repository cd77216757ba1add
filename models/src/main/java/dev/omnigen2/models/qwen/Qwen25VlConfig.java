package dev.omnigen2.models.qwen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fields of Qwen2.5-VL's {@code config.json} that the math uses: the text decoder's (flat keys) and the
 * vision tower's ({@code vision_config}). {@code head_dim} is absent in the real file and is hidden / heads.
 */
public record Qwen25VlConfig(
        int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads, int headDim,
        float rmsNormEps, double ropeTheta, int[] mropeSection, boolean tieWordEmbeddings,
        int bosTokenId, int eosTokenId, int visionStartTokenId, int visionEndTokenId, int imageTokenId, int videoTokenId,
        Vision vision) {

    /** {@code vision_config}. Upstream 4.51 reads {@code in_channels} (default 3) and ignores {@code in_chans}. */
    public record Vision(int depth, int hiddenSize, int intermediateSize, int numHeads, int inChannels, int outHiddenSize,
                         int patchSize, int spatialMergeSize, int temporalPatchSize, int windowSize,
                         int[] fullattBlockIndexes, double tokensPerSecond) {
        public int headDim() { return hiddenSize / numHeads; }

        /** Elements of one flattened patch: C · T · p · p (1176 for the real model). */
        public int patchDim() { return inChannels * temporalPatchSize * patchSize * patchSize; }

        public int mergeUnit() { return spatialMergeSize * spatialMergeSize; }

        public boolean isFullAttention(int block) {
            for (int b : fullattBlockIndexes) if (b == block) return true;
            return false;
        }
    }

    public static Qwen25VlConfig load(Path configJson) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(Files.readString(configJson));
        } catch (IOException e) {
            throw new UncheckedIOException(configJson + ": cannot read config.json", e);
        }
        return parse(n, configJson.toString());
    }

    static Qwen25VlConfig parse(JsonNode n, String where) {
        int hidden = req(n, "hidden_size", where).asInt();
        int heads = req(n, "num_attention_heads", where).asInt();
        int headDim = n.has("head_dim") ? n.get("head_dim").asInt() : hidden / heads;
        JsonNode rs = n.get("rope_scaling");
        if (rs == null || !rs.has("mrope_section"))
            throw new IllegalArgumentException(where + ": rope_scaling.mrope_section is required for Qwen2.5-VL");
        int[] section = ints(rs.get("mrope_section"));
        int sum = 0;
        for (int s : section) sum += s;
        if (section.length != 3 || sum * 2 != headDim)
            throw new IllegalArgumentException(where + ": mrope_section " + java.util.Arrays.toString(section)
                    + " must have 3 entries summing to head_dim/2 = " + headDim / 2);
        JsonNode v = req(n, "vision_config", where);
        Vision vision = new Vision(
                req(v, "depth", where).asInt(), req(v, "hidden_size", where).asInt(),
                req(v, "intermediate_size", where).asInt(), req(v, "num_heads", where).asInt(),
                v.path("in_channels").asInt(3), req(v, "out_hidden_size", where).asInt(),
                req(v, "patch_size", where).asInt(), req(v, "spatial_merge_size", where).asInt(),
                req(v, "temporal_patch_size", where).asInt(), req(v, "window_size", where).asInt(),
                ints(req(v, "fullatt_block_indexes", where)), v.path("tokens_per_second").asDouble(2));
        return new Qwen25VlConfig(
                req(n, "vocab_size", where).asInt(), hidden, req(n, "intermediate_size", where).asInt(),
                req(n, "num_hidden_layers", where).asInt(), heads, n.path("num_key_value_heads").asInt(heads), headDim,
                (float) n.path("rms_norm_eps").asDouble(1e-6), n.path("rope_theta").asDouble(1e6), section,
                n.path("tie_word_embeddings").asBoolean(true),
                firstInt(n.get("bos_token_id")), firstInt(n.get("eos_token_id")),
                req(n, "vision_start_token_id", where).asInt(), req(n, "vision_end_token_id", where).asInt(),
                req(n, "image_token_id", where).asInt(), n.path("video_token_id").asInt(-1), vision);
    }

    private static JsonNode req(JsonNode n, String key, String where) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) throw new IllegalArgumentException(where + ": missing key '" + key + "'");
        return v;
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    private static int firstInt(JsonNode v) {
        if (v == null || v.isNull()) return -1;
        return v.isArray() ? (v.isEmpty() ? -1 : v.get(0).asInt()) : v.asInt();
    }
}
