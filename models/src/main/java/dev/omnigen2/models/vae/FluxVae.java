package dev.omnigen2.models.vae;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Conv2d;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.Safetensors;
import dev.omnigen2.safetensors.TensorStore;

import java.lang.foreign.Arena;
import java.nio.file.Path;

/**
 * The Flux VAE (diffusers {@code AutoencoderKL}) of OmniGen2: reference images enter the transformer through
 * {@link #encode}, generated latents leave through {@link #decode}. Works on one image at a time, laid out
 * [C, H, W] in F32 (a leading batch dimension of 1 is accepted and dropped). Weights stay memory-mapped in their
 * stored dtype; each convolution packs its weights at its first use (off the Java heap, BF16 weights in BF16), and
 * {@link #close} frees those packed copies with the mapping.
 *
 * <p>The OmniGen2 pipeline moves latents between the VAE's space and the transformer's with
 * {@link #scaleLatent} ({@code (z − shift)·scale}, after encoding) and {@link #unscaleLatent}
 * ({@code z / scale + shift}, before decoding).
 *
 * <p>Large images on small machines: pass a {@link Tiling}, e.g. {@code Tiling.of(512)}, to encode or decode tile
 * by tile (peak memory then follows the tile, not the image). diffusers' default tile ({@code sample_size}, 1024 px)
 * never tiles OmniGen2's images, which are at most 1024² px.
 */
public final class FluxVae implements AutoCloseable {
    private final FluxVaeConfig config;
    private final TensorStore store;
    /** The packed convolution weights (allocated at first use, on any thread), freed by {@link #close}. */
    private final Arena packs = Arena.ofShared();
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d.Packed quantConv, postQuantConv;

    private FluxVae(FluxVaeConfig config, TensorStore store) {
        this.config = config;
        this.store = store;
        Weights w = Weights.of(store);
        encoder = new Encoder(w.prefix("encoder"), config, packs);
        decoder = new Decoder(w.prefix("decoder"), config, packs);
        int moments = 2 * config.latentChannels(), latent = config.latentChannels();
        quantConv = config.useQuantConv()
                ? Conv2d.prepare(w.get("quant_conv.weight", moments, moments, 1, 1), w.get("quant_conv.bias", moments), packs) : null;
        postQuantConv = config.usePostQuantConv()
                ? Conv2d.prepare(w.get("post_quant_conv.weight", latent, latent, 1, 1), w.get("post_quant_conv.bias", latent), packs) : null;
        w.checkAllUsed();
    }

    /** Loads a {@code vae/} folder: config.json and the safetensors weights (one file or sharded). */
    public static FluxVae load(Path vaeFolder) {
        FluxVaeConfig config = FluxVaeConfig.load(vaeFolder);
        return load(config, vaeFolder);
    }

    /** Loads the weights at {@code weights} (file or folder) for an already parsed config. */
    public static FluxVae load(FluxVaeConfig config, Path weights) {
        return of(config, Safetensors.open(weights));
    }

    /**
     * Binds the VAE to tensors already opened (e.g. a synthetic checkpoint); every tensor must be used and
     * shaped as the config implies. The VAE owns the store from now on and closes it, also when binding fails.
     */
    public static FluxVae of(FluxVaeConfig config, TensorStore store) {
        try {
            return new FluxVae(config, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    public FluxVaeConfig config() { return config; }

    /** Image [in_channels, H, W] with values in [−1, 1] → the posterior over latents [C, H/f, W/f]. */
    public Posterior encode(Tensor image) { return encode(image, null); }

    /** As {@link #encode(Tensor)}, tiled when {@code tiling} is set and the image exceeds one tile. */
    public Posterior encode(Tensor image, Tiling tiling) {
        return new Posterior(moments(dropBatch(image, "image"), tiling, Trace.NONE));
    }

    /** Latent [latent_channels, h, w] (already unscaled) → image [out_channels, h·f, w·f], unclamped. */
    public Tensor decode(Tensor latent) { return decode(latent, null); }

    /** As {@link #decode(Tensor)}, tiled when {@code tiling} is set and the latent exceeds one tile. */
    public Tensor decode(Tensor latent, Tiling tiling) {
        return decoded(dropBatch(latent, "latent"), tiling, Trace.NONE);
    }

    /** Encoder moments [2·latent_channels, h, w] of one image; the trace sees each stage when not tiled. */
    Tensor moments(Tensor image, Tiling tiling, Trace trace) {
        if (tiling != null && (image.size(1) > tiling.sampleTileSize() || image.size(2) > tiling.sampleTileSize())) {
            int latentTile = tiling.latentTileSize(config);
            int stride = (int) (tiling.sampleTileSize() * (1 - tiling.overlapFactor()));
            int blend = (int) (latentTile * tiling.overlapFactor());
            return TiledRunner.run(image, tiling.sampleTileSize(), stride, blend, latentTile - blend,
                    tile -> quantize(encoder.forward(tile, Trace.NONE)));
        }
        return quantize(encoder.forward(image, trace));
    }

    /** Decoder output [out_channels, H, W] of one latent; the trace sees each stage when not tiled. */
    Tensor decoded(Tensor latent, Tiling tiling, Trace trace) {
        if (tiling != null) {
            int latentTile = tiling.latentTileSize(config);
            if (latent.size(1) > latentTile || latent.size(2) > latentTile) {
                int stride = (int) (latentTile * (1 - tiling.overlapFactor()));
                int blend = (int) (tiling.sampleTileSize() * tiling.overlapFactor());
                return TiledRunner.run(latent, latentTile, stride, blend, tiling.sampleTileSize() - blend,
                        tile -> decoder.forward(postQuantize(tile), Trace.NONE));
            }
        }
        return decoder.forward(postQuantize(latent), trace);
    }

    private Tensor quantize(Tensor moments) {
        return quantConv == null ? moments : Conv2d.forward(moments, quantConv, 1, 0, 0, 0, 0);
    }

    private Tensor postQuantize(Tensor latent) {
        return postQuantConv == null ? latent : Conv2d.forward(latent, postQuantConv, 1, 0, 0, 0, 0);
    }

    /** The pipeline's latent after encoding: {@code (z − shift_factor) · scaling_factor}, two float32 steps. */
    public Tensor scaleLatent(Tensor z) {
        Tensor out = Tensor.zeros(z.shape());
        float shift = config.shiftFactor(), scale = config.scalingFactor();
        for (long i = 0; i < z.numel(); i++) {
            float shifted = z.getFloat(i) - shift;
            out.setFloat(i, shifted * scale);
        }
        return out;
    }

    /** The pipeline's latent before decoding: {@code z / scaling_factor + shift_factor}, two float32 steps. */
    public Tensor unscaleLatent(Tensor z) {
        Tensor out = Tensor.zeros(z.shape());
        float shift = config.shiftFactor(), scale = config.scalingFactor();
        for (long i = 0; i < z.numel(); i++) {
            float unscaled = z.getFloat(i) / scale;
            out.setFloat(i, unscaled + shift);
        }
        return out;
    }

    private static Tensor dropBatch(Tensor x, String what) {
        if (x.rank() == 4) {
            if (x.size(0) != 1)
                throw new IllegalArgumentException("VAE: one " + what + " at a time, got a batch " + x);
            x = x.select0(0);
        }
        if (x.rank() != 3) throw new IllegalArgumentException("VAE: expected " + what + " [C, H, W], got " + x);
        return x.toF32();
    }

    @Override
    public void close() {
        try {
            packs.close();
        } finally {
            store.close();
        }
    }
}
