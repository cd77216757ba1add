package dev.omnigen2.models.qwen;

import dev.omnigen2.runtime.Tensor;

/**
 * The vision tower's 2-D rotary embedding (theta 10000, not the text rope_theta): a patch at (row h, column w)
 * rotates the first quarter of each head by h·f and the second quarter by w·f, with f the hd/4 frequencies;
 * the table is then doubled to hd columns for rotate-half. Patches are in processor order (merge units).
 */
final class VisionRotary {
    private static final double THETA = 10000.0;

    private VisionRotary() {}

    /** (h, w) of every patch, processor order [N][2]. */
    static int[][] patchPositions(int[][] grids, int merge) {
        int n = 0;
        for (int[] g : grids) n += g[0] * g[1] * g[2];
        int[][] pos = new int[n][];
        int i = 0;
        for (int[] g : grids)
            for (int t = 0; t < g[0]; t++)
                for (int bh = 0; bh < g[1] / merge; bh++)
                    for (int bw = 0; bw < g[2] / merge; bw++)
                        for (int mh = 0; mh < merge; mh++)
                            for (int mw = 0; mw < merge; mw++) pos[i++] = new int[] {bh * merge + mh, bw * merge + mw};
        return pos;
    }

    /** The angles [N, hd/2]: [h·f (hd/4), w·f (hd/4)] per patch, float32 as upstream. */
    static Tensor angles(int[][] positions, int headDim) {
        int dim = headDim / 2, quarter = dim / 2;
        float[] invFreq = new float[quarter];
        for (int i = 0; i < quarter; i++) invFreq[i] = 1f / (float) Math.pow(THETA, (float) (2 * i) / dim);
        Tensor out = Tensor.zeros(positions.length, dim);
        for (int p = 0; p < positions.length; p++)
            for (int i = 0; i < quarter; i++) {
                out.setFloat((long) p * dim + i, (float) positions[p][0] * invFreq[i]);
                out.setFloat((long) p * dim + quarter + i, (float) positions[p][1] * invFreq[i]);
            }
        return out;
    }

    /** cos and sin tables [N, hd] = cos/sin(cat(angles, angles)). */
    static Tensor[] tables(Tensor angles) {
        int n = angles.size(0), dim = angles.size(1);
        Tensor cos = Tensor.zeros(n, 2 * dim), sin = Tensor.zeros(n, 2 * dim);
        for (int p = 0; p < n; p++)
            for (int i = 0; i < dim; i++) {
                float a = angles.getFloat((long) p * dim + i);
                float c = (float) Math.cos(a), s = (float) Math.sin(a);
                long o = (long) p * 2 * dim;
                cos.setFloat(o + i, c);
                cos.setFloat(o + dim + i, c);
                sin.setFloat(o + i, s);
                sin.setFloat(o + dim + i, s);
            }
        return new Tensor[] {cos, sin};
    }
}
