package dev.omnigen2.models.transformer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * {@code transformer/config.json} of OmniGen2Transformer2DModel. Keys the file leaves out take the defaults of the
 * upstream constructor (as diffusers does); every size the model needs is derived here, nowhere else.
 *
 * @param outChannels null means "same as in_channels"
 * @param ffnDimMultiplier null means no multiplier
 */
public record OmniGen2TransformerConfig(
        int patchSize, int inChannels, Integer outChannels, int hiddenSize, int numLayers, int numRefinerLayers,
        int numAttentionHeads, int numKvHeads, int multipleOf, Double ffnDimMultiplier, double normEps,
        int[] axesDimRope, int[] axesLens, int textFeatDim, double timestepScale) {

    /** Width of the sinusoidal timestep projection (fixed upstream, independent of the config). */
    public static final int TIMESTEP_PROJECTION_WIDTH = 256;
    /** The timestep embedding and all adaLN inputs are capped at this width. */
    public static final int MAX_TIMESTEP_EMBED_WIDTH = 1024;

    public OmniGen2TransformerConfig {
        require(patchSize > 0, "patch_size must be positive, got " + patchSize);
        require(hiddenSize > 0 && numAttentionHeads > 0 && numKvHeads > 0, "hidden_size and head counts must be positive");
        require(hiddenSize % numAttentionHeads == 0,
                "hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + numAttentionHeads);
        require(numAttentionHeads % numKvHeads == 0,
                "num_attention_heads " + numAttentionHeads + " is not a multiple of num_kv_heads " + numKvHeads);
        require(axesDimRope.length == 3 && axesLens.length == 3, "axes_dim_rope and axes_lens need 3 entries");
        require(Arrays.stream(axesDimRope).sum() == hiddenSize / numAttentionHeads,
                "sum of axes_dim_rope " + Arrays.toString(axesDimRope) + " must equal head_dim " + hiddenSize / numAttentionHeads);
        for (int d : axesDimRope) require(d % 2 == 0, "axes_dim_rope entries must be even: " + Arrays.toString(axesDimRope));
        axesDimRope = axesDimRope.clone();
        axesLens = axesLens.clone();
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("transformer config: " + message);
    }

    public static OmniGen2TransformerConfig load(Path configJson) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(Files.readString(configJson));
        } catch (IOException e) {
            throw new UncheckedIOException(configJson + ": cannot read transformer config: " + e.getMessage(), e);
        }
        try {
            return fromJson(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
        }
    }

    public static OmniGen2TransformerConfig fromJson(JsonNode n) {
        return new OmniGen2TransformerConfig(
                n.path("patch_size").asInt(2), n.path("in_channels").asInt(16),
                n.hasNonNull("out_channels") ? n.get("out_channels").asInt() : null,
                n.path("hidden_size").asInt(2304), n.path("num_layers").asInt(26),
                n.path("num_refiner_layers").asInt(2), n.path("num_attention_heads").asInt(24),
                n.path("num_kv_heads").asInt(8), n.path("multiple_of").asInt(256),
                n.hasNonNull("ffn_dim_multiplier") ? n.get("ffn_dim_multiplier").asDouble() : null,
                n.path("norm_eps").asDouble(1e-5), ints(n.get("axes_dim_rope"), 32, 32, 32),
                ints(n.get("axes_lens"), 300, 512, 512), n.path("text_feat_dim").asInt(1024),
                n.path("timestep_scale").asDouble(1.0));
    }

    private static int[] ints(JsonNode a, int... dflt) {
        if (a == null || a.isNull()) return dflt;
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    public int headDim() { return hiddenSize / numAttentionHeads; }

    public int outChannelsResolved() { return outChannels == null ? inChannels : outChannels; }

    /** SwiGLU inner width: 4·hidden, times ffn_dim_multiplier, rounded up to a multiple of multiple_of. */
    public int ffnInnerDim() {
        int inner = 4 * hiddenSize;
        if (ffnDimMultiplier != null) inner = (int) (ffnDimMultiplier * inner);
        return multipleOf * ((inner + multipleOf - 1) / multipleOf);
    }

    /** Width of the timestep embedding fed to every adaLN linear: min(hidden, 1024). */
    public int timestepEmbedDim() { return Math.min(hiddenSize, MAX_TIMESTEP_EMBED_WIDTH); }

    /** Features of one patch token: p·p·C. */
    public int patchFeatures() { return patchSize * patchSize * inChannels; }

    public int outPatchFeatures() { return patchSize * patchSize * outChannelsResolved(); }

    @Override public int[] axesDimRope() { return axesDimRope.clone(); }

    @Override public int[] axesLens() { return axesLens.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof OmniGen2TransformerConfig c && patchSize == c.patchSize && inChannels == c.inChannels
                && java.util.Objects.equals(outChannels, c.outChannels) && hiddenSize == c.hiddenSize
                && numLayers == c.numLayers && numRefinerLayers == c.numRefinerLayers
                && numAttentionHeads == c.numAttentionHeads && numKvHeads == c.numKvHeads && multipleOf == c.multipleOf
                && java.util.Objects.equals(ffnDimMultiplier, c.ffnDimMultiplier) && normEps == c.normEps
                && Arrays.equals(axesDimRope, c.axesDimRope) && Arrays.equals(axesLens, c.axesLens)
                && textFeatDim == c.textFeatDim && timestepScale == c.timestepScale;
    }

    @Override
    public int hashCode() { return java.util.Objects.hash(hiddenSize, numLayers, Arrays.hashCode(axesDimRope)); }

    @Override
    public String toString() {
        return "OmniGen2TransformerConfig[hidden=" + hiddenSize + ", layers=" + numLayers + ", refinerLayers="
                + numRefinerLayers + ", heads=" + numAttentionHeads + "/" + numKvHeads + ", headDim=" + headDim()
                + ", ffn=" + ffnInnerDim() + ", axes=" + Arrays.toString(axesDimRope) + ", textFeat=" + textFeatDim + "]";
    }
}
