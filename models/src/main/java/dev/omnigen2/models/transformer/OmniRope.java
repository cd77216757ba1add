package dev.omnigen2.models.transformer;

import dev.omnigen2.runtime.Tensor;

import java.util.Arrays;

/**
 * Omni-RoPE: every token carries three integer positions (sequence/modality id, row, col); axis a owns
 * axes_dim_rope[a] of the head dimension, i.e. axes_dim_rope[a]/2 rotated pairs with frequencies
 * 1 / 10000^(2k/d_a). A token's table row is the concatenation axis0 | axis1 | axis2 of cos/sin(pos_a · w_a,k).
 * Angles and trigonometry are evaluated in float64 (as upstream's complex128 table) and rounded to float32 once.
 */
final class OmniRope {
    private static final double THETA = 10000;

    private final int[] axesDim;
    private final int[] axesLens;
    private final int half;
    /** Per axis, per position, per pair: cos and sin, [axesLens[a] · axesDim[a]/2]. */
    private final float[][] cos;
    private final float[][] sin;

    OmniRope(int[] axesDim, int[] axesLens) {
        this.axesDim = axesDim.clone();
        this.axesLens = axesLens.clone();
        this.half = Arrays.stream(axesDim).sum() / 2;
        this.cos = new float[3][];
        this.sin = new float[3][];
        for (int a = 0; a < 3; a++) {
            int pairs = axesDim[a] / 2;
            double[] freq = new double[pairs];
            for (int k = 0; k < pairs; k++) freq[k] = 1.0 / Math.pow(THETA, (2.0 * k) / axesDim[a]);
            cos[a] = new float[axesLens[a] * pairs];
            sin[a] = new float[axesLens[a] * pairs];
            for (int pos = 0; pos < axesLens[a]; pos++)
                for (int k = 0; k < pairs; k++) {
                    double angle = pos * freq[k];
                    cos[a][pos * pairs + k] = (float) Math.cos(angle);
                    sin[a][pos * pairs + k] = (float) Math.sin(angle);
                }
        }
    }

    /** Rotary tables of one token sequence: cos and sin [tokens, head_dim/2]. */
    record Tables(Tensor cos, Tensor sin) {}

    /** Tables for positions [tokens · 3] (triples). */
    Tables tables(int[] positions) {
        int n = positions.length / 3;
        Tensor c = Tensor.zeros(n, half), s = Tensor.zeros(n, half);
        for (int t = 0; t < n; t++) {
            int col = 0;
            for (int a = 0; a < 3; a++) {
                int pos = positions[3 * t + a];
                if (pos < 0 || pos >= axesLens[a])
                    throw new IllegalArgumentException("Omni-RoPE position " + pos + " on axis " + a + " is outside axes_lens["
                            + a + "] = " + axesLens[a] + " (prompt or images too large for this transformer config)");
                int pairs = axesDim[a] / 2;
                for (int k = 0; k < pairs; k++, col++) {
                    c.setFloat((long) t * half + col, cos[a][pos * pairs + k]);
                    s.setFloat((long) t * half + col, sin[a][pos * pairs + k]);
                }
            }
        }
        return new Tables(c, s);
    }

    /** Text token k → (k, k, k), k = 0..len−1. */
    static int[] textPositions(int len) {
        int[] p = new int[3 * len];
        for (int k = 0; k < len; k++) p[3 * k] = p[3 * k + 1] = p[3 * k + 2] = k;
        return p;
    }

    /** An image of rows × cols tokens at sequence id {@code seq}: (seq, row, col) in row-major token order. */
    static int[] imagePositions(int seq, int rows, int cols) {
        int[] p = new int[3 * rows * cols];
        for (int r = 0, t = 0; r < rows; r++)
            for (int c = 0; c < cols; c++, t++) {
                p[3 * t] = seq;
                p[3 * t + 1] = r;
                p[3 * t + 2] = c;
            }
        return p;
    }
}
