package dev.omnigen2.bench;

import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.pipeline.PipelineListener;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.sampler.Rng;

/**
 * The pipeline stages around the denoising loop on a checkpoint of the real dimensions ({@code synth --preset full
 * --zeros}): prompt encoding (chat template + Qwen2.5-VL, the inference.py negative prompt and a ~60-token prompt)
 * and VAE decoding per size. Transformer steps are timed by {@link TransformerBench}; end-to-end estimates combine
 * the two in bench/README.md.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.omnigen2.bench.PipelineStagesBench CHECKPOINT [sizes=512]
 * </pre>
 */
public final class PipelineStagesBench {
    public static void main(String[] args) {
        String dir = args[0];
        String sizes = args.length > 1 ? args[1] : "512";
        System.out.printf("checkpoint %s, threads %d, load %s%n", dir, Parallel.threads(), TransformerBench.loadAverage());
        long t0 = System.nanoTime();
        try (OmniGen2Pipeline p = OmniGen2Pipeline.load(CheckpointFolder.open(dir), PipelineListener.NONE)) {
            System.out.printf("load %.2f s%n", (System.nanoTime() - t0) / 1e9);
            String prompt = "A photograph of a red apple next to a blue ceramic cup on a wooden kitchen table, soft morning "
                    + "light from a window on the left, shallow depth of field, a few crumbs on the table, highly detailed.";
            p.encodePrompt("warm up", 1024);
            for (String text : new String[]{prompt, GenerationRequest.INFERENCE_NEGATIVE_PROMPT}) {
                long e0 = System.nanoTime();
                var enc = p.encodePrompt(text, 1024);
                System.out.printf("text encoding: %d tokens in %.2f s%n", enc.ids().length, (System.nanoTime() - e0) / 1e9);
            }
            int f = p.vaeScaleFactor(), c = p.transformer().config().inChannels();
            for (String s : sizes.split(",")) {
                int px = Integer.parseInt(s.trim());
                Tensor latent = Rng.TORCH.randn(0, 1, c, px / f, px / f);
                long d0 = System.nanoTime();
                p.vae().decode(p.vae().unscaleLatent(latent));
                System.out.printf("VAE decode %dx%d: %.2f s%n", px, px, (System.nanoTime() - d0) / 1e9);
            }
        }
        System.out.printf("peak RSS (VmHWM) %d MiB; load at end %s%n", TransformerBench.peakRssMiB(), TransformerBench.loadAverage());
    }

    private PipelineStagesBench() {}
}
