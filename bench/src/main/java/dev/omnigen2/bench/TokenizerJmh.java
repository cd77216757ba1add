package dev.omnigen2.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.omnigen2.tokenizer.QwenTokenizer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * JMH twin of {@link TokenizerBench}: encode time of all 553 GenEval prompts (one call each) and of a 1 MB
 * mixed-script text (one call), for our tokenizer and Hugging Face's Rust tokenizers through DJL, one thread.
 * Run from the repository root: {@code java -jar bench/target/benchmarks.jar TokenizerJmh}; MB/s = bytes / time
 * (the setup prints the byte counts).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TokenizerJmh {
    @Param({"java", "rust"})
    public String impl;

    @Param({"testdata"})
    public String testdata;

    private QwenTokenizer java;
    private HuggingFaceTokenizer rust;
    private List<String> prompts;
    private String mixed;

    @Setup(Level.Trial)
    public void setup() throws Exception {
        Path root = Path.of(testdata);
        Path processor = root.resolve("golden/pipeline/checkpoint/processor");
        if (impl.equals("java")) java = QwenTokenizer.load(processor);
        else rust = HuggingFaceTokenizer.builder().optTokenizerPath(processor.resolve("tokenizer.json"))
                .optAddSpecialTokens(false).optTruncation(false).optPadding(false).build();
        ObjectMapper json = new ObjectMapper();
        prompts = new ArrayList<>();
        for (String line : Files.readAllLines(root.resolve("geneval/evaluation_metadata.jsonl")))
            if (!line.isBlank()) prompts.add(json.readTree(line).get("prompt").asText());
        mixed = TokenizerBench.mixedScriptText(root.resolve("golden/tokenizer/cases.jsonl"), 1 << 20);
        long promptBytes = prompts.stream().mapToLong(p -> p.getBytes(StandardCharsets.UTF_8).length).sum();
        System.out.printf("%ngeneval prompts: %d bytes; mixed text: %d bytes%n", promptBytes,
                mixed.getBytes(StandardCharsets.UTF_8).length);
    }

    @TearDown(Level.Trial)
    public void close() {
        if (rust != null) rust.close();
    }

    private int encode(String s) {
        return java != null ? java.encode(s).length : rust.encode(s, false, false).getIds().length;
    }

    @Benchmark
    public int genevalPrompts() {
        int n = 0;
        for (String p : prompts) n += encode(p);
        return n;
    }

    @Benchmark
    public int mixedScript1MB() { return encode(mixed); }
}
