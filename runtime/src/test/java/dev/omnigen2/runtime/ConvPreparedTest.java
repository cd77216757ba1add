package dev.omnigen2.runtime;

import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Conv2d with prepared weights: reused across calls and written into a caller's buffer it gives exactly the
 * per-call result; the fused nearest-×2 upsampling + same convolution equals upsample-then-convolve bit for bit
 * (same taps in the same order) at every vector width and in the scalar twin.
 */
class ConvPreparedTest {
    @AfterEach
    void restore() {
        Vectors.force("preferred");
        Parallel.setThreads(Runtime.getRuntime().availableProcessors());
    }

    @Test
    void preparedIntoBufferEqualsPerCallForward() {
        Random r = new Random(7);
        Tensor x = ConvSweepTest.random(r, DType.F32, 9, 6, 21), w = ConvSweepTest.random(r, DType.BF16, 13, 9, 3, 3);
        Tensor b = ConvSweepTest.random(r, DType.F32, 13);
        Conv2d.Packed p = Conv2d.prepare(w, b);
        for (String width : Widths.supported()) {
            Vectors.force(width);
            float[] expected = Conv2d.forward(x, w, b, 2, 0, 0, 1, 1).toFloatArray();
            Tensor out = Tensor.zeros(13, 3, 10);
            out.setFloat(5, Float.NaN); // every element must be overwritten
            for (int call = 0; call < 2; call++) {
                Conv2d.forward(x, p, 2, 0, 0, 1, 1, out);
                assertThat(out.toFloatArray()).as(width + " call " + call).isEqualTo(expected);
            }
            assertThat(Conv2d.forward(x, p, 2, 0, 0, 1, 1).toFloatArray()).as(width + " new output").isEqualTo(expected);
        }
    }

    @Test
    void fusedUpsampleEqualsUpsampleThenConvolve() {
        Random r = new Random(11);
        for (int[] dims : new int[][] {{5, 7, 3, 17}, {3, 4, 1, 1}, {16, 6, 5, 40}, {8, 13, 4, 9}}) for (DType dt : new DType[] {DType.F16, DType.BF16}) {
            int cin = dims[0], cout = dims[1], h = dims[2], wd = dims[3];
            Tensor x = ConvSweepTest.random(r, DType.F32, cin, h, wd), w = ConvSweepTest.random(r, dt, cout, cin, 3, 3);
            Tensor b = ConvSweepTest.random(r, DType.F32, cout);
            Conv2d.Packed p = Conv2d.prepare(w, b);
            Vectors.force("scalar");
            Tensor upsampled = Upsample.nearest2x(x);
            for (String width : new String[] {"scalar", "128", "256", "512"}) {
                if (!width.equals("scalar") && !Widths.supported().contains(width)) continue;
                Vectors.force(width);
                float[] expected = Conv2d.same(upsampled, w, b).toFloatArray();
                Tensor out = Tensor.zeros(cout, 2 * h, 2 * wd);
                Conv2d.upsample2xSame(x, p, out);
                assertThat(out.toFloatArray()).as(width + " " + dt + " " + java.util.Arrays.toString(dims)).isEqualTo(expected);
            }
        }
    }

    @Test
    void packedWeightsLiveInTheCallersArenaInTheirStoredWidth() {
        Random r = new Random(5);
        Tensor x = ConvSweepTest.random(r, DType.F32, 4, 5, 7);
        // 7 output channels pack as blocks of the tile's channels (6 or 8; the last padded with zeros): 12 or 8 × 4·3·3
        int packedRows = (7 + OpKernels.CONV_ROWS - 1) / OpKernels.CONV_ROWS * OpKernels.CONV_ROWS;
        for (DType dt : new DType[] {DType.BF16, DType.F32, DType.F16}) {
            Tensor w = ConvSweepTest.random(r, dt, 7, 4, 3, 3), b = ConvSweepTest.random(r, DType.F32, 7);
            Vectors.force("preferred");
            float[] expected = Conv2d.same(x, w, b).toFloatArray();
            Conv2d.Packed p;
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
                p = Conv2d.prepare(w, b, arena);
                assertThat(p.packedBytes()).as(dt + " before the first call").isZero();
                assertThat(Conv2d.forward(x, p, 1, 1, 1, 1, 1).toFloatArray()).as(dt.toString()).isEqualTo(expected);
                assertThat(p.packedBytes()).as(dt + " packed bytes").isEqualTo((long) packedRows * 36 * (dt == DType.BF16 ? 2 : 4));
            }
            Conv2d.Packed closed = p;
            assertThatThrownBy(() -> Conv2d.forward(x, closed, 1, 1, 1, 1, 1)).as(dt + " after close")
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void normalisedInputAndAccumulationEqualGroupNormThenConvThenAdd() {
        Random r = new Random(13);
        // {cin, cout, h, w, stride}; 3×3 same padding, or the downsampler's (0, 0, 1, 1) at stride 2; 40 rows give
        // each task a run of consecutive rows, so the normalised band carries over from row to row
        for (int[] d : new int[][] {{8, 6, 5, 21}, {12, 13, 4, 37}, {4, 7, 6, 9, 2}, {6, 5, 40, 19}, {4, 5, 40, 17, 2}})
            for (DType dt : new DType[] {DType.BF16, DType.F32}) {
                int cin = d[0], cout = d[1], h = d[2], wd = d[3], stride = d.length > 4 ? d[4] : 1;
                int[] pad = stride == 1 ? new int[] {1, 1, 1, 1} : new int[] {0, 0, 1, 1};
                Tensor x = ConvSweepTest.random(r, DType.F32, cin, h, wd);
                Tensor w = ConvSweepTest.random(r, dt, cout, cin, 3, 3);
                Tensor b = ConvSweepTest.random(r, DType.F32, cout), gw = ConvSweepTest.random(r, DType.F32, cin);
                Tensor gb = ConvSweepTest.random(r, DType.F32, cin);
                Conv2d.Packed p = Conv2d.prepare(w, b);
                int ho = (h + pad[0] + pad[2] - 3) / stride + 1, wo = (wd + pad[1] + pad[3] - 3) / stride + 1;
                Tensor residual = ConvSweepTest.random(r, DType.F32, cout, ho, wo);
                for (String width : ConvSweepTest.widthsAndScalar()) for (boolean silu : new boolean[] {true, false}) {
                    Vectors.force(width);
                    String what = width + " " + dt + " silu " + silu + " " + java.util.Arrays.toString(d);
                    Tensor normed = Tensor.zeros(cin, h, wd);
                    Norms.groupNorm(x, 2, gw, gb, 1e-6f, silu, normed);
                    Tensor expected = Conv2d.forward(normed, p, stride, pad[0], pad[1], pad[2], pad[3]);
                    Tensor sum = Tensor.zeros(cout, ho, wo);
                    Elementwise.add(expected, residual, sum);
                    GroupNormInput norm = Norms.groupNormInput(x, 2, gw, gb, 1e-6f, silu);
                    Tensor out = Tensor.zeros(cout, ho, wo);
                    out.setFloat(3, Float.NaN);
                    Conv2d.forward(x, norm, p, stride, pad[0], pad[1], pad[2], pad[3], false, out);
                    assertThat(out.toFloatArray()).as(what).isEqualTo(expected.toFloatArray());
                    Tensor acc = Tensor.zeros(cout, ho, wo);
                    acc.data().copyFrom(residual.data());
                    Conv2d.forward(x, norm, p, stride, pad[0], pad[1], pad[2], pad[3], true, acc);
                    assertThat(acc.toFloatArray()).as(what + " accumulated").isEqualTo(sum.toFloatArray());
                }
            }
    }

    @Test
    void rejectsAWronglyShapedOutput() {
        Conv2d.Packed p = Conv2d.prepare(Tensor.zeros(2, 3, 3, 3), null);
        assertThatThrownBy(() -> Conv2d.forward(Tensor.zeros(3, 4, 4), p, 1, 1, 1, 1, 1, Tensor.zeros(2, 4, 5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out");
        assertThatThrownBy(() -> Conv2d.upsample2xSame(Tensor.zeros(4, 2, 2), p, Tensor.zeros(2, 4, 4)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conv2d");
    }
}
