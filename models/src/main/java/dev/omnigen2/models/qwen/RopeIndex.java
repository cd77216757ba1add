package dev.omnigen2.models.qwen;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2.5-VL's {@code get_rope_index}: the three M-RoPE positions (t, h, w) of every token, and the per-row
 * delta that continues them during decoding (position of a new token = cache position + delta, on all axes).
 *
 * <p>Text tokens take t = h = w = a running index. An image (the token after a vision-start token is the image
 * pad) occupies its merged grid (h/merge × w/merge tokens): t is the block's start index (images have no time
 * offset), h = start + row, w = start + column; the next text continues at max(positions so far) + 1. Padding
 * slots (mask 0) keep position 1. Without images, positions are cumsum(mask) − 1 with pads at 1.
 */
public final class RopeIndex {
    private RopeIndex() {}

    /** positions [3][B][L]; deltas [B] = max position + 1 − L. */
    public record Result(int[][][] positions, int[] deltas) {
        /** Positions of batch row {@code b} as [3][L]. */
        public int[][] row(int b) { return new int[][] {positions[0][b], positions[1][b], positions[2][b]}; }
    }

    /**
     * @param ids     token ids [B][L] (right padded)
     * @param mask    1 = real token, 0 = padding, [B][L]; null when every token is real
     * @param grids   (t, h, w) in patches of every image, in order over the whole batch; null or empty for text only
     */
    public static Result compute(Qwen25VlConfig config, int[][] ids, int[][] mask, int[][] grids) {
        int batch = ids.length, len = ids[0].length;
        int[][][] pos = new int[3][batch][len];
        int[] deltas = new int[batch];
        if (grids == null || grids.length == 0) {
            for (int b = 0; b < batch; b++) {
                int running = 0, max = Integer.MIN_VALUE;
                for (int t = 0; t < len; t++) {
                    int p;
                    if (mask == null || mask[b][t] == 1) p = running++;
                    else p = 1;
                    for (int a = 0; a < 3; a++) pos[a][b][t] = p;
                    max = Math.max(max, p);
                }
                deltas[b] = max + 1 - len;
            }
            return new Result(pos, deltas);
        }
        int merge = config.vision().spatialMergeSize();
        int nextImage = 0;
        for (int b = 0; b < batch; b++) {
            for (int a = 0; a < 3; a++) java.util.Arrays.fill(pos[a][b], 1);
            List<Integer> slots = new ArrayList<>();
            for (int t = 0; t < len; t++) if (mask == null || mask[b][t] == 1) slots.add(t);
            int n = slots.size();
            int[] tokens = new int[n];
            for (int i = 0; i < n; i++) tokens[i] = ids[b][slots.get(i)];
            int images = 0;
            for (int i = 0; i + 1 < n; i++) {
                if (tokens[i] != config.visionStartTokenId()) continue;
                if (tokens[i + 1] == config.imageTokenId()) images++;
                else if (tokens[i + 1] == config.videoTokenId())
                    throw new UnsupportedOperationException("row " + b + ": video input (token " + config.videoTokenId() + ") is not supported");
            }
            int[][] out = new int[3][n];
            int filled = 0, start = 0, max = -1;
            for (int img = 0; img < images; img++) {
                int end = start;
                while (end < n && tokens[end] != config.imageTokenId()) end++;
                if (end == n) throw new IllegalArgumentException("row " + b + ": fewer image tokens than vision-start markers");
                if (nextImage >= grids.length)
                    throw new IllegalArgumentException("more images in the token ids than image grids (" + grids.length + ")");
                int[] g = grids[nextImage++];
                int gt = g[0], gh = g[1] / merge, gw = g[2] / merge;
                int base = max + 1;
                for (int i = 0; i < end - start; i++) {
                    for (int a = 0; a < 3; a++) out[a][filled] = base + i;
                    filled++;
                }
                max = Math.max(max, base + end - start - 1);
                int blockStart = base + end - start;
                for (int f = 0; f < gt; f++)
                    for (int r = 0; r < gh; r++)
                        for (int c = 0; c < gw; c++) {
                            if (filled >= n) throw new IllegalArgumentException("row " + b + ": image grid " + java.util.Arrays.toString(g)
                                    + " needs more image-pad tokens than the sequence holds");
                            out[0][filled] = blockStart;
                            out[1][filled] = blockStart + r;
                            out[2][filled] = blockStart + c;
                            max = Math.max(max, Math.max(blockStart + r, blockStart + c));
                            filled++;
                        }
                start = end + gt * gh * gw;
            }
            int base = max + 1;
            for (int i = 0; start + i < n; i++) {
                for (int a = 0; a < 3; a++) out[a][filled] = base + i;
                max = Math.max(max, base + i);
                filled++;
            }
            for (int i = 0; i < n; i++) for (int a = 0; a < 3; a++) pos[a][b][slots.get(i)] = out[a][i];
            deltas[b] = max + 1 - len;
        }
        return new Result(pos, deltas);
    }
}
