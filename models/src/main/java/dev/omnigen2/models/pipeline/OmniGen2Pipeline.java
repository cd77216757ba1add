package dev.omnigen2.models.pipeline;

import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.image.VaeImageProcessor;
import dev.omnigen2.models.qwen.Qwen25Vl;
import dev.omnigen2.models.transformer.OmniGen2Transformer;
import dev.omnigen2.models.vae.FluxVae;
import dev.omnigen2.models.vae.Posterior;
import dev.omnigen2.models.vae.Tiling;
import dev.omnigen2.models.vae.VaeImages;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.sampler.DpmSolverMultistepScheduler;
import dev.omnigen2.sampler.Guidance;
import dev.omnigen2.sampler.Rng;
import dev.omnigen2.sampler.Sampler;
import dev.omnigen2.sampler.Scheduler;
import dev.omnigen2.sampler.StepCache;
import dev.omnigen2.sampler.TaylorSeer;
import dev.omnigen2.sampler.TeaCache;
import dev.omnigen2.tokenizer.ChatTemplate;
import dev.omnigen2.tokenizer.QwenTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * OmniGen2's text-to-image, editing and in-context generation ({@code OmniGen2Pipeline.__call__}):
 * <ol>
 *   <li>prompt and negative prompt through the chat template, the tokenizer and Qwen2.5-VL (last hidden states);</li>
 *   <li>reference images resized (Lanczos), VAE-encoded (posterior mode, or a sample on request) and scaled;</li>
 *   <li>the generation size (the one image's size with {@code alignRes}; otherwise the request capped by
 *       maxPixels and floored to multiples of 16);</li>
 *   <li>the sampler loop with text/image guidance over the transformer;</li>
 *   <li>VAE decode, bilinear stretch back to the requested size, 8-bit RGB.</li>
 * </ol>
 * Components are loaded once; one pipeline runs one generation at a time.
 */
public final class OmniGen2Pipeline implements AutoCloseable {
    private final CheckpointFolder checkpoint;
    private final QwenTokenizer tokenizer;
    private final Qwen25Vl mllm;
    private final OmniGen2Transformer transformer;
    private final FluxVae vae;
    private final Scheduler euler;
    private final Tiling vaeTiling;

    private OmniGen2Pipeline(CheckpointFolder checkpoint, QwenTokenizer tokenizer, Qwen25Vl mllm,
                             OmniGen2Transformer transformer, FluxVae vae, Scheduler euler, Tiling vaeTiling) {
        this.checkpoint = checkpoint;
        this.tokenizer = tokenizer;
        this.mllm = mllm;
        this.transformer = transformer;
        this.vae = vae;
        this.euler = euler;
        this.vaeTiling = vaeTiling;
    }

    /** Loads every component of a checkpoint folder (weights stay memory-mapped). */
    public static OmniGen2Pipeline load(CheckpointFolder c, PipelineListener listener) { return load(c, listener, null); }

    /** As {@link #load(CheckpointFolder, PipelineListener)}, decoding and encoding with the VAE in tiles when set. */
    public static OmniGen2Pipeline load(CheckpointFolder c, PipelineListener listener, Tiling vaeTiling) {
        PipelineListener l = listener == null ? PipelineListener.NONE : listener;
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            l.stage("loading tokenizer");
            QwenTokenizer tok = QwenTokenizer.load(c.component("processor"));
            l.stage("loading mllm");
            Qwen25Vl mllm = Qwen25Vl.load(c.component("mllm"));
            opened.add(mllm);
            l.stage("loading transformer");
            OmniGen2Transformer dit = OmniGen2Transformer.load(c.component("transformer"));
            opened.add(dit);
            l.stage("loading vae");
            FluxVae vae = FluxVae.load(c.component("vae"));
            opened.add(vae);
            Scheduler euler = Scheduler.fromConfig(c.component("scheduler").resolve("scheduler_config.json"));
            if (dit.config().textFeatDim() != mllm.config().hiddenSize())
                throw new CheckpointFolder.CheckpointException(c.root() + ": transformer text_feat_dim "
                        + dit.config().textFeatDim() + " does not match the mllm hidden size " + mllm.config().hiddenSize());
            return new OmniGen2Pipeline(c, tok, mllm, dit, vae, euler, vaeTiling);
        } catch (RuntimeException e) {
            for (AutoCloseable a : opened) {
                try { a.close(); } catch (Exception ignored) { /* already failing */ }
            }
            // config.json values a model rejects, unreadable files: a bad checkpoint, not a bug
            if (e instanceof IllegalArgumentException || e instanceof java.io.UncheckedIOException)
                throw new CheckpointFolder.CheckpointException(e.getMessage());
            throw e;
        }
    }

    public QwenTokenizer tokenizer() { return tokenizer; }
    public Qwen25Vl mllm() { return mllm; }
    public OmniGen2Transformer transformer() { return transformer; }
    public FluxVae vae() { return vae; }
    public CheckpointFolder checkpoint() { return checkpoint; }

    /** The VAE's spatial factor (8 for the Flux VAE). */
    public int vaeScaleFactor() { return vae.config().downsampleFactor(); }

    /** A chat-templated prompt's token ids, mask length and MLLM hidden states [1, L, D]. */
    public record EncodedPrompt(String rendered, int[] ids, Tensor hiddenStates, String truncationWarning) {}

    /** A processed reference image: its resized pixels and its scaled latent [C, h, w]. */
    public record EncodedImage(RgbImage resized, Tensor pixelValues, Tensor posteriorMean, Tensor latent) {}

    /** What a generation produced, with the intermediates research users ask for. */
    public record Result(RgbImage image, EncodedPrompt prompt, EncodedPrompt negative, List<EncodedImage> references,
                         int generationHeight, int generationWidth, Tensor initialLatents, Sampler.Result sampling,
                         Tensor decoded, Tensor resized) {}

    /** Chat template, tokenizer (right padding, truncation at maxLength), MLLM last hidden states. */
    public EncodedPrompt encodePrompt(String prompt, int maxSequenceLength) {
        String rendered = ChatTemplate.omnigen2Prompt(prompt);
        dev.omnigen2.tokenizer.EncodedBatch batch = tokenizer.encodeBatch(List.of(rendered), maxSequenceLength);
        int[] ids = batch.inputIds()[0];
        Tensor hidden = mllm.encode(new int[][] {ids}, batch.attentionMask(), null, null).hidden();
        return new EncodedPrompt(rendered, ids, hidden, batch.truncationWarning());
    }

    /** Lanczos resize within maxPixels/maxSide (sides multiples of 2 × VAE factor), VAE encode, latent scaling. */
    public EncodedImage encodeImage(RgbImage image, long maxPixels, int maxSide, boolean sample, long seed) {
        VaeImageProcessor processor = new VaeImageProcessor(2 * vaeScaleFactor());
        RgbImage resized = processor.resize(image, maxPixels, maxSide);
        Tensor pixels = VaeImageProcessor.toTensor(resized);
        Posterior posterior = vae.encode(pixels, vaeTiling);
        Tensor z = sample ? posterior.sample(new SplittableRandom(seed)) : posterior.mode();
        return new EncodedImage(resized, pixels, posterior.mode(), vae.scaleLatent(z));
    }

    public Result generate(GenerationRequest r) { return generate(r, PipelineListener.NONE, () -> false, false); }

    /**
     * Runs one generation.
     *
     * @param cancelled   checked before every step; a cancelled run throws {@link java.util.concurrent.CancellationException}
     * @param recordSteps keep every step's predictions and latents in the result (research, tests)
     */
    public Result generate(GenerationRequest r, PipelineListener listener, BooleanSupplier cancelled, boolean recordSteps) {
        PipelineListener l = listener == null ? PipelineListener.NONE : listener;
        boolean textCfg = r.textGuidanceScale() > 1f;

        l.stage("encoding prompt");
        EncodedPrompt prompt = encodePrompt(r.prompt(), r.maxSequenceLength());
        if (prompt.truncationWarning() != null) l.warning(prompt.truncationWarning());
        EncodedPrompt negative = null;
        if (textCfg) {
            negative = encodePrompt(r.negativePrompt(), r.maxSequenceLength());
            if (negative.truncationWarning() != null) l.warning(negative.truncationWarning());
        }

        Denoised d = generateFromEmbeddings(prompt.hiddenStates(), negative == null ? null : negative.hiddenStates(), r, l,
                cancelled, recordSteps);
        return new Result(d.image(), prompt, negative, d.references(), d.generationHeight(), d.generationWidth(),
                d.initialLatents(), d.sampling(), d.decoded(), d.resized());
    }

    /** The diffusion half of a generation, given its text conditioning. */
    public record Denoised(RgbImage image, List<EncodedImage> references, int generationHeight, int generationWidth,
                           Tensor initialLatents, Sampler.Result sampling, Tensor decoded, Tensor resized) {}

    /**
     * Everything after the prompt encoding: reference images through the VAE, the size rule, the guided sampler
     * loop, VAE decode, the stretch back to the requested size and 8-bit RGB. Chat mode enters here with its own
     * (text-token) hidden states.
     *
     * @param prompt   the positive conditioning [1, L, D], every row a token
     * @param negative the negative conditioning, or null when the text guidance scale is ≤ 1
     */
    public Denoised generateFromEmbeddings(Tensor prompt, Tensor negative, GenerationRequest r, PipelineListener listener,
                                           BooleanSupplier cancelled, boolean recordSteps) {
        PipelineListener l = listener == null ? PipelineListener.NONE : listener;
        List<EncodedImage> refs = new ArrayList<>();
        if (!r.images().isEmpty()) l.stage("encoding images");
        for (int i = 0; i < r.images().size(); i++)
            refs.add(encodeImage(r.images().get(i), r.maxPixels(), r.maxInputImageSideLength(), r.sampleReferenceLatents(),
                    r.seed() + 1 + i));

        int f = vaeScaleFactor();
        int genH, genW, outH, outW;
        if (refs.size() == 1 && r.alignRes()) {
            genH = outH = refs.get(0).latent().size(1) * f;
            genW = outW = refs.get(0).latent().size(2) * f;
        } else {
            GenerationSizes.Size g = GenerationSizes.generation(r.height(), r.width(), r.maxPixels());
            genH = g.height();
            genW = g.width();
            outH = r.height();
            outW = r.width();
        }
        int channels = transformer.config().inChannels();
        Tensor init = r.initialLatents() != null ? r.initialLatents()
                : Rng.parse(r.rng()).randn(r.seed(), 1, channels, genH / f, genW / f);
        if (init.size(-2) != genH / f || init.size(-1) != genW / f || init.size(-3) != channels)
            throw new IllegalArgumentException("initial latents " + init + " do not match the generation size " + genW + "x" + genH
                    + " (expected [1, " + channels + ", " + genH / f + ", " + genW / f + "])");

        List<Tensor> refLatents = refs.stream().map(EncodedImage::latent).toList();
        var promptCond = TransformerVelocityModel.TextConditioning.of(prompt);
        var negativeCond = negative == null ? promptCond : TransformerVelocityModel.TextConditioning.of(negative);
        var model = new TransformerVelocityModel(transformer, promptCond, negativeCond, refLatents, false);

        Scheduler scheduler = r.scheduler().equals("dpmsolver++") ? new DpmSolverMultistepScheduler() : euler;
        Guidance guidance = Guidance.of(r.textGuidanceScale(), r.imageGuidanceScale(), r.cfgRangeStart(), r.cfgRangeEnd(), !refs.isEmpty());
        StepCache cache = r.taylorSeer() ? new TaylorSeer() : r.teaCacheThreshold() > 0 ? new TeaCache(r.teaCacheThreshold()) : StepCache.none();
        Sampler sampler = new Sampler(scheduler, guidance, Sampler.Options.defaults()
                .withStepCache(cache).withListener(l::step).withCancellation(cancelled).withRecordSteps(recordSteps));
        l.stage("denoising");
        Sampler.Result sampling = sampler.sample(model, init, r.steps());

        l.stage("decoding");
        Tensor decoded = vae.decode(vae.unscaleLatent(sampling.latents()), vaeTiling);
        Tensor resized = VaeImages.resizeBilinear(decoded, outH, outW);
        RgbImage image = VaeImages.toRgb(resized);
        return new Denoised(image, refs, genH, genW, init, sampling, decoded, resized);
    }

    @Override
    public void close() {
        mllm.close();
        transformer.close();
        vae.close();
    }
}
