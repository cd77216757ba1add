package dev.omnigen2.models.qwen;

import java.util.ArrayList;
import java.util.List;

/**
 * How the vision tower groups patches for attention (upstream {@code get_window_index}).
 *
 * <p>Merge units (merge² patches that the merger later joins) are reordered window by window: each frame's
 * merged grid is padded to a multiple of the window side (by {@code side − n % side}, so a full extra empty
 * row/column of windows when n divides evenly, as upstream) and cut into side × side windows; padding never
 * enters attention, so edge windows are partial and empty windows repeat a boundary, which is then dropped.
 *
 * @param windowIndex          merge-unit permutation: window-order unit i is natural unit windowIndex[i]
 * @param cuWindowSeqlensRaw   window boundaries in patches, with repeats for empty windows
 * @param cuWindowSeqlens      the same without consecutive repeats (used by window-attention blocks)
 * @param cuSeqlens            per-frame boundaries in patches (used by full-attention blocks)
 */
record WindowLayout(int[] windowIndex, int[] cuWindowSeqlensRaw, int[] cuWindowSeqlens, int[] cuSeqlens) {

    static WindowLayout of(Qwen25VlConfig.Vision v, int[][] grids) {
        int merge = v.spatialMergeSize(), unit = v.mergeUnit();
        int side = v.windowSize() / merge / v.patchSize();
        List<Integer> index = new ArrayList<>();
        List<Integer> cuRaw = new ArrayList<>(List.of(0));
        List<Integer> cuFrames = new ArrayList<>(List.of(0));
        int offset = 0;
        for (int[] g : grids) {
            int gt = g[0], lh = g[1] / merge, lw = g[2] / merge;
            int padH = side - lh % side, padW = side - lw % side;
            int nwh = (lh + padH) / side, nww = (lw + padW) / side;
            for (int t = 0; t < gt; t++) {
                for (int wh = 0; wh < nwh; wh++)
                    for (int ww = 0; ww < nww; ww++) {
                        int count = 0;
                        for (int r = wh * side; r < (wh + 1) * side; r++)
                            for (int c = ww * side; c < (ww + 1) * side; c++)
                                if (r < lh && c < lw) {
                                    index.add(offset + (t * lh + r) * lw + c);
                                    count++;
                                }
                        cuRaw.add(cuRaw.get(cuRaw.size() - 1) + count * unit);
                    }
                cuFrames.add(cuFrames.get(cuFrames.size() - 1) + g[1] * g[2]);
            }
            offset += gt * lh * lw;
        }
        List<Integer> cu = new ArrayList<>();
        for (int b : cuRaw) if (cu.isEmpty() || cu.get(cu.size() - 1) != b) cu.add(b);
        return new WindowLayout(toArray(index), toArray(cuRaw), toArray(cu), toArray(cuFrames));
    }

    private static int[] toArray(List<Integer> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = l.get(i);
        return a;
    }
}
