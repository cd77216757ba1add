package dev.omnigen2.models.chat;

import dev.omnigen2.models.qwen.GenerationOptions;
import dev.omnigen2.models.qwen.Qwen25Vl;
import dev.omnigen2.tokenizer.QwenTokenizer;
import dev.omnigen2.tokenizer.StreamDecoder;

import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * Token generation on Qwen2.5-VL with the stopping rules of transformers' {@code generate}: a stop id (EOS), stop
 * strings ({@link StopStrings}), the token budget, and the caller's cancellation, all checked after every token.
 * Text is streamed through the tokenizer's {@link StreamDecoder}, so a piece is handed out only once its UTF-8
 * sequences are complete.
 */
final class TextGenerator {
    private final Qwen25Vl mllm;
    private final QwenTokenizer tokenizer;

    TextGenerator(Qwen25Vl mllm, QwenTokenizer tokenizer) {
        this.mllm = mllm;
        this.tokenizer = tokenizer;
    }

    /** Why generation ended. */
    enum Finish { STOP_TOKEN, STOP_STRING, LENGTH }

    record Generated(int[] ids, Finish finish) {}

    /**
     * @param inputs      the processed prompt
     * @param options     token choice, budget and stop ids
     * @param stopStrings stop strings (may be empty)
     * @param streamed    which generated ids reach {@code onText} (e.g. not the final {@code <|im_end|>})
     * @param skipSpecial decode the stream without special tokens
     * @param onText      receives each complete piece of text (may be null)
     * @param cancelled   polled after every token; true ends generation with a {@link CancellationException}
     */
    Generated generate(ChatProcessor.Inputs inputs, GenerationOptions options, List<String> stopStrings, IntPredicate streamed,
                       boolean skipSpecial, Consumer<String> onText, BooleanSupplier cancelled) {
        StopStrings stops = new StopStrings(tokenizer, stopStrings);
        StreamDecoder stream = tokenizer.streamDecoder(skipSpecial);
        int[] ids = new int[options.maxNewTokens()];
        int[] count = {0};
        Finish[] finish = {Finish.LENGTH};
        var patches = inputs.patches();
        try {
            mllm.generate(inputs.ids(), patches == null ? null : patches.pixelValues(), patches == null ? null : patches.gridThw(),
                    options, token -> {
                        ids[count[0]++] = token;
                        if (onText != null && streamed.test(token)) {
                            String piece = stream.push(token);
                            if (!piece.isEmpty()) onText.accept(piece);
                        }
                        if (isStopId(options, token)) {
                            finish[0] = Finish.STOP_TOKEN;
                            return;
                        }
                        if (stops.matches(ids, count[0])) {
                            finish[0] = Finish.STOP_STRING;
                            throw Stop.INSTANCE;
                        }
                        if (cancelled != null && cancelled.getAsBoolean())
                            throw new CancellationException("text generation cancelled after " + count[0] + " tokens");
                    });
        } catch (Stop s) {
            // a stop string ended generation before the model's next forward pass
        }
        if (onText != null) {
            String rest = stream.finish();
            if (!rest.isEmpty()) onText.accept(rest);
        }
        return new Generated(Arrays.copyOf(ids, count[0]), finish[0]);
    }

    private static boolean isStopId(GenerationOptions options, int token) {
        for (int s : options.stopTokenIds()) if (s == token) return true;
        return false;
    }

    /** The ids of those tokens (added tokens written as text, e.g. {@code <|im_end|>}) that the tokenizer has. */
    static int[] idsOf(QwenTokenizer tokenizer, List<String> tokens) {
        return tokens.stream().map(tokenizer::tokenId).filter(OptionalInt::isPresent).mapToInt(OptionalInt::getAsInt).toArray();
    }

    /** Ends {@link Qwen25Vl#generate} from inside its token callback (no stack trace: this is control flow). */
    private static final class Stop extends RuntimeException {
        static final Stop INSTANCE = new Stop();

        private Stop() { super(null, null, false, false); }
    }
}
