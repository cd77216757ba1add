package dev.omnigen2.models.chat;

import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.GenerationSizes;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.pipeline.OutputImages;
import dev.omnigen2.models.pipeline.PipelineListener;
import dev.omnigen2.models.pipeline.TransformerVelocityModel;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.sampler.DpmSolverMultistepScheduler;
import dev.omnigen2.sampler.Guidance;
import dev.omnigen2.sampler.Rng;
import dev.omnigen2.sampler.Sampler;
import dev.omnigen2.sampler.Scheduler;
import dev.omnigen2.sampler.StepCache;
import dev.omnigen2.sampler.TaylorSeer;
import dev.omnigen2.sampler.TeaCache;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The diffusion half of {@code OmniGen2ChatPipeline.generate_image}, given the text conditioning the chat pipeline
 * computed: reference images through the VAE (posterior mode unless sampling is asked for), the size rule
 * (one image with alignRes: its processed size; otherwise the request capped by maxPixels, floored to 16 and
 * stretched back), the guided sampler loop over the transformer, VAE decode, bilinear resize-back, 8-bit RGB.
 * It is the same sequence as {@link OmniGen2Pipeline#generate} from its second stage on.
 */
final class ChatImageGenerator {
    private final OmniGen2Pipeline components;
    private final Scheduler euler;

    ChatImageGenerator(OmniGen2Pipeline components) {
        this.components = components;
        this.euler = Scheduler.fromConfig(components.checkpoint().component("scheduler").resolve("scheduler_config.json"));
    }

    /** What the loop produced; {@code references} in input order. */
    record Output(RgbImage image, List<OmniGen2Pipeline.EncodedImage> references, int generationHeight, int generationWidth,
                  Tensor initialLatents, Sampler.Result sampling, Tensor decoded, Tensor resized) {}

    /**
     * @param prompt   the positive conditioning [1, L, D] (all rows are tokens)
     * @param negative the negative conditioning, or null when the text guidance scale is ≤ 1
     */
    Output generate(Tensor prompt, Tensor negative, GenerationRequest r, PipelineListener l, BooleanSupplier cancelled,
                    boolean recordSteps) {
        List<OmniGen2Pipeline.EncodedImage> refs = new ArrayList<>();
        if (!r.images().isEmpty()) l.stage("encoding images");
        for (int i = 0; i < r.images().size(); i++)
            refs.add(components.encodeImage(r.images().get(i), r.maxPixels(), r.maxInputImageSideLength(),
                    r.sampleReferenceLatents(), r.seed() + 1 + i));

        int f = components.vaeScaleFactor();
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
        int channels = components.transformer().config().inChannels();
        Tensor init = r.initialLatents() != null ? r.initialLatents()
                : Rng.parse(r.rng()).randn(r.seed(), 1, channels, genH / f, genW / f);
        if (init.size(-3) != channels || init.size(-2) != genH / f || init.size(-1) != genW / f)
            throw new IllegalArgumentException("initial latents " + init + " do not match the generation size " + genW + "x" + genH
                    + " (expected [1, " + channels + ", " + genH / f + ", " + genW / f + "])");

        var promptCond = TransformerVelocityModel.TextConditioning.of(prompt);
        var negativeCond = negative == null ? promptCond : TransformerVelocityModel.TextConditioning.of(negative);
        var model = new TransformerVelocityModel(components.transformer(), promptCond, negativeCond,
                refs.stream().map(OmniGen2Pipeline.EncodedImage::latent).toList(), false);
        Scheduler scheduler = r.scheduler().equals("dpmsolver++") ? new DpmSolverMultistepScheduler() : euler;
        Guidance guidance = Guidance.of(r.textGuidanceScale(), r.imageGuidanceScale(), r.cfgRangeStart(), r.cfgRangeEnd(),
                !refs.isEmpty());
        StepCache cache = r.taylorSeer() ? new TaylorSeer()
                : r.teaCacheThreshold() > 0 ? new TeaCache(r.teaCacheThreshold()) : StepCache.none();
        Sampler sampler = new Sampler(scheduler, guidance, Sampler.Options.defaults().withStepCache(cache)
                .withListener(l::step).withCancellation(cancelled).withRecordSteps(recordSteps));
        l.stage("denoising");
        Sampler.Result sampling = sampler.sample(model, init, r.steps());

        l.stage("decoding");
        Tensor decoded = components.vae().decode(components.vae().unscaleLatent(sampling.latents()));
        Tensor resized = OutputImages.resizeBilinear(decoded, outH, outW);
        return new Output(OutputImages.toRgb(resized), refs, genH, genW, init, sampling, decoded, resized);
    }
}
