package dev.omnigen2.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    @Command(name = "boom")
    static final class Boom implements Callable<Integer> {
        @Override public Integer call() { throw new IllegalStateException("a bug"); }
    }

    @Test
    void everySubcommandIsRegisteredInOnePlace() {
        CommandLine cmd = Main.commandLine();
        assertThat(cmd.getSubcommands()).containsKeys("inspect", "doctor", "help");
        assertThat(Main.SUBCOMMANDS).hasSize(cmd.getSubcommands().size() - 1);
    }

    @Test
    void doctorReportsJavaVectorsThreadsMemoryAndGpu() {
        CliRun run = CliRun.of("doctor");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("java:      " + Runtime.version())
                .containsPattern("vectors: +(\\d+-bit float vectors|scalar)")
                .containsPattern("threads: +\\d+ worker threads")
                .containsPattern("max heap: +\\d+\\.\\d GiB")
                .containsPattern("memory: +\\d+\\.\\d GiB (available|free) of \\d+\\.\\d GiB")
                .contains("gpu:       CUDA unavailable");
    }

    @Test
    void aBugPrintsItsStackTraceAndExitsWithOne() {
        CommandLine cmd = Main.commandLine();
        cmd.addSubcommand(new Boom());
        CliRun run = CliRun.of(cmd, "boom");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("internal error").contains("java.lang.IllegalStateException: a bug").contains("\tat ");
    }

    @Test
    void theRelaunchCommandNamesTheModuleTheJarAndTheArguments() {
        String cmd = Main.relaunchCommand(new String[]{"inspect", "a b"});
        assertThat(Main.jvmArgs()).isEqualTo("--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED");
        assertThat(cmd).contains("/bin/java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED")
                .contains(" -jar ").endsWith(" inspect 'a b'");
    }

    @Test
    void bootParsesJavaVersions() {
        assertThat(Boot.feature("1.8")).isEqualTo(8);
        assertThat(Boot.feature("17")).isEqualTo(17);
        assertThat(Boot.feature("25")).isEqualTo(25);
        assertThat(Boot.feature("x")).isZero();
        assertThat(Boot.feature(System.getProperty("java.specification.version"))).isGreaterThanOrEqualTo(Boot.REQUIRED);
    }
}
