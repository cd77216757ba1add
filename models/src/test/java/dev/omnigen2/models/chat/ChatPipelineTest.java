package dev.omnigen2.models.chat;

import dev.omnigen2.models.image.ImageLoader;
import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.pipeline.PipelineListener;
import dev.omnigen2.models.qwen.GenerationOptions;
import dev.omnigen2.sampler.StepListener;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Chat-mode behaviour beyond the fixture: the overlay rule, stop strings mid-answer, cancellation, bad input. */
class ChatPipelineTest {
    private static Path checkpoint;
    private static OmniGen2Pipeline components;
    private static ChatPipeline chat;
    private static RgbImage photo;

    @BeforeAll
    static void load() {
        checkpoint = Golden.dir("pipeline").resolve("checkpoint");
        components = OmniGen2Pipeline.load(CheckpointFolder.open(checkpoint), PipelineListener.NONE);
        chat = new ChatPipeline(components, ChatProcessor.load(checkpoint.resolve("processor"), Golden.dir("pipeline-chat").resolve("processor")));
        photo = ImageLoader.loadWithoutOrientation(Golden.dir("pipeline").resolve("images/01.jpg"));
    }

    @AfterAll
    static void close() { components.close(); }

    @Test
    void overlayFilesReplaceTheCheckpointsOnlyWhereTheyExist() {
        ChatProcessor plain = ChatProcessor.load(checkpoint.resolve("processor"), null);
        assertThat(plain.tokenizer().tokenId("<|img|>")).isEmpty();
        assertThat(plain.imageProcessor().config().maxPixels()).isEqualTo(12845056);
        assertThat(chat.processor().tokenizer().tokenId("<|img|>")).hasValue(151665);
        assertThat(chat.processor().imageProcessor().config().maxPixels()).isEqualTo(50176);
        // tokenizer.json and chat_template.json still come from the checkpoint
        assertThat(chat.processor().tokenizer().chatTemplateSource()).isEqualTo(plain.tokenizer().chatTemplateSource());
        assertThatThrownBy(() -> ChatProcessor.load(checkpoint.resolve("vae"), null))
                .hasMessageContaining("no tokenizer.json").hasMessageContaining("vae");
    }

    @Test
    void answerDropsEndOfTurnAndOnlyALeadingImgAsksForAnImage() {
        var asks = new ChatPipeline.TextReply("", null, new int[0], "<|img|><|im_end|>");
        assertThat(asks.wantsImage()).isTrue();
        assertThat(asks.answer()).isEqualTo("<|img|>");
        var says = new ChatPipeline.TextReply("", null, new int[0], "Here: <|img|>");
        assertThat(says.wantsImage()).isFalse();
    }

    @Test
    void stopStringEndsGenerationInsideTheAnswer() {
        // the tiny model's greedy answer to this prompt is 呼吁 呼吁 compose compose compose … (pipeline-chat chat_text)
        String rendered = ChatPipeline.chatPrompt("What is in this picture?", 1);
        ChatProcessor.Inputs in = chat.processor().process(rendered, List.of(photo));
        StringBuilder streamed = new StringBuilder();
        TextGenerator.Generated g = new TextGenerator(components.mllm(), chat.processor().tokenizer())
                .generate(in, GenerationOptions.greedy(8), List.of("pose"), id -> true, false, streamed::append, null);
        assertThat(g.finish()).isEqualTo(TextGenerator.Finish.STOP_STRING);
        assertThat(g.ids()).hasSize(3);
        assertThat(streamed.toString()).isEqualTo("呼吁呼吁compose");
    }

    @Test
    void stopTokenEndsGenerationAndCanBeKeptOutOfTheStream() {
        String rendered = ChatPipeline.chatPrompt("What is in this picture?", 1);
        ChatProcessor.Inputs in = chat.processor().process(rendered, List.of(photo));
        int compose = chat.processor().tokenizer().tokenId("compose").orElseThrow();
        StringBuilder streamed = new StringBuilder();
        TextGenerator.Generated g = new TextGenerator(components.mllm(), chat.processor().tokenizer())
                .generate(in, GenerationOptions.greedy(8, compose), List.of(), id -> id != compose, false, streamed::append, null);
        assertThat(g.finish()).isEqualTo(TextGenerator.Finish.STOP_TOKEN);
        assertThat(g.ids()).hasSize(3).endsWith(compose);
        assertThat(streamed.toString()).isEqualTo("呼吁呼吁");
    }

    @Test
    void textGenerationHonoursCancellation() {
        int[] polls = {0};
        assertThatThrownBy(() -> chat.generateText(ChatPipeline.chatPrompt("Hi", 0), List.of(), 50, null, () -> ++polls[0] > 2))
                .isInstanceOf(CancellationException.class).hasMessageContaining("after 3 tokens");
    }

    @Test
    void imageGenerationHonoursCancellationBetweenSteps() {
        GenerationRequest r = GenerationRequest.builder().prompt("a cat").size(32, 32).steps(4).textGuidanceScale(1f).build();
        int[] steps = {0};
        assertThatThrownBy(() -> chat.generateImage(ChatPipeline.chatPrompt("a cat", 0), r, new PipelineListener() {
            @Override public void step(StepListener.StepEvent e) { steps[0]++; }
        }, () -> steps[0] >= 2, false)).isInstanceOf(CancellationException.class).hasMessageContaining("before step 2");
    }

    @Test
    void imageBlocksMustMatchTheImagesGiven() {
        assertThatThrownBy(() -> chat.generateText(ChatPipeline.chatPrompt("Compare", 1), List.of(photo, photo), 4, null, null))
                .hasMessageContaining("1 <|image_pad|>").hasMessageContaining("2 image(s)");
        RgbImage tiny = new RgbImage(27, 100, new byte[27 * 100 * 3]);
        assertThatThrownBy(() -> chat.generateText(ChatPipeline.chatPrompt("?", 1), List.of(tiny), 4, null, null))
                .hasMessageContaining("input image 1 is 27x100").hasMessageContaining("at least 28");
    }
}
