package dev.omnigen2.cli;

import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the shaded jar and bin/omnigen2 as real processes (failsafe, after package, so the jar exists). */
class LauncherIT {
    static final Path JAR = Path.of(System.getProperty("omnigen2.jar"));
    static final Path ARGFILE = Path.of(System.getProperty("omnigen2.jvmargs"));
    static final Path LAUNCHER = Path.of(System.getProperty("omnigen2.launcher"));
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    static final Path CHECKPOINT = Golden.dir("pipeline").resolve("checkpoint");

    record Result(int code, String out, List<String> err) {}

    static Result run(String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Path out = Files.createTempFile("out", ".txt"), err = Files.createTempFile("err", ".txt");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("finished").isTrue();
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readAllLines(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void theJarRunsWithTheArgfileTheBuildWrote() throws Exception {
        assertThat(Files.readString(ARGFILE).trim()).isEqualTo("--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED");
        Result r = run(JAVA, "@" + ARGFILE, "-jar", JAR.toString(), "inspect", CHECKPOINT.toString());
        assertThat(r.code()).as(String.join("\n", r.err())).isZero();
        assertThat(r.out()).contains("== transformer: ").contains("== checkpoint total: 5 components");
    }

    @Test
    void theLauncherRunsInspectAndDoctor() throws Exception {
        Result r = run("sh", LAUNCHER.toString(), "inspect", "--json", CHECKPOINT.resolve("vae").toString());
        assertThat(r.code()).as(String.join("\n", r.err())).isZero();
        assertThat(r.err()).isEmpty(); // the JVM's incubator warning is filtered by the launcher
        assertThat(r.out()).contains("\"layout\" : \"single file\"");
        Result d = run("sh", LAUNCHER.toString(), "doctor");
        assertThat(d.code()).isZero();
        assertThat(d.out()).contains("gpu:       not available (no CUDA backend built yet)");
    }

    @Test
    void theLauncherReportsBadInputAsOneLineWithExitCodeTwo() throws Exception {
        Path missing = Path.of("/nonexistent/omnigen2/checkpoint");
        Result r = run("sh", LAUNCHER.toString(), "inspect", missing.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).containsExactly("error: " + missing + ": no such file or folder");
    }

    @Test
    void withoutTheIncubatorModuleTheJarPrintsTheCommandToUse() throws Exception {
        Result r = run(JAVA, "-jar", JAR.toString(), "inspect", "x y");
        assertThat(r.code()).isEqualTo(2);
        String err = String.join("\n", r.err());
        assertThat(err).doesNotContain("Exception").doesNotContain("\tat ")
                .contains(JAVA + " " + Files.readString(ARGFILE).trim() + " ")
                .contains("-jar " + JAR + " inspect 'x y'")
                .contains(LAUNCHER + " inspect 'x y'");
    }

    @Test
    void theManifestNamesTheBootClassAndEnablesNativeAccess() throws Exception {
        try (var jar = new java.util.jar.JarFile(JAR.toFile())) {
            var attrs = jar.getManifest().getMainAttributes();
            assertThat(attrs.getValue("Main-Class")).isEqualTo("dev.omnigen2.cli.Boot");
            assertThat(attrs.getValue("Enable-Native-Access")).isEqualTo("ALL-UNNAMED");
            assertThat(jar.getEntry("picocli/CommandLine.class")).as("shaded").isNotNull();
            assertThat(jar.getEntry("dev/omnigen2/safetensors/SafetensorsFile.class")).isNotNull();
        }
        List<String> cmd = new ArrayList<>(Arrays.asList(JAVA, "-cp", JAR.toString(), "dev.omnigen2.cli.Boot"));
        assertThat(run(cmd.toArray(String[]::new)).code()).as("no arguments without the module").isEqualTo(2);
    }
}
