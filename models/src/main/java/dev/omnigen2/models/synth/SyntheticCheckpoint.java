package dev.omnigen2.models.synth;

import dev.omnigen2.models.qwen.Qwen25Vl;
import dev.omnigen2.models.qwen.Qwen25VlConfig;
import dev.omnigen2.models.transformer.OmniGen2Transformer;
import dev.omnigen2.models.transformer.OmniGen2TransformerConfig;
import dev.omnigen2.models.vae.FluxVae;
import dev.omnigen2.models.vae.FluxVaeConfig;
import dev.omnigen2.runtime.Half;
import dev.omnigen2.safetensors.SafetensorsDtype;
import dev.omnigen2.safetensors.SafetensorsWriter;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Writes an OmniGen2 checkpoint folder in the Hugging Face layout with random BF16 weights: {@link Preset#TINY}
 * (the golden pipeline checkpoint's dimensions; seconds) or {@link Preset#FULL} (the real dimensions, ~16 GB;
 * for benchmarks). The tensor list comes from binding each model to its config, so it is exactly what the loaders
 * require. Weights are a deterministic function of the seed and the tensor name.
 */
public final class SyntheticCheckpoint {
    private SyntheticCheckpoint() {}

    public enum Preset {
        TINY("tiny"), FULL("full");

        final String folder;

        Preset(String folder) { this.folder = folder; }

        public static Preset parse(String s) {
            for (Preset p : values()) if (p.folder.equalsIgnoreCase(s)) return p;
            throw new IllegalArgumentException("unknown preset '" + s + "': expected tiny or full");
        }
    }

    private static final String RES = "/dev/omnigen2/models/synth/";
    private static final long SHARD_BYTES = 5L << 30;

    /**
     * Writes the checkpoint into {@code out} (created; must be empty or absent). {@code progress} hears about each
     * component. With {@code zeros}, weights are left as sparse zeros (instant, no disk; outputs are meaningless).
     */
    public static void write(Path out, Preset preset, long seed, boolean zeros, Consumer<String> progress) {
        Consumer<String> log = progress == null ? s -> {} : progress;
        try {
            if (Files.exists(out) && Files.list(out).findAny().isPresent())
                throw new IllegalArgumentException(out + ": exists and is not empty");
            Files.createDirectories(out);
            copy(RES + "model_index.json", out.resolve("model_index.json"));
            for (String f : List.of("tokenizer.json", "tokenizer_config.json", "chat_template.json", "preprocessor_config.json"))
                copy(RES + "processor/" + f, out.resolve("processor").resolve(f));
            for (String c : List.of("mllm", "transformer", "vae"))
                copy(RES + preset.folder + "/" + c + "/config.json", out.resolve(c).resolve("config.json"));
            copy(RES + preset.folder + "/scheduler/scheduler_config.json", out.resolve("scheduler/scheduler_config.json"));

            log.accept("writing mllm");
            Map<String, int[]> mllm;
            try (ShapeRecorder r = new ShapeRecorder()) {
                Qwen25Vl.of(Qwen25VlConfig.load(out.resolve("mllm/config.json")), r);
                mllm = Map.copyOf(r.shapes());
                weights(r.shapes(), seed, zeros).writeSharded(out.resolve("mllm"), "model", SHARD_BYTES);
            }
            log.accept("writing transformer");
            try (ShapeRecorder r = new ShapeRecorder()) {
                OmniGen2Transformer.of(OmniGen2TransformerConfig.load(out.resolve("transformer/config.json")), r);
                weights(r.shapes(), seed, zeros).writeSharded(out.resolve("transformer"), "diffusion_pytorch_model", SHARD_BYTES);
            }
            log.accept("writing vae");
            try (ShapeRecorder r = new ShapeRecorder()) {
                FluxVae.of(FluxVaeConfig.load(out.resolve("vae/config.json")), r);
                weights(r.shapes(), seed, zeros).write(out.resolve("vae/diffusion_pytorch_model.safetensors"));
            }
            if (mllm.isEmpty()) throw new IllegalStateException("the mllm bound no tensors");
        } catch (IOException e) {
            throw new UncheckedIOException(out + ": " + e.getMessage(), e);
        }
    }

    private static void copy(String resource, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        try (InputStream in = SyntheticCheckpoint.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("missing bundled resource " + resource);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static SafetensorsWriter weights(Map<String, int[]> shapes, long seed, boolean zeros) {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (Map.Entry<String, int[]> e : shapes.entrySet()) {
            String name = e.getKey();
            int[] shape = e.getValue();
            if (zeros) {
                w.addZeros(name, SafetensorsDtype.BF16, shape);
                continue;
            }
            float[] init = init(name, shape);
            long stream = seed * 0x9E3779B97F4A7C15L ^ name.hashCode() * 0xBF58476D1CE4E5B9L;
            w.add(name, SafetensorsDtype.BF16, shape, seg -> fill(seg, init[0], init[1], stream));
        }
        return w;
    }

    /**
     * Mean and half-width of the uniform values of a tensor: 1 ± 0.05 for norm weights, ±0.02 for biases and
     * embedding tables, and a uniform of variance 1/fan_in for other matrices (the usual Linear scale).
     */
    static float[] init(String name, int[] shape) {
        boolean vector = shape.length == 1;
        if (vector && (name.contains("norm") || name.endsWith("ln_q.weight"))) return new float[] {1f, 0.05f};
        if (vector || name.endsWith("embed_tokens.weight") || name.endsWith("image_index_embedding")) return new float[] {0f, 0.02f};
        long fanIn = 1;
        for (int i = 1; i < shape.length; i++) fanIn *= shape[i];
        return new float[] {0f, (float) (Math.sqrt(3.0 / fanIn))};
    }

    private static void fill(MemorySegment seg, float mean, float halfWidth, long stream) {
        long n = seg.byteSize() / 2;
        long s = stream == 0 ? 1 : stream;
        ValueLayout.OfShort le = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            s ^= s << 13; s ^= s >>> 7; s ^= s << 17; // xorshift64
            float u = ((s >>> 40) * 0x1.0p-24f) * 2f - 1f;
            seg.setAtIndex(le, i, Half.f32ToBf16(mean + halfWidth * u));
        }
    }
}
