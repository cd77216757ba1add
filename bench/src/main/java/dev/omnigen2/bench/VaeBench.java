package dev.omnigen2.bench;

import dev.omnigen2.models.vae.FluxVae;
import dev.omnigen2.models.vae.Tiling;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Seconds and peak RSS of one Flux VAE pass at full size, one JVM per measurement (peak RSS is per process):
 * {@code VaeBench VAE_DIR decode|encode SIDE_PX [TILE_PX|0] [THREADS]}. Decode takes a random latent of
 * SIDE/f × SIDE/f, encode a random image of SIDE × SIDE. A pass at a quarter of the side first compiles the
 * kernels and packs the weights; the timed pass follows. Prints one line: mode, size, tiling, seconds, VmHWM.
 * The weights may be a sparse zero checkpoint ({@code omnigen2 synth DIR --preset full --zeros}): values do not
 * change the work.
 */
public final class VaeBench {
    private VaeBench() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: VaeBench VAE_DIR decode|encode SIDE_PX [TILE_PX|0] [THREADS]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        String mode = args[1];
        int side = Integer.parseInt(args[2]);
        int tile = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        if (args.length > 4) Parallel.setThreads(Integer.parseInt(args[4]));
        Tiling tiling = tile > 0 ? Tiling.of(tile) : null;
        try (FluxVae vae = FluxVae.load(dir)) {
            int f = vae.config().downsampleFactor();
            pass(vae, mode, side / 4, f, tiling == null ? null : Tiling.of(Math.max(f, tile / 4)));
            long t0 = System.nanoTime();
            float checksum = pass(vae, mode, side, f, tiling);
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("java %s %dx%d tile=%s threads=%d seconds=%.2f peak_rss_mib=%d checksum=%s%n", mode, side, side,
                    tile > 0 ? tile : "none", Parallel.threads(), seconds, peakRssKib() / 1024, checksum);
        }
    }

    private static float pass(FluxVae vae, String mode, int side, int f, Tiling tiling) {
        Random r = new Random(side);
        return switch (mode) {
            case "decode" -> {
                Tensor latent = random(r, vae.config().latentChannels(), side / f, side / f);
                yield vae.decode(latent, tiling).getFloat(0);
            }
            case "encode" -> {
                Tensor image = random(r, vae.config().inChannels(), side, side);
                yield vae.encode(image, tiling).mode().getFloat(0);
            }
            default -> throw new IllegalArgumentException("mode must be decode or encode, got " + mode);
        };
    }

    private static Tensor random(Random r, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) Math.max(-1, Math.min(1, r.nextGaussian() * 0.5)));
        return t;
    }

    static long peakRssKib() { return dev.omnigen2.runtime.ProcessMemory.bytes("VmHWM") / 1024; }
}
