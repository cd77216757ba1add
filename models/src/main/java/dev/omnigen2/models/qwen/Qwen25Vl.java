package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.Safetensors;
import dev.omnigen2.safetensors.TensorStore;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Qwen2.5-VL (OmniGen2's {@code mllm/}): vision tower + text decoder, loaded from a folder with
 * {@code config.json} and safetensors (sharded with an index, or one file). Weights stay memory-mapped in
 * their stored dtype. Takes token ids, never text: tokenization and the chat template live elsewhere.
 */
public final class Qwen25Vl implements AutoCloseable {
    private final Qwen25VlConfig config;
    private final TensorStore store;
    private final TextDecoder decoder;
    private final VisionTower vision;

    private Qwen25Vl(Qwen25VlConfig config, TensorStore store) {
        this.config = config;
        this.store = store;
        Weights w = Weights.of(store);
        vision = new VisionTower(w.prefix("visual"), config.vision());
        decoder = new TextDecoder(w, config);
        w.checkAllUsed();
    }

    /** Loads {@code folder/config.json} and the folder's safetensors (sharded with an index, or a single file). */
    public static Qwen25Vl load(Path folder) {
        Path cfg = folder.resolve("config.json");
        if (!Files.isRegularFile(cfg)) throw new IllegalArgumentException(folder + ": no config.json (expected a Qwen2.5-VL mllm/ folder)");
        return load(cfg, folder);
    }

    /** Loads a config.json and the weights of a safetensors file, index or folder. */
    public static Qwen25Vl load(Path configJson, Path weights) {
        Qwen25VlConfig config = Qwen25VlConfig.load(configJson);
        TensorStore store = Safetensors.open(weights);
        try {
            return new Qwen25Vl(config, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** A model over an already opened store (which it then owns). */
    public static Qwen25Vl of(Qwen25VlConfig config, TensorStore store) { return new Qwen25Vl(config, store); }

    public Qwen25VlConfig config() { return config; }

    public TextDecoder decoder() { return decoder; }

    public VisionTower vision() { return vision; }

    /** Hidden states after the final norm [B, L, D] (pad slots included, as upstream) and the rope deltas [B]. */
    public record Encoded(Tensor hidden, int[] ropeDeltas) {}

    /**
     * Encodes a right-padded batch (what OmniGen2 conditions on).
     *
     * @param ids         token ids [B][L]; image-pad tokens are replaced by the image embeddings in order
     * @param mask        1 = real, 0 = padding, [B][L]; null when nothing is padded
     * @param pixelValues flattened patches of every image in the batch, [N, C·T·p·p], or null without images
     * @param grids       (t, h, w) per image, in sequence order over the batch, or null
     */
    public Encoded encode(int[][] ids, int[][] mask, Tensor pixelValues, int[][] grids) {
        return encode(ids, mask, pixelValues, grids, null);
    }

    /**
     * Upstream's {@code hidden_states[-2]} (OmniGen2's {@code use_text_encoder_penultimate_layer_feats}): the raw
     * output of the second-to-last layer (before any norm), or the input embeddings for a one-layer model; [B, L, D].
     */
    public Tensor encodePenultimate(int[][] ids, int[][] mask, Tensor pixelValues, int[][] grids) {
        List<List<Tensor>> layers = new ArrayList<>();
        encode(ids, mask, pixelValues, grids, layers);
        int n = config.numLayers(), len = ids[0].length, d = config.hiddenSize();
        Tensor out = Tensor.zeros(ids.length, len, d);
        Tensor imageEmbeds = n >= 2 || pixelValues == null ? null : vision.forward(pixelValues, grids);
        int imageRow = 0;
        for (int b = 0; b < ids.length; b++) {
            Tensor row = n >= 2 ? layers.get(b).get(n - 2) : inputsEmbeds(ids[b], imageEmbeds, imageRow);
            imageRow += count(ids[b], config.imageTokenId());
            MemorySegment.copy(row.data(), 0, out.data(), (long) b * len * d * Float.BYTES, (long) len * d * Float.BYTES);
        }
        return out;
    }

    Encoded encode(int[][] ids, int[][] mask, Tensor pixelValues, int[][] grids, List<List<Tensor>> layerOutputs) {
        int batch = ids.length, len = ids[0].length, d = config.hiddenSize();
        for (int[] row : ids) if (row.length != len) throw new IllegalArgumentException("input ids rows must have equal length " + len);
        Tensor imageEmbeds = pixelValues == null ? null : vision.forward(pixelValues, grids);
        RopeIndex.Result positions = RopeIndex.compute(config, ids, mask, grids);
        Tensor hidden = Tensor.zeros(batch, len, d);
        int imageRow = 0;
        for (int b = 0; b < batch; b++) {
            Tensor embeds = inputsEmbeds(ids[b], imageEmbeds, imageRow);
            imageRow += count(ids[b], config.imageTokenId());
            boolean[] valid = null;
            if (mask != null) {
                valid = new boolean[len];
                for (int t = 0; t < len; t++) valid[t] = mask[b][t] == 1;
            }
            List<Tensor> layers = layerOutputs == null ? null : new ArrayList<>();
            Tensor h = decoder.forward(embeds, positions.row(b), valid, null, layers);
            if (layerOutputs != null) layerOutputs.add(layers);
            MemorySegment.copy(h.data(), 0, hidden.data(), (long) b * len * d * Float.BYTES, (long) len * d * Float.BYTES);
        }
        if (imageEmbeds != null && imageRow != imageEmbeds.size(0))
            throw new IllegalArgumentException(imageRow + " image-pad tokens in the ids but the images give " + imageEmbeds.size(0) + " embeddings");
        return new Encoded(hidden, positions.deltas());
    }

    /** Token embeddings [L, D] with image-pad rows replaced by consecutive rows of {@code imageEmbeds} from {@code firstImageRow}. */
    Tensor inputsEmbeds(int[] ids, Tensor imageEmbeds, int firstImageRow) {
        Tensor e = decoder.embed(ids);
        int d = config.hiddenSize(), next = firstImageRow;
        long rowBytes = (long) d * Float.BYTES;
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] != config.imageTokenId()) continue;
            if (imageEmbeds == null || next >= imageEmbeds.size(0))
                throw new IllegalArgumentException("image-pad token at index " + t + " has no image embedding (images give "
                        + (imageEmbeds == null ? 0 : imageEmbeds.size(0)) + ")");
            MemorySegment.copy(imageEmbeds.data(), next++ * rowBytes, e.data(), t * rowBytes, rowBytes);
        }
        return e;
    }

    /**
     * Generates tokens after a prompt (understanding mode) with a KV cache sized to prompt + maxNewTokens.
     *
     * @param promptIds   the chat-templated prompt, image-pad tokens included
     * @param pixelValues patches of the prompt's images, or null
     * @param grids       their (t, h, w), or null
     * @param onToken     receives each token as soon as it is chosen (may be null)
     * @return the generated ids (a stop token, when reached, is the last one)
     */
    public int[] generate(int[] promptIds, Tensor pixelValues, int[][] grids, GenerationOptions options, IntConsumer onToken) {
        return generate(promptIds, pixelValues, grids, options, onToken, null);
    }

    int[] generate(int[] promptIds, Tensor pixelValues, int[][] grids, GenerationOptions options, IntConsumer onToken,
                   List<Tensor> stepLogits) {
        if (promptIds.length == 0) throw new IllegalArgumentException("empty prompt");
        Tensor imageEmbeds = pixelValues == null ? null : vision.forward(pixelValues, grids);
        Tensor embeds = inputsEmbeds(promptIds, imageEmbeds, 0);
        if (imageEmbeds != null && count(promptIds, config.imageTokenId()) != imageEmbeds.size(0))
            throw new IllegalArgumentException(count(promptIds, config.imageTokenId()) + " image-pad tokens but the images give "
                    + imageEmbeds.size(0) + " embeddings");
        RopeIndex.Result positions = RopeIndex.compute(config, new int[][] {promptIds}, null, grids);
        int delta = positions.deltas()[0];
        KvCache cache = decoder.newCache(promptIds.length + options.maxNewTokens());
        TokenPicker picker = new TokenPicker(options);
        Tensor hidden = decoder.forward(embeds, positions.row(0), null, cache, null);
        Tensor logits = decoder.logits(hidden.slice0(hidden.size(0) - 1, 1));
        int[] out = new int[options.maxNewTokens()];
        int n = 0;
        while (true) {
            if (stepLogits != null) stepLogits.add(logits);
            int token = picker.pick(logits, 0);
            out[n++] = token;
            if (onToken != null) onToken.accept(token);
            if (options.isStop(token) || n == options.maxNewTokens()) break;
            int p = cache.length() + delta;
            hidden = decoder.forward(decoder.embed(new int[] {token}), new int[][] {{p}, {p}, {p}}, null, cache, null);
            logits = decoder.logits(hidden);
        }
        return Arrays.copyOf(out, n);
    }

    private static int count(int[] ids, int token) {
        int c = 0;
        for (int id : ids) if (id == token) c++;
        return c;
    }

    @Override
    public void close() { store.close(); }
}
