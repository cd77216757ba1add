package dev.omnigen2.models.vae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code vae/config.json} of a diffusers {@code AutoencoderKL} as used by FLUX.1 and OmniGen2.
 * Every size of the encoder and decoder derives from these values.
 *
 * @param inChannels          image channels entering the encoder (3)
 * @param outChannels         image channels leaving the decoder (3)
 * @param latentChannels      channels of the latent (16 for Flux); the encoder emits twice as many (mean, logvar)
 * @param blockOutChannels    channels of each resolution level, highest resolution first
 * @param layersPerBlock      resnets per down block; up blocks have one more
 * @param normNumGroups       groups of every GroupNorm
 * @param scalingFactor       pipeline latent scale (z − shift)·scale
 * @param shiftFactor         pipeline latent shift (0 when config.json has null)
 * @param sampleSize          image tile size of diffusers' tiling (the latent tile is sampleSize / 2^(levels−1))
 * @param useQuantConv        a 1×1 conv after the encoder ({@code quant_conv})
 * @param usePostQuantConv    a 1×1 conv before the decoder ({@code post_quant_conv})
 * @param midBlockAddAttention whether the mid blocks hold their self-attention
 */
public record FluxVaeConfig(
        int inChannels,
        int outChannels,
        int latentChannels,
        List<Integer> blockOutChannels,
        int layersPerBlock,
        int normNumGroups,
        float scalingFactor,
        float shiftFactor,
        int sampleSize,
        boolean useQuantConv,
        boolean usePostQuantConv,
        boolean midBlockAddAttention) {

    /** Every GroupNorm of this VAE (resnets, attention, output norms) uses this epsilon, not PyTorch's 1e-5. */
    static final float NORM_EPS = 1e-6f;

    public FluxVaeConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        require(inChannels > 0 && outChannels > 0 && latentChannels > 0, "channel counts must be positive");
        require(!blockOutChannels.isEmpty(), "block_out_channels must not be empty");
        require(layersPerBlock > 0, "layers_per_block must be positive, got " + layersPerBlock);
        require(normNumGroups > 0, "norm_num_groups must be positive, got " + normNumGroups);
        for (int c : blockOutChannels)
            require(c > 0 && c % normNumGroups == 0,
                    "block_out_channels " + blockOutChannels + " must be multiples of norm_num_groups " + normNumGroups);
        require(scalingFactor != 0 && Float.isFinite(scalingFactor), "scaling_factor must be finite and non-zero");
        require(sampleSize > 0, "sample_size must be positive, got " + sampleSize);
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("VAE config: " + message);
    }

    /** Number of resolution levels (down blocks = up blocks). */
    public int levels() { return blockOutChannels.size(); }

    /** Channels of level {@code i} (0 = full resolution). */
    public int channels(int level) { return blockOutChannels.get(level); }

    /** Channels at the lowest resolution (mid blocks, attention width). */
    public int deepestChannels() { return blockOutChannels.get(blockOutChannels.size() - 1); }

    /** Image pixels per latent pixel along each side: 2^(levels−1) (8 for Flux). */
    public int downsampleFactor() { return 1 << (levels() - 1); }

    /** Reads {@code config.json} from a {@code vae/} folder or the file itself. */
    public static FluxVaeConfig load(Path folderOrFile) {
        Path file = Files.isDirectory(folderOrFile) ? folderOrFile.resolve("config.json") : folderOrFile;
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException(file + ": VAE config.json not found");
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        try {
            return parse(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Builds the config from the parsed JSON, rejecting architectures this implementation does not cover. */
    public static FluxVaeConfig parse(JsonNode root) {
        String cls = text(root, "_class_name", "AutoencoderKL");
        require(cls.equals("AutoencoderKL"), "_class_name is '" + cls + "', expected AutoencoderKL");
        String act = text(root, "act_fn", "silu");
        require(act.equals("silu"), "act_fn '" + act + "' is not supported (only silu)");
        List<Integer> channels = new ArrayList<>();
        JsonNode boc = root.get("block_out_channels");
        require(boc != null && boc.isArray(), "block_out_channels must be an array");
        boc.forEach(n -> channels.add(n.asInt()));
        checkBlockTypes(root, "down_block_types", "DownEncoderBlock2D", channels.size());
        checkBlockTypes(root, "up_block_types", "UpDecoderBlock2D", channels.size());
        JsonNode shift = root.get("shift_factor");
        return new FluxVaeConfig(
                integer(root, "in_channels", 3),
                integer(root, "out_channels", 3),
                integer(root, "latent_channels", 4),
                channels,
                integer(root, "layers_per_block", 1),
                integer(root, "norm_num_groups", 32),
                (float) number(root, "scaling_factor", 0.18215),
                shift == null || shift.isNull() ? 0f : (float) shift.asDouble(),
                sampleSizeOf(root),
                bool(root, "use_quant_conv", true),
                bool(root, "use_post_quant_conv", true),
                bool(root, "mid_block_add_attention", true));
    }

    private static void checkBlockTypes(JsonNode root, String key, String expected, int levels) {
        JsonNode types = root.get(key);
        if (types == null || types.isNull()) return;
        require(types.isArray() && types.size() == levels,
                key + " must list one block per block_out_channels entry (" + levels + ")");
        for (JsonNode t : types)
            require(t.asText().equals(expected), key + " holds '" + t.asText() + "', only " + expected + " is supported");
    }

    private static int sampleSizeOf(JsonNode root) {
        JsonNode s = root.get("sample_size");
        if (s == null || s.isNull()) return 32;
        return s.isArray() ? s.get(0).asInt() : s.asInt();
    }

    private static String text(JsonNode root, String key, String dflt) {
        JsonNode n = root.get(key);
        return n == null || n.isNull() ? dflt : n.asText();
    }

    private static int integer(JsonNode root, String key, int dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return dflt;
        require(n.isIntegralNumber(), key + " must be an integer, got " + n);
        return n.asInt();
    }

    private static double number(JsonNode root, String key, double dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return dflt;
        require(n.isNumber(), key + " must be a number, got " + n);
        return n.asDouble();
    }

    private static boolean bool(JsonNode root, String key, boolean dflt) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return dflt;
        require(n.isBoolean(), key + " must be true or false, got " + n);
        return n.asBoolean();
    }
}
