package dev.omnigen2.models.transformer;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Elementwise;
import dev.omnigen2.runtime.Patchify;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.Safetensors;
import dev.omnigen2.safetensors.TensorStore;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The OmniGen2 diffusion transformer (OmniGen2Transformer2DModel): predicts the flow velocity of a noisy latent
 * conditioned on MLLM text features and optional reference-image latents.
 *
 * <p>Per sample: timestep embedding; text features → caption embedder → context refiner (unmodulated); noise
 * latent → patches → x_embedder → noise refiner; each reference latent → patches → ref_image_patch_embedder
 * + image_index_embedding[j] → reference refiner, one image at a time; the joint sequence [text | refs | noise]
 * → main layers → norm_out → the noise tokens unpatchified. Samples are packed back to back (no padding is
 * computed); attention never crosses a sample (or, in the reference refiner, an image).
 *
 * <p>Step caches hook in between {@link #prepare}, {@link #runLayers} and {@link #finish}
 * ({@code forward = finish(runLayers(prepare(input)))}); {@link #firstLayerModulatedInput} is TeaCache's signal.
 * Weights stay memory-mapped in their stored dtype; activations live in one reused workspace, so calls on one
 * instance are serialised.
 */
public final class OmniGen2Transformer implements AutoCloseable {
    /** Rows of image_index_embedding: upstream supports at most this many reference images per sample. */
    public static final int MAX_REFERENCE_IMAGES = 5;

    private final OmniGen2TransformerConfig config;
    private final TensorStore store;
    private final TimestepEmbedding timestepEmbedding;
    private final CaptionEmbedder captionEmbedder;
    private final Dense xEmbedder;
    private final Dense refImagePatchEmbedder;
    private final Tensor imageIndexEmbedding;
    private final List<TransformerBlock> contextRefiner = new ArrayList<>();
    private final List<TransformerBlock> noiseRefiner = new ArrayList<>();
    private final List<TransformerBlock> refImageRefiner = new ArrayList<>();
    private final List<TransformerBlock> layers = new ArrayList<>();
    private final OutputNorm normOut;
    private final OmniRope rope;
    private final Workspace workspace = new Workspace();

    /**
     * One forward's inputs.
     *
     * @param latents          noisy latents [B, C, H, W] (H, W multiples of patch_size)
     * @param timesteps        per sample, the pipeline's t in [0, 1] (0 = pure noise)
     * @param textHiddenStates MLLM features [B, L, text_feat_dim]; rows past a sample's length are ignored
     * @param textLengths      valid text tokens per sample (the sum of its attention-mask row)
     * @param referenceLatents per sample, a list (possibly empty or null) of reference latents [C, h, w]; null for none
     */
    public record Input(Tensor latents, float[] timesteps, Tensor textHiddenStates, int[] textLengths,
                        List<List<Tensor>> referenceLatents) {
        public int batch() { return latents.size(0); }

        List<Tensor> references(int sample) {
            if (referenceLatents == null) return List.of();
            List<Tensor> r = referenceLatents.get(sample);
            return r == null ? List.of() : r;
        }

        /** Lengths from an attention mask [B, L] (1 = token, valid tokens first). */
        public static int[] lengthsFromMask(Tensor mask) {
            int b = mask.size(0), l = mask.size(1);
            int[] len = new int[b];
            for (int i = 0; i < b; i++) {
                int n = 0;
                for (int j = 0; j < l; j++) {
                    boolean on = mask.getLong((long) i * l + j) != 0;
                    if (on && n != j)
                        throw new IllegalArgumentException("text attention mask row " + i + " has a token after padding at "
                                + j + "; valid tokens must come first");
                    if (on) n++;
                }
                len[i] = n;
            }
            return len;
        }
    }

    private OmniGen2Transformer(OmniGen2TransformerConfig c, Weights w, TensorStore store) {
        this.config = c;
        this.store = store;
        int d = c.hiddenSize();
        this.timestepEmbedding = TimestepEmbedding.bind(w.prefix("time_caption_embed").prefix("timestep_embedder"), c);
        this.captionEmbedder = CaptionEmbedder.bind(w.prefix("time_caption_embed").prefix("caption_embedder"), c);
        this.xEmbedder = Dense.bind(w, "x_embedder", d, c.patchFeatures(), true);
        this.refImagePatchEmbedder = Dense.bind(w, "ref_image_patch_embedder", d, c.patchFeatures(), true);
        this.imageIndexEmbedding = w.get("image_index_embedding", MAX_REFERENCE_IMAGES, d);
        for (int i = 0; i < c.numRefinerLayers(); i++) {
            contextRefiner.add(TransformerBlock.bind(w.prefix("context_refiner").prefix(i), c, false));
            noiseRefiner.add(TransformerBlock.bind(w.prefix("noise_refiner").prefix(i), c, true));
            refImageRefiner.add(TransformerBlock.bind(w.prefix("ref_image_refiner").prefix(i), c, true));
        }
        for (int i = 0; i < c.numLayers(); i++) layers.add(TransformerBlock.bind(w.prefix("layers").prefix(i), c, true));
        this.normOut = OutputNorm.bind(w.prefix("norm_out"), c);
        this.rope = new OmniRope(c.axesDimRope(), c.axesLens());
    }

    /**
     * Loads a {@code transformer/} folder: config.json plus diffusion_pytorch_model.safetensors (single file) or
     * its sharded form with diffusion_pytorch_model.safetensors.index.json. A tensor that is missing, unused or
     * shaped differently from what config.json implies is an error naming it.
     */
    public static OmniGen2Transformer load(Path transformerDir) {
        OmniGen2TransformerConfig config = OmniGen2TransformerConfig.load(transformerDir.resolve("config.json"));
        TensorStore store = openWeights(transformerDir);
        try {
            return of(config, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** A model over an already opened store (which it then owns); every tensor must be used. */
    public static OmniGen2Transformer of(OmniGen2TransformerConfig config, TensorStore store) {
        Weights w = Weights.of(store);
        OmniGen2Transformer model = new OmniGen2Transformer(config, w, store);
        w.checkAllUsed();
        return model;
    }

    private static TensorStore openWeights(Path dir) {
        Path index = dir.resolve("diffusion_pytorch_model.safetensors.index.json");
        if (Files.exists(index)) return Safetensors.open(index);
        Path single = dir.resolve("diffusion_pytorch_model.safetensors");
        if (Files.exists(single)) return Safetensors.open(single);
        return Safetensors.open(dir);
    }

    public OmniGen2TransformerConfig config() { return config; }

    @Override
    public void close() { store.close(); }

    // package-private access to the blocks, for block-by-block tests
    TimestepEmbedding timestepEmbedding() { return timestepEmbedding; }
    CaptionEmbedder captionEmbedder() { return captionEmbedder; }
    Dense xEmbedder() { return xEmbedder; }
    Dense refImagePatchEmbedder() { return refImagePatchEmbedder; }
    List<TransformerBlock> contextRefiner() { return contextRefiner; }
    List<TransformerBlock> noiseRefiner() { return noiseRefiner; }
    List<TransformerBlock> refImageRefiner() { return refImageRefiner; }
    List<TransformerBlock> layers() { return layers; }
    OutputNorm normOut() { return normOut; }
    Workspace workspace() { return workspace; }

    /** The flow velocity [B, C_out, H, W]. */
    public Tensor forward(Input input) { return forward(input, null); }

    /** As {@link #forward(Input)}, reporting intermediates to {@code trace} (may be null). */
    public synchronized Tensor forward(Input input, Trace trace) {
        JointSequence s = prepare(input, trace);
        runLayers(s);
        return finish(s);
    }

    /** Everything before the main layers: embeddings, refiners, the joint sequence. */
    public synchronized JointSequence prepare(Input in, Trace trace) {
        Tracer tracer = trace == null ? Tracer.OFF : new Tracer(trace);
        Geometry g = Geometry.of(in, config);
        int b = g.batch, p = config.patchSize(), d = config.hiddenSize();

        Tensor tProj = timestepEmbedding.project(in.timesteps());
        tracer.plain("t_proj", tProj);
        Tensor temb = timestepEmbedding.forward(tProj);
        tracer.plain("temb", temb);
        Tensor siluTemb = Ops.silu(temb);

        // text tokens, packed without their padding
        Packing textPacking = Packing.perSample(g.textLengths).withPaddedLen(in.textHiddenStates().size(1));
        Tensor text = captionEmbedder.forward(packText(in.textHiddenStates(), g.textLengths));
        tracer.tokens("text_embed", text, textPacking);

        // Omni-RoPE positions: text k → (k,k,k); ref j → (s_j,row,col), s_0 = L, s_j+1 = s_j + max(h_j,w_j); noise last
        IntList textPos = new IntList(), refPos = new IntList(), noisePos = new IntList(), jointPos = new IntList();
        for (int i = 0; i < b; i++) {
            int[] tp = OmniRope.textPositions(g.textLengths[i]);
            int seq = g.textLengths[i];
            textPos.add(tp);
            jointPos.add(tp);
            for (int[] grid : g.refGrids.get(i)) {
                int[] rp = OmniRope.imagePositions(seq, grid[0], grid[1]);
                refPos.add(rp);
                jointPos.add(rp);
                seq += Math.max(grid[0], grid[1]);
            }
            int[] np = OmniRope.imagePositions(seq, g.gridH, g.gridW);
            noisePos.add(np);
            jointPos.add(np);
        }
        OmniRope.Tables textRope = rope.tables(textPos.toArray());
        OmniRope.Tables refRope = rope.tables(refPos.toArray());
        OmniRope.Tables noiseRope = rope.tables(noisePos.toArray());
        OmniRope.Tables jointRope = rope.tables(jointPos.toArray());

        // noise image tokens
        int[] imageTokens = new int[b];
        Arrays.fill(imageTokens, g.gridH * g.gridW);
        Packing noisePacking = Packing.perSample(imageTokens);
        Tensor patches = Tensor.zeros(noisePacking.total(), config.patchFeatures());
        for (int i = 0; i < b; i++) Patchify.patchify(in.latents().select0(i), p, patches, noisePacking.offset(i));
        tracer.tokens("x_patches", patches, noisePacking);
        Tensor noise = xEmbedder.forward(patches);
        tracer.tokens("x_embed", noise, noisePacking);

        // reference image tokens: one packing per sample (joint layout) and one per image (refiner batch)
        Packing refPerSample = Packing.perSample(g.refTokensPerSample());
        Packing refPerImage = g.refImagePacking();
        Tensor ref = null;
        if (g.anyReference) {
            Tensor refPatches = Tensor.zeros(refPerSample.total(), config.patchFeatures());
            int row = 0;
            for (int i = 0; i < b; i++)
                for (Tensor r : in.references(i)) {
                    Patchify.patchify(r, p, refPatches, row);
                    row += (r.size(1) / p) * (r.size(2) / p);
                }
            tracer.tokens("ref_patches", refPatches, refPerSample);
            ref = refImagePatchEmbedder.forward(refPatches);
            tracer.tokens("ref_embed", ref, refPerSample);
            addImageIndexEmbedding(ref, g);
            tracer.tokens("ref_refiner_in", ref, refPerImage);
        }

        Packing jointPacking = Packing.perSample(g.seqLengths());
        if (tracer.on()) {
            Tensor ids = Tensor.allocate(DType.I64, jointPacking.total(), 3);
            int[] jp = jointPos.toArray();
            for (int i = 0; i < jp.length; i++) ids.data().setAtIndex(Tensor.I64, i, jp[i]);
            tracer.tokens("position_ids", ids, jointPacking);
            tracer.tokens("rope_cos", jointRope.cos(), jointPacking, 1f);
            tracer.tokens("rope_sin", jointRope.sin(), jointPacking);
            tracer.tokens("context_rope_cos", textRope.cos(), textPacking);
            tracer.tokens("context_rope_sin", textRope.sin(), textPacking);
            tracer.tokens("noise_rope_cos", noiseRope.cos(), noisePacking);
            tracer.tokens("noise_rope_sin", noiseRope.sin(), noisePacking);
            tracer.plain("img_mask", noisePacking.maskTensor());
            tracer.plain("joint_mask", jointPacking.maskTensor());
            if (g.anyReference) {
                tracer.tokens("ref_rope_cos", refRope.cos(), refPerSample);
                tracer.tokens("ref_rope_sin", refRope.sin(), refPerSample);
                tracer.tokens("ref_batch_rope_cos", refRope.cos(), refPerImage);
                tracer.tokens("ref_batch_rope_sin", refRope.sin(), refPerImage);
                tracer.plain("ref_seq_mask", refPerSample.maskTensor());
                tracer.plain("ref_batch_mask", refPerImage.maskTensor());
            }
        }

        for (int k = 0; k < contextRefiner.size(); k++) {
            contextRefiner.get(k).forward(text, textPacking, textRope, null, workspace, tracer, null);
            tracer.tokens("context_refiner_out" + k, text, textPacking);
        }
        for (int k = 0; k < noiseRefiner.size(); k++) {
            TransformerBlock block = noiseRefiner.get(k);
            block.forward(noise, noisePacking, noiseRope, block.modulation(siluTemb), workspace, tracer, null);
            tracer.tokens("noise_refiner_out" + k, noise, noisePacking);
        }
        if (g.anyReference) {
            for (int k = 0; k < refImageRefiner.size(); k++) {
                TransformerBlock block = refImageRefiner.get(k);
                block.forward(ref, refPerImage, refRope, block.modulation(siluTemb), workspace, tracer, null);
                tracer.tokens("ref_refiner_out" + k, ref, refPerImage);
            }
        }

        Tensor joint = Tensor.zeros(jointPacking.total(), d);
        long rowBytes = (long) d * Float.BYTES;
        for (int i = 0; i < b; i++) {
            long at = jointPacking.offset(i);
            at = copyRows(text, textPacking.offset(i), textPacking.length(i), joint, at, rowBytes);
            if (g.anyReference) at = copyRows(ref, refPerSample.offset(i), refPerSample.length(i), joint, at, rowBytes);
            copyRows(noise, noisePacking.offset(i), noisePacking.length(i), joint, at, rowBytes);
        }
        tracer.tokens("joint_in", joint, jointPacking);
        return new JointSequence(joint, jointPacking, jointRope, siluTemb, imageTokens, g.height, g.width, tracer);
    }

    /** The main layers, in place on {@code s.hidden()}. */
    public synchronized void runLayers(JointSequence s) { runLayers(s, layers.size()); }

    /**
     * Only the first {@code count} main layers, in place (not a forward of the model: benchmarks time a few of the
     * identical layers and scale to {@link OmniGen2TransformerConfig#numLayers()}).
     */
    public synchronized void runLayers(JointSequence s, int count) {
        if (count < 0 || count > layers.size())
            throw new IllegalArgumentException("layer count " + count + " outside [0, " + layers.size() + "]");
        for (int l = 0; l < count; l++) {
            TransformerBlock block = layers.get(l);
            block.forward(s.hidden(), s.packing, s.rope, block.modulation(s.siluTemb), workspace, s.tracer, "layer" + l + "_");
            s.tracer.tokens("hidden_after_layer" + l, s.hidden(), s.packing);
        }
    }

    /** TeaCache's change signal: layers[0]'s modulated input RMSNorm(x)·(1 + scale_msa), packed [T, hidden]. */
    public synchronized Tensor firstLayerModulatedInput(JointSequence s) {
        TransformerBlock first = layers.get(0);
        Tensor out = Tensor.zeros(s.hidden().shape());
        first.normedInput(s.hidden(), s.packing, first.modulation(s.siluTemb), out);
        return out;
    }

    /** norm_out and unpatchify of each sample's noise tokens: the velocity [B, C_out, H, W]. */
    public synchronized Tensor finish(JointSequence s) {
        Tensor tokens = normOut.forward(s.hidden(), s.packing, s.siluTemb, workspace);
        s.tracer.tokens("norm_out", tokens, s.packing);
        int b = s.batch();
        Tensor out = Tensor.zeros(b, config.outChannelsResolved(), s.height, s.width);
        for (int i = 0; i < b; i++)
            Patchify.unpatchify(tokens, s.offset(i) + s.seqLength(i) - s.imageTokens[i], config.patchSize(), out.select0(i));
        s.tracer.plain("output", out);
        return out;
    }

    private void addImageIndexEmbedding(Tensor ref, Geometry g) {
        int d = config.hiddenSize();
        int row = 0;
        for (int i = 0; i < g.batch; i++) {
            List<int[]> grids = g.refGrids.get(i);
            for (int j = 0; j < grids.size(); j++) {
                int n = grids.get(j)[0] * grids.get(j)[1];
                Tensor rows = ref.slice0(row, n);
                Elementwise.add(rows, imageIndexEmbedding.slice0(j, 1).toF32().reshape(1, d), rows);
                row += n;
            }
        }
    }

    private static long copyRows(Tensor src, int from, int rows, Tensor dst, long at, long rowBytes) {
        MemorySegment.copy(src.data(), from * rowBytes, dst.data(), at * rowBytes, rows * rowBytes);
        return at + rows;
    }

    private static Tensor packText(Tensor text, int[] lengths) {
        Tensor src = text.toF32();
        int l = src.size(1), f = src.size(2);
        int total = Arrays.stream(lengths).sum();
        Tensor out = Tensor.zeros(total, f);
        long rowBytes = (long) f * Float.BYTES;
        int row = 0;
        for (int i = 0; i < lengths.length; i++) row = (int) copyRows(src.select0(i), 0, lengths[i], out, row, rowBytes);
        return out;
    }

    /** Token grids of one call, validated against the config. */
    private static final class Geometry {
        int batch, height, width, gridH, gridW;
        int[] textLengths;
        final List<List<int[]>> refGrids = new ArrayList<>();
        boolean anyReference;

        static Geometry of(Input in, OmniGen2TransformerConfig c) {
            Geometry g = new Geometry();
            Tensor lat = in.latents();
            if (lat.rank() != 4 || lat.size(1) != c.inChannels())
                throw new IllegalArgumentException("latents must be [B, " + c.inChannels() + ", H, W], got " + lat);
            int p = c.patchSize();
            g.batch = lat.size(0);
            g.height = lat.size(2);
            g.width = lat.size(3);
            if (g.height % p != 0 || g.width % p != 0)
                throw new IllegalArgumentException("latent size " + g.height + "x" + g.width + " is not a multiple of patch_size " + p);
            g.gridH = g.height / p;
            g.gridW = g.width / p;
            if (in.timesteps() == null || in.timesteps().length != g.batch)
                throw new IllegalArgumentException("need one timestep per sample (" + g.batch + "), got "
                        + (in.timesteps() == null ? "null" : in.timesteps().length));
            Tensor text = in.textHiddenStates();
            if (text.rank() != 3 || text.size(0) != g.batch || text.size(2) != c.textFeatDim())
                throw new IllegalArgumentException("text hidden states must be [" + g.batch + ", L, " + c.textFeatDim() + "], got " + text);
            g.textLengths = in.textLengths().clone();
            if (g.textLengths.length != g.batch) throw new IllegalArgumentException("need one text length per sample");
            for (int len : g.textLengths)
                if (len < 0 || len > text.size(1)) throw new IllegalArgumentException("text length " + len + " outside [0, " + text.size(1) + "]");
            if (in.referenceLatents() != null && in.referenceLatents().size() != g.batch)
                throw new IllegalArgumentException("reference latents: need one list per sample (" + g.batch + "), got "
                        + in.referenceLatents().size());
            for (int i = 0; i < g.batch; i++) {
                List<int[]> grids = new ArrayList<>();
                List<Tensor> refs = in.references(i);
                if (refs.size() > MAX_REFERENCE_IMAGES)
                    throw new IllegalArgumentException("sample " + i + " has " + refs.size() + " reference images; at most "
                            + MAX_REFERENCE_IMAGES + " are supported");
                for (int j = 0; j < refs.size(); j++) {
                    Tensor r = refs.get(j);
                    if (r.rank() != 3 || r.size(0) != c.inChannels() || r.size(1) % p != 0 || r.size(2) % p != 0)
                        throw new IllegalArgumentException("reference latent " + j + " of sample " + i + " must be ["
                                + c.inChannels() + ", h, w] with h, w multiples of " + p + ", got " + r);
                    grids.add(new int[]{r.size(1) / p, r.size(2) / p});
                    g.anyReference = true;
                }
                g.refGrids.add(grids);
            }
            return g;
        }

        int[] refTokensPerSample() {
            int[] n = new int[batch];
            for (int i = 0; i < batch; i++) for (int[] grid : refGrids.get(i)) n[i] += grid[0] * grid[1];
            return n;
        }

        /** One segment per reference image in sample order; a sample without any contributes one empty segment. */
        Packing refImagePacking() {
            IntList lengths = new IntList(), samples = new IntList();
            for (int i = 0; i < batch; i++) {
                List<int[]> grids = refGrids.get(i);
                if (grids.isEmpty()) {
                    lengths.add(0);
                    samples.add(i);
                }
                for (int[] grid : grids) {
                    lengths.add(grid[0] * grid[1]);
                    samples.add(i);
                }
            }
            return Packing.of(lengths.toArray(), samples.toArray());
        }

        int[] seqLengths() {
            int[] ref = refTokensPerSample();
            int[] s = new int[batch];
            for (int i = 0; i < batch; i++) s[i] = textLengths[i] + ref[i] + gridH * gridW;
            return s;
        }
    }

    /** A growable int array. */
    private static final class IntList {
        private int[] a = new int[64];
        private int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, 2 * n);
            a[n++] = v;
        }

        void add(int[] vs) { for (int v : vs) add(v); }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }
}
