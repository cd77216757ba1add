package dev.omnigen2.models.pipeline;

import dev.omnigen2.models.transformer.JointSequence;
import dev.omnigen2.models.transformer.OmniGen2Transformer;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.sampler.LayerCache;
import dev.omnigen2.sampler.Pass;
import dev.omnigen2.sampler.VelocityModel;

import java.util.ArrayList;
import java.util.List;

/**
 * The OmniGen2 transformer seen by the sampler: each guidance {@link Pass} maps to its conditioning as
 * {@code OmniGen2Pipeline.predict} does — COND = prompt with the reference images, REF = negative prompt with
 * the reference images, UNCOND = negative prompt without them. The main layer stack runs through the step
 * cache's {@link LayerCache} hook.
 */
public final class TransformerVelocityModel implements VelocityModel {
    /** One text conditioning: MLLM hidden states [1, L, F] of which the first {@code length} rows are tokens. */
    public record TextConditioning(Tensor hiddenStates, int length) {
        public static TextConditioning of(Tensor hiddenStates) {
            Tensor h = hiddenStates.rank() == 2 ? hiddenStates.reshape(1, hiddenStates.size(0), hiddenStates.size(1)) : hiddenStates;
            return new TextConditioning(h, h.size(1));
        }
    }

    private final OmniGen2Transformer transformer;
    private final TextConditioning prompt;
    private final TextConditioning negative;
    private final List<Tensor> referenceLatents;
    private final boolean batchPasses;

    /**
     * @param referenceLatents per reference image [C, h, w] after the VAE latent transform (empty for none)
     * @param batchPasses      evaluate the passes of one step in one batched forward when no step cache is active
     */
    public TransformerVelocityModel(OmniGen2Transformer transformer, TextConditioning prompt, TextConditioning negative,
                                    List<Tensor> referenceLatents, boolean batchPasses) {
        this.transformer = transformer;
        this.prompt = prompt;
        this.negative = negative;
        this.referenceLatents = List.copyOf(referenceLatents);
        this.batchPasses = batchPasses;
    }

    @Override
    public Tensor velocity(Tensor latents, float t, Pass pass, LayerCache cache) {
        OmniGen2Transformer.Input in = input(latents, t, List.of(pass));
        if (cache == null || cache == LayerCache.NONE) return transformer.forward(in);
        synchronized (transformer) {
            JointSequence s = transformer.prepare(in, null);
            // The hook may keep the stack's input (TeaCache subtracts it from the output): hand it a snapshot and
            // let the layers work in place on the sequence itself.
            Tensor entering = s.hidden().copy();
            Tensor out = cache.run(entering, () -> transformer.firstLayerModulatedInput(s), h -> {
                if (h != s.hidden()) s.hidden().copyFrom(h);
                transformer.runLayers(s);
                return s.hidden();
            });
            if (out != s.hidden()) s.hidden().copyFrom(out);
            return transformer.finish(s);
        }
    }

    @Override
    public List<Tensor> velocities(Tensor latents, float t, List<Pass> passes, List<LayerCache> caches) {
        boolean anyCache = caches.stream().anyMatch(c -> c != null && c != LayerCache.NONE);
        if (!batchPasses || passes.size() < 2 || anyCache) return VelocityModel.super.velocities(latents, t, passes, caches);
        Tensor v = transformer.forward(input(latents, t, passes));
        List<Tensor> out = new ArrayList<>(passes.size());
        for (int i = 0; i < passes.size(); i++) out.add(v.slice0(i, 1).copy());
        return out;
    }

    private OmniGen2Transformer.Input input(Tensor latents, float t, List<Pass> passes) {
        Tensor x = latents.rank() == 3 ? latents.reshape(1, latents.size(0), latents.size(1), latents.size(2)) : latents;
        if (x.size(0) != 1) throw new IllegalArgumentException("expected latents of one image, got " + latents);
        int b = passes.size();
        int maxLen = 0, features = prompt.hiddenStates().size(2);
        for (Pass p : passes) maxLen = Math.max(maxLen, text(p).hiddenStates().size(1));
        Tensor lat = b == 1 ? x : Tensor.zeros(b, x.size(1), x.size(2), x.size(3));
        Tensor text = b == 1 ? text(passes.get(0)).hiddenStates() : Tensor.zeros(b, maxLen, features);
        float[] ts = new float[b];
        int[] lengths = new int[b];
        List<List<Tensor>> refs = new ArrayList<>(b);
        boolean anyRefs = false;
        for (int i = 0; i < b; i++) {
            Pass p = passes.get(i);
            TextConditioning c = text(p);
            ts[i] = t;
            lengths[i] = c.length();
            if (b > 1) {
                lat.select0(i).copyFrom(x.select0(0));
                Tensor src = c.hiddenStates().select0(0);
                text.select0(i).slice0(0, src.size(0)).copyFrom(src);
            }
            boolean withRefs = p != Pass.UNCOND && !referenceLatents.isEmpty();
            refs.add(withRefs ? referenceLatents : null);
            anyRefs |= withRefs;
        }
        return new OmniGen2Transformer.Input(lat, ts, text, lengths, anyRefs ? refs : null);
    }

    private TextConditioning text(Pass p) { return p == Pass.COND ? prompt : negative; }
}
