package dev.omnigen2.bench;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Parallel;
import dev.omnigen2.safetensors.Safetensors;
import dev.omnigen2.safetensors.SafetensorsWriter;
import dev.omnigen2.safetensors.ShardedCheckpoint;
import dev.omnigen2.safetensors.TensorStore;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;

/**
 * Opening and streaming a checkpoint of the real OmniGen2 size: writes a sparse sharded BF16 checkpoint of about
 * 16 GB (transformer-like layers, 5 GB shards, all zeros so the files take almost no disk), then measures the
 * time and resident memory of opening it (headers only), the speed of streaming every tensor through a checksum,
 * and {@code cat} of the same files for comparison; deletes the files at the end.
 *
 * <p>Usage: {@code java @cli/target/omnigen2.jvmargs -cp <bench classpath> dev.omnigen2.bench.SafetensorsCheckpointBench
 * [folder] [gigabytes]} (defaults: a new folder under the temp dir, 16).
 */
public final class SafetensorsCheckpointBench {
    private SafetensorsCheckpointBench() {}

    public static void main(String[] args) throws Exception {
        Path dir = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("omnigen2-bench-ckpt");
        double gigabytes = args.length > 1 ? Double.parseDouble(args[1]) : 16;
        try {
            run(dir, (long) (gigabytes * 1e9));
        } finally {
            deleteTree(dir);
        }
    }

    private static void run(Path dir, long targetBytes) throws Exception {
        // Layers shaped like a 3072-wide transformer block: attention 4 x [3072, 3072], MLP 3 x [8192, 3072], norms.
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        int layer = 0;
        while (w.dataSize() < targetBytes) {
            String p = "layers." + layer++ + ".";
            for (String n : List.of("attn.to_q", "attn.to_k", "attn.to_v", "attn.to_out.0")) w.addZeros(p + n + ".weight", DType.BF16, 3072, 3072);
            w.addZeros(p + "feed_forward.w1.weight", DType.BF16, 8192, 3072);
            w.addZeros(p + "feed_forward.w3.weight", DType.BF16, 8192, 3072);
            w.addZeros(p + "feed_forward.w2.weight", DType.BF16, 3072, 8192);
            for (String n : List.of("attention_norm1", "attention_norm2", "ffn_norm1", "ffn_norm2")) w.addZeros(p + n + ".weight", DType.BF16, 3072);
        }
        long t0 = System.nanoTime();
        w.writeSharded(dir, "diffusion_pytorch_model", 5_000_000_000L);
        double writeS = seconds(t0);
        List<Path> shards = files(dir);
        System.out.printf("checkpoint: %d tensors, %.2f GB of BF16 in %d shards, written sparse in %.2f s; on disk: %s%n",
                w.names().size(), w.dataSize() / 1e9, shards.size(), writeS, du(dir));

        long rssBefore = rssKb();
        t0 = System.nanoTime();
        TensorStore store = Safetensors.open(dir);
        double openMs = seconds(t0) * 1e3;
        long rssAfterOpen = rssKb();
        System.out.printf("open (first): %.1f ms, resident memory +%d KiB (VmRSS %d -> %d KiB)%n",
                openMs, rssAfterOpen - rssBefore, rssBefore, rssAfterOpen);
        store.close();
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            t0 = System.nanoTime();
            Safetensors.open(dir).close();
            best = Math.min(best, seconds(t0) * 1e3);
        }
        System.out.printf("open (best of 5 more): %.1f ms%n", best);

        try (TensorStore st = Safetensors.open(dir)) {
            System.out.printf("shards: %d, declared total_size %d bytes%n", ((ShardedCheckpoint) st).shards().size(),
                    ((ShardedCheckpoint) st).declaredTotalSize().orElse(-1));
            List<String> names = new ArrayList<>(st.names());
            // The first pass touches every page for the first time (for a sparse file the kernel then fills the page
            // cache with zero pages); later passes read the page cache through the existing mappings.
            stream("cold, first touch", st, names, 1, w.dataSize());
            for (int pass = 1; pass <= 2; pass++) {
                stream("warm pass " + pass, st, names, 1, w.dataSize());
                stream("warm pass " + pass, st, names, Runtime.getRuntime().availableProcessors(), w.dataSize());
            }
        }
        for (int pass = 1; pass <= 2; pass++) {
            List<String> cmd = new ArrayList<>(List.of("cat"));
            shards.forEach(p -> cmd.add(p.toString()));
            t0 = System.nanoTime();
            int rc = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            double s = seconds(t0);
            System.out.printf("cat shards > /dev/null pass %d: %.2f s, %.2f GB/s (exit %d)%n", pass, s, w.dataSize() / 1e9 / s, rc);
        }
    }

    private static void stream(String what, TensorStore st, List<String> names, int threads, long bytes) throws IOException {
        Parallel.setThreads(threads);
        AtomicLongArray sums = new AtomicLongArray(names.size());
        long t0 = System.nanoTime();
        Parallel.forEach(names.size(), i -> sums.set(i, checksum(st.tensor(names.get(i)).data())));
        double s = seconds(t0);
        long sum = 0;
        for (int i = 0; i < names.size(); i++) sum += sums.get(i);
        System.out.printf("checksum %s, %d thread(s): %.2f s, %.2f GB/s (sum %d), VmRSS %d KiB%n",
                what, threads, s, bytes / 1e9 / s, sum, rssKb());
    }

    /** Sum of the data as little-endian longs (the tail bytes added one by one), so every byte is read. */
    static long checksum(MemorySegment data) {
        long n = data.byteSize(), sum = 0, i = 0;
        for (; i + 8 <= n; i += 8) sum += data.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
        for (; i < n; i++) sum += data.get(ValueLayout.JAVA_BYTE, i);
        return sum;
    }

    private static double seconds(long t0) { return (System.nanoTime() - t0) / 1e9; }

    private static long rssKb() { return dev.omnigen2.runtime.ProcessMemory.bytes("VmRSS") / 1024; }

    private static String du(Path dir) throws Exception {
        Process p = new ProcessBuilder("du", "-sh", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        p.waitFor();
        return out.split("\\s+")[0];
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
