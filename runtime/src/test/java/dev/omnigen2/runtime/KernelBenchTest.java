package dev.omnigen2.runtime;

import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class KernelBenchTest {
    @Test
    void measuresTheChosenShapeAndPrintsJson() {
        List<KernelBench.Result> seen = new java.util.ArrayList<>();
        List<KernelBench.Result> results = KernelBench.run(1, 0.01,
                (kernel, shape) -> kernel.equals("linear-f32") && shape.equals("M=1 K=2048 N=11008"), seen::add);
        assertThat(results).hasSize(1).isEqualTo(seen);
        KernelBench.Result r = results.get(0);
        assertThat(r.threads()).isEqualTo(1);
        assertThat(r.gflops()).isPositive();
        // M=1: one multiply-add per weight, 4 bytes per F32 weight → GB/s ≈ 2 × GFLOP/s.
        assertThat(r.gbps()).isBetween(1.9 * r.gflops(), 2.1 * r.gflops());
        assertThat(r.toJson()).matches("\\{\"kernel\":\"linear-f32\",\"shape\":\"M=1 K=2048 N=11008\",\"threads\":1,"
                + "\"gflops\":[0-9.]+,\"gbps\":[0-9.]+}");
        assertThat(KernelBench.kernels()).contains("linear-bf16", "linear-f32", "attention", "conv2d");
    }
}
