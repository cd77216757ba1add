package dev.omnigen2.cli;

import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Parallel;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** Threads, device and verbosity, shared by every command that runs a model. */
final class RuntimeOptions {
    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all processors).")
    Integer threads;

    @Option(names = "--device", paramLabel = "KIND", description = "auto, cpu or cuda (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = {"-v", "--verbose"}, description = "Say what is loaded and which backend runs.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "No progress output.")
    boolean quiet;

    void apply(PrintWriter err) {
        if (threads != null) {
            if (threads < 1) throw new UserException("--threads must be at least 1, got " + threads);
            Parallel.setThreads(threads);
        }
        if (!device.equals("auto") && !device.equals("cpu") && !device.equals("cuda"))
            throw new UserException("--device: expected auto, cpu or cuda, got '" + device + "'");
        try {
            Device.select(device);
        } catch (RuntimeException e) {
            throw new UserException("--device " + device + ": " + e.getMessage());
        }
        if (verbose) {
            err.println("device: " + Device.describe());
            err.println("threads: " + Parallel.threads());
            err.flush();
        }
    }
}
