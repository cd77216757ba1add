package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.Tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Runs a resolution-changing network (encoder or decoder) tile by tile and stitches the outputs as diffusers'
 * tiled_encode / tiled_decode do:
 * <ol>
 *   <li>input tiles of side {@code inTile} start every {@code inStride} rows/columns (the last ones may be
 *       smaller);</li>
 *   <li>in row-major order, each output tile's first {@code blend} rows are cross-faded with the last rows of the
 *       (already blended) tile above, then its first {@code blend} columns with the tile to the left; the weight
 *       of the new tile grows linearly, y / blend;</li>
 *   <li>each tile contributes its top-left {@code keep × keep} corner to the result.</li>
 * </ol>
 * Only the previous row of output tiles is kept, not every tile. Each input tile is freed as soon as the network
 * has run on it, so the network must return a new tensor, never its input or a view of it.
 */
final class TiledRunner {
    private TiledRunner() {}

    static Tensor run(Tensor input, int inTile, int inStride, int blend, int keep, UnaryOperator<Tensor> network) {
        if (inStride < 1 || keep < 1)
            throw new IllegalArgumentException("tiling: tile of " + inTile + " leaves no stride (" + inStride
                    + ") or no kept part (" + keep + "); use a larger tile");
        int h = input.size(1), w = input.size(2);
        List<Tensor> above = null;
        List<List<Tensor>> keptRows = new ArrayList<>();
        for (int y = 0; y < h; y += inStride) {
            List<Tensor> row = new ArrayList<>();
            List<Tensor> kept = new ArrayList<>();
            for (int x = 0, j = 0; x < w; x += inStride, j++) {
                Tensor tile;
                // the input tile is dead once the network has run: free it now, not at the next collection
                try (Arena inputTile = Arena.ofShared()) {
                    tile = network.apply(VaeOps.crop(input, y, x, inTile, inTile, inputTile));
                }
                if (above != null) blendRows(above.get(j), tile, blend);
                if (j > 0) blendColumns(row.get(j - 1), tile, blend);
                row.add(tile);
                kept.add(VaeOps.crop(tile, 0, 0, keep, keep));
            }
            keptRows.add(kept);
            above = row;
        }
        return concat(keptRows);
    }

    /** Cross-fades the first rows of {@code b} with the last rows of {@code a}, in place in b. */
    static void blendRows(Tensor a, Tensor b, int extent) {
        int c = b.size(0), ah = a.size(1), bh = b.size(1), w = b.size(2);
        if (a.size(2) != w || a.size(0) != c) throw new IllegalStateException("tiling: blend " + a + " above " + b);
        int e = Math.min(Math.min(ah, bh), extent);
        for (int y = 0; y < e; y++) {
            float wa = (float) (1 - (double) y / e), wb = (float) ((double) y / e);
            for (int ch = 0; ch < c; ch++) {
                long ai = ((long) ch * ah + (ah - e + y)) * w, bi = ((long) ch * bh + y) * w;
                for (int x = 0; x < w; x++) b.setFloat(bi + x, a.getFloat(ai + x) * wa + b.getFloat(bi + x) * wb);
            }
        }
    }

    /** Cross-fades the first columns of {@code b} with the last columns of {@code a}, in place in b. */
    static void blendColumns(Tensor a, Tensor b, int extent) {
        int c = b.size(0), h = b.size(1), aw = a.size(2), bw = b.size(2);
        if (a.size(1) != h || a.size(0) != c) throw new IllegalStateException("tiling: blend " + a + " left of " + b);
        int e = Math.min(Math.min(aw, bw), extent);
        for (int x = 0; x < e; x++) {
            float wa = (float) (1 - (double) x / e), wb = (float) ((double) x / e);
            for (int ch = 0; ch < c; ch++)
                for (int y = 0; y < h; y++) {
                    long ai = ((long) ch * h + y) * aw + (aw - e + x), bi = ((long) ch * h + y) * bw + x;
                    b.setFloat(bi, a.getFloat(ai) * wa + b.getFloat(bi) * wb);
                }
        }
    }

    private static Tensor concat(List<List<Tensor>> rows) {
        int c = rows.get(0).get(0).size(0), height = 0, width = 0;
        for (List<Tensor> row : rows) height += row.get(0).size(1);
        for (Tensor t : rows.get(0)) width += t.size(2);
        Tensor out = Tensor.zeros(c, height, width);
        int y = 0;
        for (List<Tensor> row : rows) {
            int x = 0;
            for (Tensor t : row) {
                VaeOps.paste(t, out, y, x);
                x += t.size(2);
            }
            y += row.get(0).size(1);
        }
        return out;
    }
}
