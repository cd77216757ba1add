package dev.omnigen2.runtime;

import jdk.incubator.vector.VectorSpecies;

/** The vector inner loops of the non-GEMM kernels for one float species (see {@link SpeciesTemplates}). */
interface OpKernels {
    /** Rows of the register blocks. */
    int MR = 6;

    static OpKernels of(VectorSpecies<Float> species) {
        return SpeciesTemplates.of(OpKernels.class, VectorOpKernels.class, species);
    }

    int lanes();

    // ---- attention (see FlashAttention) ----

    /** S[r][0..width) = Q_r · K[t0 ..) for all rowsPad rows (qT transposed per 6-row chunk, K packed in 2-vector panels). */
    void scores(float[] qT, float[] kp, float[] s, int rowsPad, int hd, int t0, int width, int kt);

    /** One online-softmax step over a score tile (weights written back into s, sums and accumulators rescaled). */
    void softmaxStep(float[] s, float[] o, float[] mx, float[] sum, int rows, int rowsPad, int width, int kt, int hdPad);

    /** O[r][·] += Σ_j P[r][j] · V[t0 + j][·]. */
    void accumulate(float[] s, float[] vp, float[] o, int rowsPad, int width, int kt, int t0, int hdPad);

    // ---- convolution (see ConvKernel) ----

    /**
     * One 6-output-channel × 2-vector-pixel tile of an implicit-GEMM convolution: acc[r][p] = bias[bo + r] +
     * Σ_k wp[wo + k·6 + r] · band[koff[k] + ox + p]; rows r < {@code rows} and pixels p < {@code pixels} are stored
     * at byte {@code outOff + r·ldo + 4p} of {@code out}.
     */
    void convTile(float[] band, int[] koff, int taps, int ox, float[] wp, int wo, float[] bias, int bo,
                  java.lang.foreign.MemorySegment out, long outOff, long ldo, int rows, int pixels);
}
