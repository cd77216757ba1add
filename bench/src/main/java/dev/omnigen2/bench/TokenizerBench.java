package dev.omnigen2.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnigen2.tokenizer.QwenTokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.ToIntFunction;

/**
 * Encode throughput of {@link QwenTokenizer} next to Hugging Face's Rust tokenizers (through DJL's
 * JNI binding), single thread, same process, same inputs:
 * <ul>
 *   <li>the 553 GenEval prompts, one encode call per prompt;</li>
 *   <li>a 1 MB mixed-script text (the golden corpus texts in a seeded random order, joined by
 *       newlines), as one encode call and as one call per line.</li>
 * </ul>
 * Before timing, both tokenizers must agree on every id. A plain main with warm-up and
 * {@code System.nanoTime}: usage {@code TokenizerBench <processor dir> <evaluation_metadata.jsonl>
 * <cases.jsonl> [seconds per measurement]}.
 */
public final class TokenizerBench {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Thread CPU time: the figures per CPU second stay meaningful on a shared, busy machine. */
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    private TokenizerBench() {}

    public static void main(String[] args) throws Exception {
        Path processor = Path.of(args[0]);
        Path geneval = Path.of(args[1]);
        Path corpus = Path.of(args[2]);
        double seconds = args.length > 3 ? Double.parseDouble(args[3]) : 3.0;

        long t0 = System.nanoTime();
        QwenTokenizer java = QwenTokenizer.load(processor);
        double javaLoadMs = (System.nanoTime() - t0) / 1e6;
        t0 = System.nanoTime();
        HuggingFaceTokenizer rust = HuggingFaceTokenizer.builder().optTokenizerPath(processor.resolve("tokenizer.json"))
                .optAddSpecialTokens(false).optTruncation(false).optPadding(false).build();
        double rustLoadMs = (System.nanoTime() - t0) / 1e6;
        System.out.printf("load (first, cold JVM): java %.0f ms, rust (DJL %s) %.0f ms%n", javaLoadMs, rust.getVersion(), rustLoadMs);
        double javaWarmLoad = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            t0 = System.nanoTime();
            QwenTokenizer.load(processor);
            javaWarmLoad = Math.min(javaWarmLoad, (System.nanoTime() - t0) / 1e6);
        }
        System.out.printf("load (best of 3 more): java %.0f ms%n", javaWarmLoad);

        List<String> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(geneval)) if (!line.isBlank()) prompts.add(JSON.readTree(line).get("prompt").asText());
        String mixed = mixedScriptText(corpus, 1 << 20);
        List<String> mixedLines = List.of(mixed.split("(?<=\n)"));

        ToIntFunction<String> javaEncode = s -> java.encode(s).length;
        ToIntFunction<String> rustEncode = s -> rust.encode(s, false, false).getIds().length;
        // The same native encode, fetching only the ids (DJL's Encoding also copies tokens, offsets and masks over JNI).
        TokenizersLibrary lib = TokenizersLibrary.LIB;
        long handle = rust.getHandle();
        ToIntFunction<String> rustIdsOnly = s -> {
            long encoding = lib.encode(handle, s, false);
            int n = lib.getTokenIds(encoding).length;
            lib.deleteEncoding(encoding);
            return n;
        };

        checkAgreement(java, rust, prompts);
        checkAgreement(java, rust, List.of(mixed));
        checkAgreement(java, rust, mixedLines);

        System.out.println("workload                     impl      MB/s  Mtokens/s  ms/iteration  cpu-MB/s  cpu-Mtok/s");
        for (int round = 0; round < 2; round++) {
            report("geneval 553 prompts", "java", prompts, javaEncode, seconds);
            report("geneval 553 prompts", "rust", prompts, rustEncode, seconds);
            report("geneval 553 prompts", "rust-ids", prompts, rustIdsOnly, seconds);
            report("mixed-script 1 MB", "java", List.of(mixed), javaEncode, seconds);
            report("mixed-script 1 MB", "rust", List.of(mixed), rustEncode, seconds);
            report("mixed-script 1 MB", "rust-ids", List.of(mixed), rustIdsOnly, seconds);
            report("mixed-script 1 MB by line", "java", mixedLines, javaEncode, seconds);
            report("mixed-script 1 MB by line", "rust", mixedLines, rustEncode, seconds);
            report("mixed-script 1 MB by line", "rust-ids", mixedLines, rustIdsOnly, seconds);
        }
        rust.close();
    }

    /** The golden corpus texts, shuffled with a fixed seed and repeated until the UTF-8 size reaches {@code bytes}. */
    static String mixedScriptText(Path casesJsonl, int bytes) throws Exception {
        List<String> texts = new ArrayList<>();
        for (String line : Files.readAllLines(casesJsonl)) {
            JsonNode k = JSON.readTree(line);
            if (!k.get("text").asText().isEmpty()) texts.add(k.get("text").asText());
        }
        StringBuilder sb = new StringBuilder();
        Random random = new Random(20250705);
        int size = 0;
        while (size < bytes) {
            Collections.shuffle(texts, random);
            for (String t : texts) {
                sb.append(t).append('\n');
                size += t.getBytes(StandardCharsets.UTF_8).length + 1;
                if (size >= bytes) break;
            }
        }
        return sb.toString();
    }

    private static void checkAgreement(QwenTokenizer java, HuggingFaceTokenizer rust, List<String> texts) {
        for (String t : texts) {
            int[] a = java.encode(t);
            long[] b = rust.encode(t, false, false).getIds();
            int[] bi = Arrays.stream(b).mapToInt(x -> (int) x).toArray();
            if (!Arrays.equals(a, bi)) {
                throw new IllegalStateException("java and rust ids differ for text of " + t.length() + " chars: "
                        + (t.length() > 80 ? t.substring(0, 80) + "…" : t));
            }
        }
    }

    private static void report(String workload, String impl, List<String> texts, ToIntFunction<String> encode, double seconds) {
        long bytes = 0;
        for (String t : texts) bytes += t.getBytes(StandardCharsets.UTF_8).length;
        // warm-up: a third of the time
        long end = System.nanoTime() + (long) (seconds / 3 * 1e9);
        while (System.nanoTime() < end) for (String t : texts) encode.applyAsInt(t);
        long tokens = 0, iterations = 0;
        long cpuStart = THREADS.getCurrentThreadCpuTime();
        long start = System.nanoTime();
        end = start + (long) (seconds * 1e9);
        long now;
        do {
            for (String t : texts) tokens += encode.applyAsInt(t);
            iterations++;
        } while ((now = System.nanoTime()) < end);
        double s = (now - start) / 1e9;
        double cpu = (THREADS.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        System.out.printf("%-28s %-8s %8.2f %10.3f %12.3f %10.2f %10.3f%n", workload, impl, bytes * iterations / s / 1e6,
                tokens / s / 1e6, s * 1e3 / iterations, bytes * iterations / cpu / 1e6, tokens / cpu / 1e6);
    }
}
