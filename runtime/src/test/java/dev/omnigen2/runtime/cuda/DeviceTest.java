package dev.omnigen2.runtime.cuda;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Linear;
import dev.omnigen2.runtime.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dispatch hook: selection by name, the fallback with its reason, and products routed to the chosen device. */
class DeviceTest {
    @TempDir Path empty;
    private StandIn standIn;
    private final Random rnd = new Random(7);

    @BeforeEach
    void reset() { standIn = StandIn.reset(); }

    @AfterEach
    void backToCpu() {
        Device.release();
        System.clearProperty(CudaLibraries.OVERRIDE_PROPERTY);
        System.clearProperty(CudaLinear.Options.MEMORY_PROPERTY);
        assertThat(standIn.liveDevice()).isZero();
        assertThat(standIn.liveHost()).isZero();
        assertThat(standIn.liveHandles()).isZero();
    }

    private Tensor random(DType dtype, int... shape) {
        Tensor t = Tensor.allocate(dtype, shape);
        for (long i = 0; i < t.numel(); i++) t.setFloat(i, (float) rnd.nextGaussian());
        return t;
    }

    @Test
    void autoFallsBackToTheCpuWithTheReasonWhenNoLibraryIsFound() {
        System.setProperty(CudaLibraries.OVERRIDE_PROPERTY, empty.toString());
        assertThat(Device.select("auto")).isEqualTo(Device.Kind.CPU);
        assertThat(Device.describe()).startsWith("device: cpu (CUDA unavailable: no libcudart").contains(empty.toString())
                .doesNotContain("\n");
        Tensor x = random(DType.F32, 3, 8), w = random(DType.BF16, 5, 8), b = random(DType.F32, 5);
        assertThat(Device.linear(x, w, b).toFloatArray()).containsExactly(Linear.forward(x, w, b).toFloatArray());
        assertThat(Device.cuda()).isNull();
    }

    @Test
    void cudaWithoutALibraryIsAnErrorSayingWhy() {
        System.setProperty(CudaLibraries.OVERRIDE_PROPERTY, empty.toString());
        assertThatThrownBy(() -> Device.select("cuda")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("--device cuda").hasMessageContaining("no libcudart");
    }

    @Test
    void autoWithoutADeviceFallsBackToTheCpu() {
        System.setProperty(CudaLibraries.OVERRIDE_PROPERTY, StandIn.dir().toString());
        standIn.setDeviceCount(0);
        assertThat(Device.select("AUTO")).isEqualTo(Device.Kind.CPU);
        assertThat(Device.describe()).contains("no CUDA-capable device is detected");
    }

    @Test
    void autoPicksTheGpuWhenTheBindingLoadsAndADeviceAnswers() {
        System.setProperty(CudaLibraries.OVERRIDE_PROPERTY, StandIn.dir().toString());
        assertThat(Device.select("auto")).isEqualTo(Device.Kind.CUDA);
        assertThat(Device.current()).isEqualTo(Device.Kind.CUDA);
        assertThat(Device.describe()).startsWith("device: cuda, bf16 GEMM, budget 512 MiB (CUDA 12: 1 device(s)");
        Tensor x = random(DType.F32, 2, 3, 16), w = random(DType.F32, 6, 16), b = random(DType.F32, 6);
        Tensor y = Device.linear(x, w, b);
        assertThat(y.shape()).containsExactly(2, 3, 6);
        assertThat(standIn.gemmCalls()).isEqualTo(1);
        float[] want = Linear.forward(x, w, b).toFloatArray(), got = y.toFloatArray();
        for (int i = 0; i < want.length; i++) assertThat(got[i]).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-4f));
        // Weights no backend takes fail with the same clear message, without a GPU call.
        Tensor w8 = Tensor.allocate(DType.F8_E4M3, 6, 16);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Device.linear(x, w8, null)).hasMessageContaining("F8_E4M3");
        assertThat(standIn.gemmCalls()).isEqualTo(1);
        assertThat(Device.cuda().stats().uploads()).isEqualTo(1);
    }

    @Test
    void aLayerThatCannotFitRunsOnTheCpuInstead() {
        System.setProperty(CudaLibraries.OVERRIDE_PROPERTY, StandIn.dir().toString());
        assertThat(Device.select("cuda")).isEqualTo(Device.Kind.CUDA);
        standIn.setDeviceMemory(3L << 20);
        Tensor x = random(DType.F32, 2, 1024), big = random(DType.BF16, 1024, 1024);  // 2 MiB weight + 2 MiB activations
        Tensor y = Device.linear(x, big, null);
        assertThat(standIn.gemmCalls()).isZero();
        assertThat(y.toFloatArray()).containsExactly(Linear.forward(x, big, null).toFloatArray());
    }

    @Test
    void cpuNeverTouchesTheGpuAndReselectingReleasesIt() {
        System.setProperty(CudaLibraries.OVERRIDE_PROPERTY, StandIn.dir().toString());
        Device.select("cuda");
        Device.linear(random(DType.F32, 2, 8), random(DType.BF16, 3, 8), null);
        assertThat(standIn.liveDevice()).isPositive();
        assertThat(Device.select("cpu")).isEqualTo(Device.Kind.CPU);
        assertThat(standIn.liveDevice()).isZero();
        assertThat(standIn.liveStreams()).isZero();
        long calls = standIn.gemmCalls();
        Device.linear(random(DType.F32, 2, 8), random(DType.BF16, 3, 8), null);
        assertThat(standIn.gemmCalls()).isEqualTo(calls);
        assertThat(Device.describe()).isEqualTo("device: cpu (selected)");
        assertThatThrownBy(() -> Device.select("tpu")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected auto, cpu or cuda");
    }
}
