package dev.omnigen2.models.chat;

import dev.omnigen2.models.image.ImageLoader;
import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.qwen.GenerationOptions;
import dev.omnigen2.models.qwen.Qwen25Vl;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Understanding mode on the pipeline fixture's tiny checkpoint (random weights: the answers are gibberish, but exact). */
class UnderstandingTest {
    private static ChatProcessor processor;
    private static Qwen25Vl mllm;
    private static Understanding understanding;
    private static RgbImage photo;

    @BeforeAll
    static void load() {
        Path checkpoint = Golden.dir("pipeline").resolve("checkpoint");
        // the chat fixture's overlay lowers max_pixels, which keeps the vision tower's input small
        processor = ChatProcessor.load(checkpoint.resolve("processor"), Golden.dir("pipeline-chat").resolve("processor"));
        mllm = Qwen25Vl.load(checkpoint.resolve("mllm"));
        understanding = new Understanding(processor, mllm);
        photo = ImageLoader.load(Golden.dir("pipeline").resolve("images/01.jpg"));
    }

    @AfterAll
    static void close() { mllm.close(); }

    @Test
    void promptIsQwenChatTemplateWithDefaultSystemMessage() {
        assertThat(Understanding.prompt(2, "Compare them."))
                .isEqualTo("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                        + "<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|image_pad|><|vision_end|>Compare them.<|im_end|>\n"
                        + "<|im_start|>assistant\n");
    }

    @Test
    void greedyAnswerIsTheDecodeOfADirectGenerateCall() {
        StringBuilder streamed = new StringBuilder();
        Understanding.Answer a = understanding.understand(List.of(photo), "What is in this picture?",
                Understanding.Options.greedy(12), streamed::append, null);

        ChatProcessor.Inputs in = processor.process(Understanding.prompt(1, "What is in this picture?"), List.of(photo));
        assertThat(a.promptIds()).containsExactly(in.ids());
        // 224x224 after smart_resize with the overlay's max_pixels: 16x16 patches, 64 pads
        assertThat(in.patches().gridThw()[0]).containsExactly(1, 16, 16);
        assertThat(java.util.Arrays.stream(in.ids()).filter(id -> id == 151655).count()).isEqualTo(64);
        int[] direct = mllm.generate(in.ids(), in.patches().pixelValues(), in.patches().gridThw(),
                GenerationOptions.greedy(12, 151645, 151643), null);
        assertThat(a.generatedIds()).containsExactly(direct);
        assertThat(a.text()).isEqualTo(processor.tokenizer().decode(direct, true)).isNotEmpty();
        assertThat(streamed.toString()).isEqualTo(a.text());
        assertThat(streamed.toString()).doesNotContain("\uFFFD");
        assertThat(a.complete()).isEqualTo(direct[direct.length - 1] == 151645 || direct[direct.length - 1] == 151643);
    }

    @Test
    void textOnlyQuestionNeedsNoImage() {
        Understanding.Answer a = understanding.understand(List.of(), "Hello?", Understanding.Options.greedy(4), null, null);
        int[] ids = processor.tokenizer().encode(Understanding.prompt(0, "Hello?"));
        assertThat(a.promptIds()).containsExactly(ids);
        assertThat(a.generatedIds()).containsExactly(mllm.generate(ids, null, null, GenerationOptions.greedy(4, 151645, 151643), null));
    }

    @Test
    void sampledAnswerIsReproducibleFromItsSeed() {
        var options = Understanding.Options.sampled(6, 0.8f, 50, 0.9f, 42);
        int[] first = understanding.understand(List.of(photo), "Describe.", options, null, null).generatedIds();
        int[] second = understanding.understand(List.of(photo), "Describe.", options, null, null).generatedIds();
        assertThat(first).hasSize(6).containsExactly(second);
    }

    @Test
    void tinyImageIsRejectedWithItsSize() {
        RgbImage tiny = new RgbImage(20, 40, new byte[20 * 40 * 3]);
        assertThatThrownBy(() -> understanding.understand(List.of(photo, tiny), "?"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("input image 2 is 20x40").hasMessageContaining("at least 28");
    }

    @Test
    void cancellationStopsAfterTheCurrentToken() {
        int[] tokens = {0};
        assertThatThrownBy(() -> understanding.understand(List.of(), "Hi", Understanding.Options.greedy(20), null,
                () -> ++tokens[0] >= 3))
                .isInstanceOf(CancellationException.class).hasMessageContaining("after 3 tokens");
    }

    @Test
    void badOptionsAreRejected() {
        assertThatThrownBy(() -> Understanding.Options.greedy(0)).hasMessageContaining("maxNewTokens");
        assertThatThrownBy(() -> Understanding.Options.sampled(4, 0f, 0, 1f, 1)).hasMessageContaining("temperature");
    }
}
