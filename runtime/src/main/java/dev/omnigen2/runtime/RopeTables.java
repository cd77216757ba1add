package dev.omnigen2.runtime;

/**
 * Rotary tables from explicit positions, rounded to float32 exactly where the reference rounds:
 * <ul>
 * <li>{@link #text} (Qwen2.5-VL text, 1-D rotate-half) and {@link #mrope} (M-RoPE): transformers computes
 *   inv_freq = 1 / θ^(2i/d) and the angles pos·inv_freq in float32, then cos/sin in float32; tables [L, hd] with
 *   both halves equal (cat(freqs, freqs)), for {@link Rope#rotateHalf}.</li>
 * <li>{@link #vision2d} (Qwen2.5-VL vision): θ = 10000, rotary dim hd/2, angles [row·inv_freq, col·inv_freq]
 *   in float32, cat(rot, rot) → [L, hd], for {@link Rope#rotateHalf}.</li>
 * <li>{@link #omni} (OmniGen2 Omni-RoPE): per axis a with d_a dims, frequencies 1 / θ^(2k/d_a) and angles in
 *   float64 (upstream keeps complex128), cos/sin rounded to float32 at the end; the axes' d_a/2 columns are
 *   concatenated → [L, hd/2], for {@link Rope#interleaved}.</li>
 * </ul>
 */
public final class RopeTables {
    private RopeTables() {}

    /** A cos and a sin table of one shape. */
    public record Table(Tensor cos, Tensor sin) {}

    /** float32 inverse frequencies 1 / θ^(2i/dim), i < dim/2, as transformers computes them. */
    static float[] invFreqF32(double theta, int dim) {
        float[] inv = new float[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            float e = (float) (2 * i) / (float) dim;
            inv[i] = 1f / (float) Math.pow(theta, e);
        }
        return inv;
    }

    /** Qwen text rotate-half table: cos/sin [L, hd] for positions[t] with base {@code theta} (rope_theta). */
    public static Table text(long[] positions, int hd, double theta) {
        long[][] same = {positions, positions, positions};
        return mrope(same, hd, theta, new int[] {hd / 2, 0, 0});
    }

    /**
     * M-RoPE table [L, hd]: positions[3][L] hold the (t, h, w) position rows; {@code mropeSection} (e.g. [16, 24, 24],
     * summing to hd/2) is doubled to cover both halves, and section k uses position row k % 3.
     */
    public static Table mrope(long[][] positions, int hd, double theta, int[] mropeSection) {
        if (positions.length != 3) throw new IllegalArgumentException("mrope: need 3 position rows (t, h, w), got " + positions.length);
        int sum = 0;
        for (int s : mropeSection) sum += s;
        if (sum != hd / 2 || mropeSection.length != 3)
            throw new IllegalArgumentException("mrope: mrope_section " + java.util.Arrays.toString(mropeSection)
                    + " must have 3 entries summing to hd/2 = " + hd / 2);
        int l = positions[0].length;
        int[] axisOfColumn = new int[hd];
        for (int half = 0, col = 0; half < 2; half++)
            for (int k = 0; k < 3; k++)
                for (int j = 0; j < mropeSection[k]; j++) axisOfColumn[col++] = k;
        float[] inv = invFreqF32(theta, hd);
        Tensor cos = Tensor.zeros(l, hd), sin = Tensor.zeros(l, hd);
        for (int t = 0; t < l; t++) {
            for (int i = 0; i < hd; i++) {
                float angle = inv[i % (hd / 2)] * (float) positions[axisOfColumn[i]][t];
                cos.setFloat((long) t * hd + i, (float) Math.cos(angle));
                sin.setFloat((long) t * hd + i, (float) Math.sin(angle));
            }
        }
        return new Table(cos, sin);
    }

    /** Qwen2.5-VL vision table [L, hd]: rowCol[t] = {row, col} of each patch; θ = 10000 over rotary dim hd/2. */
    public static Table vision2d(int[][] rowCol, int hd) {
        int dim = hd / 2, q = dim / 2;
        float[] inv = invFreqF32(10000.0, dim);
        int l = rowCol.length;
        Tensor cos = Tensor.zeros(l, hd), sin = Tensor.zeros(l, hd);
        for (int t = 0; t < l; t++) {
            for (int i = 0; i < hd; i++) {
                int j = i % dim; // cat(rot, rot)
                float angle = j < q ? (float) rowCol[t][0] * inv[j] : (float) rowCol[t][1] * inv[j - q];
                cos.setFloat((long) t * hd + i, (float) Math.cos(angle));
                sin.setFloat((long) t * hd + i, (float) Math.sin(angle));
            }
        }
        return new Table(cos, sin);
    }

    /**
     * Omni-RoPE table [L, hd/2] for interleaved pairs: positions[t] = (p0, p1, p2), axis a contributes axesDim[a]/2
     * columns cos/sin(p_a · θ^(−2k/axesDim[a])) computed in float64 and rounded to float32.
     */
    public static Table omni(int[][] positions, int[] axesDim, double theta) {
        int cols = 0;
        for (int d : axesDim) {
            if (d % 2 != 0) throw new IllegalArgumentException("omni rope: axis dims must be even: " + java.util.Arrays.toString(axesDim));
            cols += d / 2;
        }
        double[][] freqs = new double[axesDim.length][];
        for (int a = 0; a < axesDim.length; a++) {
            freqs[a] = new double[axesDim[a] / 2];
            for (int k = 0; k < freqs[a].length; k++) freqs[a][k] = 1.0 / Math.pow(theta, (double) (2 * k) / axesDim[a]);
        }
        int l = positions.length;
        Tensor cos = Tensor.zeros(l, cols), sin = Tensor.zeros(l, cols);
        for (int t = 0; t < l; t++) {
            if (positions[t].length != axesDim.length)
                throw new IllegalArgumentException("omni rope: token " + t + " has " + positions[t].length + " positions for "
                        + axesDim.length + " axes");
            int c = 0;
            for (int a = 0; a < axesDim.length; a++) {
                for (int k = 0; k < freqs[a].length; k++, c++) {
                    double angle = positions[t][a] * freqs[a][k];
                    cos.setFloat((long) t * cols + c, (float) Math.cos(angle));
                    sin.setFloat((long) t * cols + c, (float) Math.sin(angle));
                }
            }
        }
        return new Table(cos, sin);
    }
}
