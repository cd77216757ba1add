package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;

/**
 * Qwen2.5-VL's vision encoder: flattened patches [N, C·T·p·p] (processor order) → image embeddings
 * [N / merge², out_hidden] in the same order, ready to replace the image-pad tokens.
 *
 * <p>The 3-D patch convolution has stride = kernel, so it is one GEMM over the flattened patches. Merge units are
 * permuted into window order before the first block and back after the merger; blocks listed in
 * {@code fullatt_block_indexes} attend over each whole image (frame), the others within windows.
 */
public final class VisionTower {
    private final Qwen25VlConfig.Vision config;
    private final Tensor patchEmbed;
    private final VisionBlock[] blocks;
    private final PatchMerger merger;

    VisionTower(Weights w, Qwen25VlConfig.Vision v) {
        this.config = v;
        patchEmbed = w.get("patch_embed.proj.weight", v.hiddenSize(), v.inChannels(), v.temporalPatchSize(), v.patchSize(), v.patchSize())
                .reshape(v.hiddenSize(), v.patchDim());
        blocks = new VisionBlock[v.depth()];
        for (int i = 0; i < blocks.length; i++) blocks[i] = new VisionBlock(w.prefix("blocks").prefix(i), v);
        merger = new PatchMerger(w.prefix("merger"), v);
    }

    public Tensor forward(Tensor pixelValues, int[][] grids) { return forward(pixelValues, grids, null); }

    /** As {@link #forward(Tensor, int[][])}, reporting intermediates (names as in the golden fixture) to {@code trace}. */
    Tensor forward(Tensor pixelValues, int[][] grids, BiConsumer<String, Tensor> trace) {
        int patches = 0;
        for (int[] g : grids) {
            if (g.length != 3 || g[1] % config.spatialMergeSize() != 0 || g[2] % config.spatialMergeSize() != 0)
                throw new IllegalArgumentException("image grid " + java.util.Arrays.toString(g) + " must be (t, h, w) with h, w multiples of "
                        + config.spatialMergeSize());
            patches += g[0] * g[1] * g[2];
        }
        if (pixelValues.rank() != 2 || pixelValues.size(0) != patches || pixelValues.size(1) != config.patchDim())
            throw new IllegalArgumentException("pixel_values " + pixelValues + " do not match the grids: expected [" + patches + ", " + config.patchDim() + "]");
        BiConsumer<String, Tensor> out = trace == null ? (n, t) -> { } : trace;

        Tensor natural = Device.linear(pixelValues.toF32(), patchEmbed, null);
        out.accept("hidden_after_patch_embed", natural);
        Tensor angles = VisionRotary.angles(VisionRotary.patchPositions(grids, config.spatialMergeSize()), config.headDim());
        out.accept("rotary_pos_emb", angles);
        WindowLayout layout = WindowLayout.of(config, grids);
        int unit = config.mergeUnit();
        Tensor x = permuteUnits(natural, layout.windowIndex(), unit, false);
        Tensor[] cs = VisionRotary.tables(permuteUnits(angles, layout.windowIndex(), unit, false));
        out.accept("rotary_cos", cs[0]);
        out.accept("rotary_sin", cs[1]);
        for (int i = 0; i < blocks.length; i++) {
            blocks[i].forward(x, cs[0], cs[1], config.isFullAttention(i) ? layout.cuSeqlens() : layout.cuWindowSeqlens());
            out.accept("hidden_after_block" + i, x);
        }
        return permuteUnits(merger.forward(x), layout.windowIndex(), 1, true);
    }

    WindowLayout layout(int[][] grids) { return WindowLayout.of(config, grids); }

    /** Gathers groups of {@code unit} rows: window row-group i = natural group index[i] (or the inverse). */
    private static Tensor permuteUnits(Tensor x, int[] index, int unit, boolean inverse) {
        Tensor y = Tensor.zeros(x.shape());
        long groupBytes = (long) unit * x.size(1) * Float.BYTES;
        for (int i = 0; i < index.length; i++) {
            long windowAt = i * groupBytes, naturalAt = index[i] * groupBytes;
            if (inverse) MemorySegment.copy(x.data(), windowAt, y.data(), naturalAt, groupBytes);
            else MemorySegment.copy(x.data(), naturalAt, y.data(), windowAt, groupBytes);
        }
        return y;
    }
}
