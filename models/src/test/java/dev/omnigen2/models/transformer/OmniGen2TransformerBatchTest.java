package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Batching as the sampler uses it: one call with mixed prompts and references equals one call per sample. */
class OmniGen2TransformerBatchTest {
    private static OmniGen2Transformer model;
    private static OmniGen2TransformerConfig c;

    @BeforeAll
    static void load() {
        model = OmniGen2Transformer.load(Golden.dir("omnigen2-transformer"));
        c = model.config();
    }

    @AfterAll
    static void close() { model.close(); }

    private static Tensor random(Random r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) r.nextGaussian());
        return t;
    }

    @Test
    void batchedCallEqualsSeparateCalls() {
        Random r = new Random(11);
        int b = 3, h = 8, w = 10, lMax = 7;
        Tensor latents = random(r, b, c.inChannels(), h, w);
        Tensor text = random(r, b, lMax, c.textFeatDim()); // rows past each length are junk on purpose
        int[] lengths = {3, 7, 5};
        float[] t = {0.1f, 0.5f, 0.9f};
        // sample 0: none (its empty refiner row comes first), sample 1: two refs, sample 2: one
        List<List<Tensor>> refs = new ArrayList<>();
        refs.add(null);
        refs.add(List.of(random(r, c.inChannels(), 4, 6), random(r, c.inChannels(), 6, 2)));
        refs.add(List.of(random(r, c.inChannels(), 2, 8)));
        Tensor batched = model.forward(new OmniGen2Transformer.Input(latents, t, text, lengths, refs));
        for (int i = 0; i < b; i++) {
            Tensor lat = latents.slice0(i, 1);
            Tensor txt = text.slice0(i, 1).narrow(1, 0, lengths[i]);
            List<List<Tensor>> ri = refs.get(i) == null ? null : List.of(refs.get(i));
            Tensor alone = model.forward(new OmniGen2Transformer.Input(lat, new float[]{t[i]}, txt, new int[]{lengths[i]}, ri));
            double e = Golden.relL2(batched.select0(i).toFloatArray(), alone.toFloatArray());
            assertThat(e).as("sample " + i + " batched vs alone").isLessThanOrEqualTo(1e-6);
        }
    }

    @Test
    void junkInTextPaddingDoesNotMatter() {
        Random r = new Random(3);
        Tensor latents = random(r, 1, c.inChannels(), 4, 4);
        Tensor text = random(r, 1, 6, c.textFeatDim());
        Tensor a = model.forward(new OmniGen2Transformer.Input(latents, new float[]{0.3f}, text, new int[]{4}, null));
        for (int j = 4; j < 6; j++) for (int f = 0; f < c.textFeatDim(); f++) text.set(1e3f, 0, j, f);
        Tensor b = model.forward(new OmniGen2Transformer.Input(latents, new float[]{0.3f}, text, new int[]{4}, null));
        assertThat(b.toFloatArray()).containsExactly(a.toFloatArray());
    }

    @Test
    void stagedForwardEqualsForwardAndExposesTheCacheSignal() {
        OmniGen2Transformer.Input in = OmniGen2TransformerCheckpointTest.smallInput();
        Tensor full = model.forward(in);
        JointSequence s = model.prepare(in, null);
        Tensor before = s.hidden().copy();
        Tensor signal = model.firstLayerModulatedInput(s);
        assertThat(signal.shape()).containsExactly(s.hidden().shape());
        assertThat(s.hidden().toFloatArray()).as("signal leaves the state alone").containsExactly(before.toFloatArray());
        model.runLayers(s);
        assertThat(model.finish(s).toFloatArray()).containsExactly(full.toFloatArray());
        // a cache that replays the layers' residual reproduces the output
        Tensor residual = s.hidden().copy();
        for (long i = 0; i < residual.numel(); i++) residual.setFloat(i, residual.getFloat(i) - before.getFloat(i));
        JointSequence again = model.prepare(in, null);
        for (long i = 0; i < residual.numel(); i++) again.hidden().setFloat(i, again.hidden().getFloat(i) + residual.getFloat(i));
        assertThat(Golden.relL2(model.finish(again).toFloatArray(), full.toFloatArray())).isLessThan(1e-6);
    }

    @Test
    void badInputsAreNamed() {
        Random r = new Random(5);
        Tensor text = random(r, 1, 3, c.textFeatDim());
        assertThatThrownBy(() -> model.forward(new OmniGen2Transformer.Input(random(r, 1, c.inChannels(), 5, 4),
                new float[]{0.5f}, text, new int[]{3}, null))).hasMessageContaining("patch_size");
        assertThatThrownBy(() -> model.forward(new OmniGen2Transformer.Input(random(r, 1, c.inChannels(), 4, 4),
                new float[]{0.5f, 0.2f}, text, new int[]{3}, null))).hasMessageContaining("timestep");
        assertThatThrownBy(() -> model.forward(new OmniGen2Transformer.Input(random(r, 1, c.inChannels(), 4, 4),
                new float[]{0.5f}, text, new int[]{3}, List.of(List.of(random(r, c.inChannels() + 1, 4, 4))))))
                .hasMessageContaining("reference latent 0 of sample 0");
        Tensor mask = Tensor.of(new float[]{1, 0, 1}, 1, 3);
        assertThatThrownBy(() -> OmniGen2Transformer.Input.lengthsFromMask(mask)).hasMessageContaining("valid tokens must come first");
        assertThat(OmniGen2Transformer.Input.lengthsFromMask(Tensor.of(new float[]{1, 1, 0}, 1, 3))).containsExactly(2);
    }
}
