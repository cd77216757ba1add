package dev.omnigen2.runtime;

import jdk.incubator.vector.VectorSpecies;

/** The vector inner loops of the non-GEMM kernels for one float species (see {@link SpeciesTemplates}). */
interface OpKernels {
    /** Query rows of the attention register tiles: 8 or 6, the rule of {@link LinearKernels#TILE_ROWS}. */
    int MR = LinearKernels.TILE_ROWS;

    /**
     * Output channels of the convolution's register tile ({@link Conv2d.Packed} is laid out in blocks of this many):
     * 8 where the machine has 32 vector registers, else 6 — the rule of {@link LinearKernels#TILE_ROWS}. The tiles
     * store whole tiles only: an earlier 8-channel BF16 tile with masked edge stores (1429 bytes of bytecode) made
     * C1 give up ("out of virtual registers") and in the VAE decoder C2 never compiled it, so the decoder ran the
     * Vector API's interpreted fallback for minutes (the 6-channel one did too with bounds checks on).
     */
    int CONV_ROWS = LinearKernels.TILE_ROWS;

    static OpKernels of(VectorSpecies<Float> species) {
        return SpeciesTemplates.of(OpKernels.class, VectorOpKernels.class, species);
    }

    int lanes();

    // ---- attention (see FlashAttention) ----

    /**
     * S[r][0..width) = Q_r · K[t0 ..) for rows r0 ≤ r &lt; r1, multiples of {@link #MR} (q row-major [rows][hd], K
     * packed in 2-vector panels).
     */
    void scores(float[] q, float[] kp, float[] s, int r0, int r1, int hd, int t0, int width, int kt);

    /**
     * One online-softmax step over rows r0 ≤ r &lt; r1 of a score tile in log2 units (weights 2^(s − max) written back
     * into s; per-row lane partial sums sum[r·lanes ..] and accumulators rescaled); rows from {@code rows} on are
     * padding and get zero weights.
     */
    void softmaxStep(float[] s, float[] o, float[] mx, float[] sum, int r0, int r1, int rows, int width, int kt, int hdPad);

    /**
     * O[r][·] += Σ_j P[r][j] · V[t0 + j][·] for rows r0 ≤ r &lt; r1 (multiples of {@link #MR}); V packed in panels
     * along the head dimension: 2-vector panel d (d a multiple of 2·lanes) holds key k at d·lkPad + k·2·lanes, a last
     * 1-vector panel (hdPad an odd number of vectors) holds key k at pairs·lkPad + k·lanes.
     */
    void accumulate(float[] s, float[] vp, float[] o, int r0, int r1, int width, int kt, int t0, int hdPad, int lkPad);

    /**
     * One V row (hd floats at byte offset off) into its place for key {@code key} in the layout of {@link #accumulate},
     * zeros in the padding up to hdPad.
     */
    void packValueRow(java.lang.foreign.MemorySegment v, long off, int hd, int hdPad, float[] vp, int key, int lkPad);

    /** dst[base + t·2·lanes + c] = src[t + c·stride] for c &lt; 2·lanes, t &lt; n: 2·lanes rows of K turned into a score panel. */
    void transposeRows(float[] src, int stride, int n, float[] dst, int base);

    // ---- convolution (see ConvKernel) ----

    /**
     * One {@link #CONV_ROWS}-output-channel × 2-vector-pixel tile of an implicit-GEMM convolution: acc[r][p] =
     * bias[bo + r] + Σ_k w[k·CONV_ROWS + r] · band[koff[k] + ox + p], taps summed in order k = 0, 1, …, with w the F32
     * weights at byte {@code wo} of {@code wp}; the whole tile is stored, row r at byte {@code outOff + r·ldo} of
     * {@code out} (the caller computes tiles cut by an edge into scratch).
     */
    void convTile(float[] band, int[] koff, int taps, int ox, java.lang.foreign.MemorySegment wp, long wo, float[] bias, int bo,
                  java.lang.foreign.MemorySegment out, long outOff, long ldo);

    /** As {@link #convTile} with BF16 weights (2 bytes each at byte {@code wo} of {@code wp}), widened exactly; same sums in the same order. */
    void convTileBF16(float[] band, int[] koff, int taps, int ox, java.lang.foreign.MemorySegment wp, long wo, float[] bias, int bo,
                      java.lang.foreign.MemorySegment out, long outOff, long ldo);

    // ---- pointwise and row kernels (segments are F32, offsets in bytes, n / d in elements) ----

    int SILU = 0, GELU_TANH = 1;
    int ADD = 0, SUB = 1, MUL = 2;

    /** out = x · rsqrt(mean(x²) + eps) · w (w null: no weight). */
    void rmsNorm(java.lang.foreign.MemorySegment x, long xo, java.lang.foreign.MemorySegment out, long oo, int d, float[] w, float eps);

    /** out = (x − mean) · rsqrt(var + eps) · w + b (w, b may be null). */
    void layerNorm(java.lang.foreign.MemorySegment x, long xo, java.lang.foreign.MemorySegment out, long oo, int d,
                   float[] w, float[] b, float eps);

    /** Σ x over n elements (float lanes, reduced once). */
    float sum(java.lang.foreign.MemorySegment x, long xo, int n);

    /** Σ (x − mean)² over n elements. */
    float sumSquaredDeviation(java.lang.foreign.MemorySegment x, long xo, int n, float mean);

    /** out = (x − m)·a + c, then SiLU when {@code silu}. */
    void affine(java.lang.foreign.MemorySegment x, long xo, java.lang.foreign.MemorySegment out, long oo, int n,
                float m, float a, float c, boolean silu);

    /** out = f(x) for f = {@link #SILU} or {@link #GELU_TANH}. */
    void unary(int op, java.lang.foreign.MemorySegment x, long xo, java.lang.foreign.MemorySegment out, long oo, int n);

    /** out = silu(gate) · up. */
    void swiglu(java.lang.foreign.MemorySegment gate, long go, java.lang.foreign.MemorySegment up, long uo,
                java.lang.foreign.MemorySegment out, long oo, int n);

    /** Softmax of one row of d elements. */
    void softmax(java.lang.foreign.MemorySegment x, long xo, java.lang.foreign.MemorySegment out, long oo, int d);

    /** out = a op b elementwise ({@link #ADD}, {@link #SUB}, {@link #MUL}). */
    void binary(int op, java.lang.foreign.MemorySegment a, long ao, java.lang.foreign.MemorySegment b, long bo,
                java.lang.foreign.MemorySegment out, long oo, int n);

    /** out = a op c (c a scalar) when {@code scalarRight}, else out = c op a. */
    void binaryScalar(int op, java.lang.foreign.MemorySegment a, long ao, float c, boolean scalarRight,
                      java.lang.foreign.MemorySegment out, long oo, int n);

    /** Rotate-half RoPE of one head row in place: x at xo (hd elements), cos and sin rows [hd] at co. */
    void ropeHalf(java.lang.foreign.MemorySegment x, long xo, java.lang.foreign.MemorySegment cos,
                  java.lang.foreign.MemorySegment sin, long co, int hd);

    /**
     * Interleaved RoPE of one head row in place with pair-expanded tables: ce[2m] = ce[2m+1] = cos_m,
     * se[2m] = −sin_m, se[2m+1] = sin_m; out = x·ce + swapPairs(x)·se.
     */
    void ropeInterleaved(java.lang.foreign.MemorySegment x, long xo, float[] ce, float[] se, int hd);

    // ---- few-query attention (decode steps; see FlashAttention#forwardFewQueries) ----

    /** Σ a[i]·b[i] over n floats at byte offsets ao, bo (lane partial sums added in lane order). */
    float dot(java.lang.foreign.MemorySegment a, long ao, java.lang.foreign.MemorySegment b, long bo, int n);

    /** acc[0..n) += p · v[0..n) (v at byte offset vo). */
    void axpy(float p, java.lang.foreign.MemorySegment v, long vo, float[] acc, int n);

    /** dst[dOff/4 + i] = src[so + i] · c for i < n (F32; an attention row's output, normalised, written out). */
    void scaleInto(float[] src, int so, float c, java.lang.foreign.MemorySegment dst, long dOff, int n);

    /** dst[dOff + i] = src[sOff/4 + i] · c for i < n (F32; attention's query rows, scaled, read in). */
    void scaleFrom(java.lang.foreign.MemorySegment src, long sOff, float c, float[] dst, int dOff, int n);
}
