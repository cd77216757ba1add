package dev.omnigen2.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Entry point of {@code bench/target/benchmarks.jar}: the JMH command line (same arguments as JMH's own main), with
 * the JVM arguments every fork needs (the Vector API incubator module, native access) appended, so nobody has to
 * remember them. Extra fork arguments: {@code -Dbench.jvmArgs="..."} (space separated).
 */
public final class BenchMain {
    /** What every benchmark JVM needs; the parent POM's {@code vector.args} says the same. */
    static final List<String> FORK_ARGS = List.of("--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED");

    private BenchMain() {}

    public static void main(String[] args) throws RunnerException, CommandLineOptionException {
        CommandLineOptions cli = new CommandLineOptions(args);
        List<String> jvm = new ArrayList<>(FORK_ARGS);
        String extra = System.getProperty("bench.jvmArgs", "").trim();
        if (!extra.isEmpty()) jvm.addAll(Arrays.asList(extra.split("\\s+")));
        new Runner(new OptionsBuilder().parent(cli).jvmArgsAppend(jvm.toArray(String[]::new)).build()).run();
    }
}
