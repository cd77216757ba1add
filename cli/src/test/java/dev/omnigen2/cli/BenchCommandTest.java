package dev.omnigen2.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BenchCommandTest {
    @Test
    void kernelsJsonListsEveryLinearShapeWithPositiveFigures() throws Exception {
        CliRun r = CliRun.of("bench", "kernels", "--only", "linear-bf16", "--seconds", "0.01", "--threads", "2", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode rows = new ObjectMapper().readTree(r.out());
        // The five benchmark shapes, and the decode shape again cycling over copies of 1 GiB (read from memory).
        assertThat(rows.size()).isEqualTo(6);
        assertThat(rows.get(5).get("shape").asText()).matches("M=1 K=2048 N=11008 x[0-9]+ copies");
        for (JsonNode row : rows) {
            assertThat(row.get("kernel").asText()).isEqualTo("linear-bf16");
            assertThat(row.get("threads").asInt()).isEqualTo(2);
            assertThat(row.get("gflops").asDouble()).isPositive();
            assertThat(row.get("gbps").asDouble()).isPositive();
        }
        CliRun bad = CliRun.of("bench", "kernels", "--only", "fft");
        assertThat(bad.exitCode()).isEqualTo(Main.EXIT_USER_ERROR);
        assertThat(bad.err()).contains("unknown kernel 'fft'");
    }

    @Test
    void pipelineReportsStepAndDecodeTimes() throws Exception {
        CliRun r = CliRun.of("bench", "pipeline", "-m", Golden.dir("pipeline").resolve("checkpoint").toString(), "--sizes", "32",
                "--steps", "1", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(r.out());
        assertThat(report.get("32x32").get("seconds_per_step_cfg").asDouble()).isPositive();
        assertThat(report.get("32x32").get("vae_decode_s").asDouble()).isPositive();
        assertThat(report.get("prompt_tokens").asInt()).isGreaterThan(40);
    }
}
