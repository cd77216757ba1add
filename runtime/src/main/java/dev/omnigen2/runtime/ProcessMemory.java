package dev.omnigen2.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's memory as Linux reports it in {@code /proc/self/status}, for benchmarks and reports. */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** A field of /proc/self/status in bytes (e.g. "VmHWM", "VmRSS", "RssAnon", "RssFile"), or -1 when unknown. */
    public static long bytes(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        } catch (IOException | RuntimeException e) {
            return -1; // not Linux
        }
        return -1;
    }

    /** Peak resident set size (VmHWM) in MiB, or -1 when unknown. */
    public static long peakRssMiB() {
        long b = bytes("VmHWM");
        return b < 0 ? -1 : b >> 20;
    }
}
