package dev.omnigen2.bench;

import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.pipeline.PipelineListener;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.sampler.StepListener;

import java.util.function.UnaryOperator;

/**
 * Step caches on the real transformer: denoising seconds and passes computed/skipped with TeaCache and TaylorSeer
 * against the uncached run, and the PSNR of the decoded 8-bit images against the uncached image. Random-weight
 * checkpoints only (e.g. testdata/golden/pipeline/checkpoint or {@code synth --preset tiny}).
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.omnigen2.bench.PipelineCacheBench \
 *   CHECKPOINT [size=256] [steps=50] [scheduler=euler]
 * </pre>
 */
public final class PipelineCacheBench {
    public static void main(String[] args) {
        String dir = args[0];
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        String scheduler = args.length > 3 ? args[3] : "euler";
        System.out.printf("checkpoint %s, %dx%d, %d %s steps, text CFG 5 (2 passes per step), threads %d, load %s%n", dir, size, size,
                steps, scheduler, Parallel.threads(), TransformerBench.loadAverage());
        try (OmniGen2Pipeline p = OmniGen2Pipeline.load(CheckpointFolder.open(dir), PipelineListener.NONE)) {
            GenerationRequest base = GenerationRequest.builder().prompt("a red apple next to a blue cup").size(size, size)
                    .steps(steps).scheduler(scheduler).seed(3).build();
            run(p, base, b -> b, "warm-up", null);
            Run ref = run(p, base, b -> b, "uncached", null);
            run(p, base, b -> b.teaCache(0.05f), "TeaCache 0.05", ref);
            run(p, base, b -> b.teaCache(0.8f), "TeaCache 0.8", ref);
            run(p, base, b -> b.teaCache(1.6f), "TeaCache 1.6", ref);
            run(p, base, b -> b.taylorSeer(true), "TaylorSeer", ref);
        }
        System.out.printf("load at end %s%n", TransformerBench.loadAverage());
    }

    record Run(RgbImage image, double denoiseSeconds) {}

    static Run run(OmniGen2Pipeline p, GenerationRequest base, UnaryOperator<GenerationRequest.Builder> cache, String name, Run ref) {
        double[] denoise = {0};
        PipelineListener l = new PipelineListener() {
            @Override public void step(StepListener.StepEvent e) { denoise[0] += e.seconds(); }
        };
        OmniGen2Pipeline.Result r = p.generate(cache.apply(base.toBuilder()).build(), l, () -> false, false);
        if (ref != null)
            System.out.printf("%-14s denoise %.2f s (speed-up %.2fx) | passes computed %d, skipped %d | PSNR vs uncached %.2f dB%n", name,
                    denoise[0], ref.denoiseSeconds / denoise[0], r.sampling().computed(), r.sampling().skipped(), psnr(ref.image, r.image()));
        else
            System.out.printf("%-14s denoise %.2f s | passes computed %d%n", name, denoise[0], r.sampling().computed());
        return new Run(r.image(), denoise[0]);
    }

    static double psnr(RgbImage a, RgbImage b) {
        byte[] x = a.rgb(), y = b.rgb();
        double se = 0;
        for (int i = 0; i < x.length; i++) {
            int d = (x[i] & 0xFF) - (y[i] & 0xFF);
            se += d * d;
        }
        return se == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 * x.length / se);
    }

    private PipelineCacheBench() {}
}
