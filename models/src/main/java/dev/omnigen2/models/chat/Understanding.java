package dev.omnigen2.models.chat;

import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.qwen.GenerationOptions;
import dev.omnigen2.models.qwen.Qwen25Vl;
import dev.omnigen2.tokenizer.ChatMessage;
import dev.omnigen2.tokenizer.ChatTemplate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Image understanding: Qwen2.5-VL answers a question about zero or more images, as a plain Qwen2.5-VL chat.
 *
 * <p>The prompt is Qwen2.5-VL's own chat template: its default system message, one user turn holding the images
 * ({@code <|vision_start|><|image_pad|><|vision_end|>} each) followed by the question, and the assistant's
 * generation prompt. Generation stops at {@code <|im_end|>} or {@code <|endoftext|>} (looked up by their text in
 * the tokenizer) or after {@link Options#maxNewTokens}; the answer is the decoded text without special tokens.
 *
 * <pre>{@code
 * try (Understanding u = Understanding.load(CheckpointFolder.open("OmniGen2/OmniGen2"), null)) {
 *     String answer = u.understand(List.of(ImageLoader.load(path)), "What is in this picture?",
 *             Understanding.Options.greedy(512), System.out::print, () -> false).text();
 * }
 * }</pre>
 */
public final class Understanding implements AutoCloseable {
    /** The stop tokens of Qwen2.5-VL-Instruct's generation config, by text. */
    static final List<String> STOP_TOKENS = List.of("<|im_end|>", "<|endoftext|>");

    private final ChatProcessor processor;
    private final Qwen25Vl mllm;
    private final boolean ownsModel;

    /** Understanding on an already loaded processor and model (the caller keeps ownership of the model). */
    public Understanding(ChatProcessor processor, Qwen25Vl mllm) { this(processor, mllm, false); }

    private Understanding(ChatProcessor processor, Qwen25Vl mllm, boolean ownsModel) {
        this.processor = processor;
        this.mllm = mllm;
        this.ownsModel = ownsModel;
    }

    /** Loads the processor and {@code mllm/} of a checkpoint; {@code processorOverlay} (may be null) as {@link ChatProcessor#load}. */
    public static Understanding load(CheckpointFolder checkpoint, Path processorOverlay) {
        ChatProcessor processor = ChatProcessor.load(checkpoint.component("processor"), processorOverlay);
        return new Understanding(processor, Qwen25Vl.load(checkpoint.component("mllm")), true);
    }

    /**
     * How tokens are chosen.
     *
     * @param maxNewTokens at most this many tokens are generated
     * @param sample       false: greedy; true: sampling with the parameters below
     * @param temperature  divides the logits before sampling (> 0)
     * @param topK         keep the k most likely tokens (0 = all)
     * @param topP         nucleus mass in (0, 1] (1 = off)
     * @param seed         seed of the sampling stream
     */
    public record Options(int maxNewTokens, boolean sample, float temperature, int topK, float topP, long seed) {
        public Options {
            // validated by the same rules as the model's generation options
            toGeneration(maxNewTokens, sample, temperature, topK, topP, seed, new int[0]);
        }

        public static Options greedy(int maxNewTokens) { return new Options(maxNewTokens, false, 1f, 0, 1f, 0); }

        public static Options sampled(int maxNewTokens, float temperature, int topK, float topP, long seed) {
            return new Options(maxNewTokens, true, temperature, topK, topP, seed);
        }

        GenerationOptions generation(int... stopIds) { return toGeneration(maxNewTokens, sample, temperature, topK, topP, seed, stopIds); }

        private static GenerationOptions toGeneration(int max, boolean sample, float temperature, int topK, float topP, long seed, int[] stops) {
            return new GenerationOptions(max, sample, temperature, topK, topP, seed, stops);
        }
    }

    /**
     * An answer.
     *
     * @param text         the decoded answer, special tokens removed
     * @param prompt       the rendered prompt (image pads not yet expanded)
     * @param promptIds    the prompt's token ids (image pads expanded)
     * @param generatedIds the generated ids, the stop token included when one was reached
     * @param complete     true when a stop token ended the answer, false when the token budget did
     */
    public record Answer(String text, String prompt, int[] promptIds, int[] generatedIds, boolean complete) {}

    /** Qwen2.5-VL's chat template for one question about some images, with the generation prompt. */
    public static String prompt(int numImages, String question) {
        List<ChatMessage.ContentPart> parts = new ArrayList<>();
        for (int i = 0; i < numImages; i++) parts.add(ChatMessage.ContentPart.image());
        parts.add(ChatMessage.ContentPart.text(question));
        return ChatTemplate.render(List.of(ChatMessage.of("user", parts)), true, false);
    }

    /** A greedy answer of at most 512 tokens, not streamed. */
    public String understand(List<RgbImage> images, String question) {
        return understand(images, question, Options.greedy(512), null, null).text();
    }

    /**
     * Answers a question about the images.
     *
     * @param onText    receives the answer piece by piece as it is generated, each piece whole UTF-8 (may be null)
     * @param cancelled polled after every token; true ends with a {@link java.util.concurrent.CancellationException}
     *                  (may be null)
     * @throws IllegalArgumentException for an image with a side shorter than the vision model's 28-pixel unit
     */
    public Answer understand(List<RgbImage> images, String question, Options options, Consumer<String> onText,
                             BooleanSupplier cancelled) {
        if (question == null) throw new IllegalArgumentException("question must not be null");
        String prompt = prompt(images.size(), question);
        ChatProcessor.Inputs inputs = processor.process(prompt, images);
        int[] stopIds = TextGenerator.idsOf(processor.tokenizer(), STOP_TOKENS);
        TextGenerator.Generated g = new TextGenerator(mllm, processor.tokenizer()).generate(inputs, options.generation(stopIds),
                List.of(), id -> true, true, onText, cancelled);
        return new Answer(processor.tokenizer().decode(g.ids(), true), prompt, inputs.ids(), g.ids(),
                g.finish() == TextGenerator.Finish.STOP_TOKEN);
    }

    @Override
    public void close() {
        if (ownsModel) mllm.close();
    }
}
