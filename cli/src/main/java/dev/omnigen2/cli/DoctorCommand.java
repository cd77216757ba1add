package dev.omnigen2.cli;

import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.runtime.Vectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code omnigen2 doctor}: what this machine and JVM offer the runtime. */
@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = "Show the Java runtime, vector width, threads and memory available to omnigen2.")
final class DoctorCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Runtime rt = Runtime.getRuntime();
        out.printf("java:      %s (%s), %s%n", Runtime.version(), System.getProperty("java.vendor"), System.getProperty("java.home"));
        out.printf("os:        %s %s (%s)%n", System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf("vectors:   %s%n", Vectors.describe());
        out.printf("threads:   %d worker threads, %d processors%n", Parallel.threads(), rt.availableProcessors());
        out.printf("max heap:  %s%n", gib(rt.maxMemory()));
        out.printf("memory:    %s%n", memory());
        out.printf("gpu:       not available (no CUDA backend built yet)%n");
        out.flush();
        return 0;
    }

    /** Available and total physical memory: /proc/meminfo when present, else the OS bean. */
    private static String memory() {
        Path meminfo = Path.of("/proc/meminfo");
        if (Files.isReadable(meminfo)) {
            try {
                long total = -1, available = -1;
                for (String line : Files.readAllLines(meminfo)) {
                    if (line.startsWith("MemTotal:")) total = kib(line);
                    else if (line.startsWith("MemAvailable:")) available = kib(line);
                }
                if (total > 0 && available >= 0) return gib(available) + " available of " + gib(total);
            } catch (IOException | RuntimeException ignored) { // fall back to the OS bean
            }
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os)
            return gib(os.getFreeMemorySize()) + " free of " + gib(os.getTotalMemorySize());
        return "unknown";
    }

    private static long kib(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
    }

    private static String gib(long bytes) { return String.format("%.1f GiB", bytes / (double) (1L << 30)); }
}
