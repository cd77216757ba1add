package dev.omnigen2.models.vae;

/**
 * Tiled encoding and decoding as diffusers' {@code enable_tiling}: the input is cut into overlapping square
 * tiles, each tile runs through the encoder or decoder alone, and the overlapping margins are blended linearly
 * so no seam shows. Peak memory then depends on the tile size, not on the image size. Tiles see only their
 * neighbourhood (the mid-block attention and GroupNorm statistics become per tile), so the result differs
 * slightly from untiled output.
 *
 * @param sampleTileSize image-space tile side in pixels (diffusers: config {@code sample_size}, 1024 for Flux)
 * @param overlapFactor  fraction of a tile shared with its neighbour (diffusers: 0.25)
 */
public record Tiling(int sampleTileSize, double overlapFactor) {
    public Tiling {
        if (sampleTileSize <= 0) throw new IllegalArgumentException("tiling: tile size must be positive, got " + sampleTileSize);
        if (!(overlapFactor >= 0 && overlapFactor < 1))
            throw new IllegalArgumentException("tiling: overlap factor must be in [0, 1), got " + overlapFactor);
    }

    /** diffusers' defaults for this VAE: tiles of {@code sample_size} pixels, a quarter overlapping. */
    public static Tiling defaults(FluxVaeConfig config) { return new Tiling(config.sampleSize(), 0.25); }

    /** Tiles of {@code sampleTileSize} pixels with diffusers' overlap of a quarter. */
    public static Tiling of(int sampleTileSize) { return new Tiling(sampleTileSize, 0.25); }

    /** Latent-space tile side: the image tile divided by the VAE's downsampling factor. */
    int latentTileSize(FluxVaeConfig config) {
        int t = (int) ((double) sampleTileSize / config.downsampleFactor());
        if (t < 1) throw new IllegalArgumentException("tiling: tile of " + sampleTileSize + " pixels is below one latent pixel");
        return t;
    }
}
