package dev.omnigen2.models.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.models.image.ImageLoader;
import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.pipeline.PipelineListener;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.sampler.Pass;
import dev.omnigen2.sampler.Sampler;
import dev.omnigen2.models.pipeline.PipelineChecks;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * pipeline-chat: OmniGen2's chat mode end to end on the pipeline fixture's tiny checkpoint, with this folder's
 * processor overlay. chat_text: template, processor, expanded ids, greedy ids and decoded text exactly.
 * chat_image_*: {@code generate_image} from the chat prompt: ids, text-only embeddings, reference latents,
 * every denoising step and the final image, from the stored initial latents.
 */
class PipelineChatGoldenTest {
    /** README: 1e-4 per stage given its inputs, 1e-3 for a whole model or loop. */
    private static final double SINGLE_STAGE = 1e-4, WHOLE_MODEL = 1e-3;
    private static OmniGen2Pipeline components;
    private static ChatPipeline chat;
    private static SafetensorsFile cases;
    private static JsonNode json;

    private static Path dir() { return Golden.dir("pipeline-chat"); }

    @BeforeAll
    static void load() {
        json = Golden.json(dir().resolve("cases.json"));
        Path checkpoint = dir().resolve(json.get("checkpoint").asText());
        components = OmniGen2Pipeline.load(CheckpointFolder.open(checkpoint), PipelineListener.NONE);
        chat = new ChatPipeline(components, ChatProcessor.load(checkpoint.resolve("processor"), dir().resolve("processor")));
        cases = Golden.cases("pipeline-chat");
    }

    @AfterAll
    static void close() {
        cases.close();
        components.close();
    }

    private static JsonNode caseNamed(String name) {
        for (JsonNode c : json.get("cases")) if (c.get("name").asText().equals(name)) return c;
        throw new AssertionError("no case " + name + " in pipeline-chat/cases.json");
    }

    private static List<RgbImage> images(JsonNode call, String p) {
        List<RgbImage> images = new ArrayList<>();
        for (JsonNode path : call.get("input_images")) {
            // inference_chat.py loads without EXIF transpose
            RgbImage img = ImageLoader.loadWithoutOrientation(dir().resolve(path.asText()));
            String key = p + "input_image" + images.size() + "_rgb";
            assertThat(img.rgb()).as(key).isEqualTo(Golden.u8(cases.tensor(key)));
            images.add(img);
        }
        return images;
    }

    @Test
    void imgTokenComesFromTheOverlayAndStopStringsFollowTheProbes() {
        // the CLI's default negative prompt (inference.py's) is inference_chat.py's too
        assertThat(GenerationRequest.INFERENCE_NEGATIVE_PROMPT).isEqualTo(json.get("negative_prompt_default_of_inference_chat").asText());
        JsonNode img = json.get("img_token");
        assertThat(chat.processor().tokenizer().tokenId(img.get("content").asText())).hasValue(img.get("id").asInt());
        StopStrings stops = new StopStrings(chat.processor().tokenizer(), ChatPipeline.STOP_STRINGS);
        for (JsonNode probe : json.get("stop_string_checks").get("probes")) {
            int[] ids = new int[probe.get("sequence_ids").size()];
            for (int i = 0; i < ids.length; i++) ids[i] = probe.get("sequence_ids").get(i).asInt();
            assertThat(stops.matches(ids, ids.length)).as(probe.get("description").asText())
                    .isEqualTo(probe.get("stop_string_img_tokenizer").asBoolean());
            assertThat(chat.processor().tokenizer().decode(ids, false)).as("decode of " + probe.get("description").asText())
                    .isEqualTo("<|im_start|>assistant\n" + probe.get("decoded_img_tokenizer").asText());
        }
    }

    @Test
    void imgTokenEncodesAndDecodesAsTheProbesSayWithAndWithoutTheOverlay() {
        ChatProcessor base = ChatProcessor.load(dir().resolve(json.get("checkpoint").asText()).resolve("processor"), null);
        for (String variant : List.of("img", "base")) {
            var tokenizer = (variant.equals("img") ? chat.processor() : base).tokenizer();
            for (JsonNode probe : json.get("img_token").get("encode_decode_probes").get(variant)) {
                int[] ids = ints(probe.get("ids"));
                if (probe.get("job").has("text")) {
                    assertThat(tokenizer.encode(probe.get("job").get("text").asText())).as(variant + " " + probe.get("job")).containsExactly(ids);
                    assertThat(tokenizer.tokens(ids)).containsExactlyElementsOf(strings(probe.get("tokens")));
                }
                assertThat(tokenizer.decode(ids, false)).as(variant + " decode " + probe.get("job")).isEqualTo(probe.get("decoded").asText());
                assertThat(tokenizer.decode(ids, true)).as(variant + " decode skipping special " + probe.get("job"))
                        .isEqualTo(probe.get("decoded_skip_special").asText());
            }
        }
    }

    @Test
    void chatTextReproducesTemplateProcessorIdsAndAnswer() {
        JsonNode c = caseNamed("chat_text");
        JsonNode call = c.get("call");
        String p = "chat_text/";
        List<RgbImage> images = images(call, p);
        String rendered = ChatPipeline.chatPrompt(call.get("prompt").asText(), images.size());
        assertThat(rendered).isEqualTo(c.get("rendered").asText());

        RgbImage resized = chat.processor().imageProcessor().resize(images.get(0));
        assertThat(resized.rgb()).as(p + "image0_qwen_resized_rgb").isEqualTo(Golden.u8(cases.tensor(p + "image0_qwen_resized_rgb")));

        StringBuilder streamed = new StringBuilder();
        JsonNode gen = c.get("generation");
        int budget = gen.get("fixture_max_new_tokens").asInt();
        ChatPipeline.TextReply reply = chat.generateText(rendered, images, budget, streamed::append, () -> false);
        assertThat(reply.inputs().expanded()).isEqualTo(c.get("rendered_expanded").asText());
        assertThat(reply.inputs().patches().pixelValues().toFloatArray()).as(p + "pixel_values")
                .isEqualTo(cases.tensor(p + "pixel_values").toFloatArray());
        assertThat(reply.inputs().patches().gridThw()[0]).as(p + "image_grid_thw").containsExactly(ints(cases.tensor(p + "image_grid_thw")));
        assertThat(chat.processor().tokenizer().tokens(reply.inputs().ids())).containsExactlyElementsOf(strings(c.get("tokens")));
        assertThat(reply.inputs().ids()).as(p + "input_ids").containsExactly(ints(cases.tensor(p + "input_ids")));

        assertThat(reply.generatedIds()).as(p + "generated_ids").containsExactly(ints(cases.tensor(p + "generated_ids")));
        assertThat(reply.decoded()).isEqualTo(gen.get("decoded_text").asText());
        assertThat(reply.answer()).isEqualTo(gen.get("call_returns").get("text").asText());
        assertThat(reply.wantsImage()).isEqualTo(gen.get("starts_with_img").asBoolean()).isFalse();
        assertThat(streamed.toString()).isEqualTo(reply.answer());
    }

    @Test
    void wholeChatTurnContinuesTheFixturesGreedyPrefixAndMakesNoImage() {
        JsonNode c = caseNamed("chat_text");
        List<RgbImage> images = images(c.get("call"), "chat_text/");
        GenerationRequest r = GenerationRequest.builder().prompt(c.get("call").get("prompt").asText()).images(images).build();
        List<String> stages = new ArrayList<>();
        StringBuilder streamed = new StringBuilder();
        ChatPipeline.Reply reply = chat.chat(r, new ChatListener() {
            @Override public void text(String piece) { streamed.append(piece); }
            @Override public void stage(String name) { stages.add(name); }
        }, () -> false, false);
        // greedy decoding is prefix-stable: the fixture's 8 tokens (no stop among them) start the 256-token answer
        int[] prefix = ints(cases.tensor("chat_text/generated_ids"));
        assertThat(reply.textReply().generatedIds()).startsWith(prefix);
        assertThat(reply.textReply().generatedIds().length).isLessThanOrEqualTo(ChatPipeline.MAX_NEW_TOKENS);
        assertThat(reply.text()).startsWith(c.get("generation").get("decoded_text").asText());
        assertThat(reply.image()).isNull();
        assertThat(streamed.toString()).isEqualTo(reply.text());
        assertThat(stages).containsExactly("generating text");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"chat_image_one_ref", "chat_image_two_refs"})
    void imageCaseReproducesEveryStage(String name) {
        JsonNode c = caseNamed(name);
        JsonNode call = c.get("call");
        String p = name + "/";
        List<RgbImage> images = images(call, p);
        assertThat(call.get("prompt").asText()).isEqualTo(ChatPipeline.chatPrompt(call.get("user_prompt").asText(), images.size())
                + call.get("assistant_prefix").asText());
        GenerationRequest r = GenerationRequest.builder()
                .prompt(call.get("user_prompt").asText())
                .negativePrompt(call.get("negative_prompt").asText())
                .images(images)
                .size(call.get("width").asInt(), call.get("height").asInt())
                .maxPixels(call.get("max_pixels").asLong())
                .maxInputImageSideLength(call.get("max_input_image_side_length").asInt())
                .alignRes(call.get("align_res").asBoolean())
                .steps(call.get("num_inference_steps").asInt())
                .textGuidanceScale((float) call.get("text_guidance_scale").asDouble())
                .imageGuidanceScale((float) call.get("image_guidance_scale").asDouble())
                .cfgRange(call.get("cfg_range").get(0).asDouble(), call.get("cfg_range").get(1).asDouble())
                .initialLatents(cases.tensor(p + "initial_latents").copy())
                .build();
        List<String> stages = new ArrayList<>();
        int[] stepsSeen = {0};
        ChatPipeline.ImageResult res = chat.generateImage(call.get("prompt").asText(), r, new PipelineListener() {
            @Override public void stage(String s) { stages.add(s); }
            @Override public void step(dev.omnigen2.sampler.StepListener.StepEvent e) { stepsSeen[0]++; }
        }, () -> false, true);

        ChatPipeline.EncodedPrompt prompt = res.prompt();
        assertThat(prompt.inputs().expanded()).isEqualTo(c.get("prompt_rendered_expanded").asText());
        assertThat(prompt.inputs().patches().pixelValues().toFloatArray()).as(p + "pixel_values")
                .isEqualTo(cases.tensor(p + "pixel_values").toFloatArray());
        assertThat(flatten(prompt.inputs().patches().gridThw())).as(p + "image_grid_thw").containsExactly(ints(cases.tensor(p + "image_grid_thw")));
        assertThat(prompt.inputs().ids()).as(p + "prompt_input_ids").containsExactly(ints(cases.tensor(p + "prompt_input_ids")));
        Golden.assertClose(p + "prompt_mllm_hidden_final", prompt.hiddenStates(), cases.tensor(p + "prompt_mllm_hidden_final"), SINGLE_STAGE);
        assertThat(prompt.textPositions()).as(p + "prompt_text_positions").containsExactly(ints(cases.tensor(p + "prompt_text_positions")));
        double promptError = Golden.assertClose(p + "prompt_embeds", prompt.textEmbeds(), cases.tensor(p + "prompt_embeds"), SINGLE_STAGE);

        assertThat(res.negative().rendered()).isEqualTo(c.get("negative_rendered").asText());
        assertThat(res.negative().inputs().ids()).as(p + "negative_input_ids").containsExactly(ints(cases.tensor(p + "negative_input_ids")));
        double negativeError = Golden.assertClose(p + "negative_embeds", res.negative().textEmbeds(), cases.tensor(p + "negative_embeds"), SINGLE_STAGE);

        for (int k = 0; k < res.references().size(); k++) {
            var ref = res.references().get(k);
            String rk = p + "ref" + k;
            assertThat(ref.resized().rgb()).as(rk + "_resized_rgb").isEqualTo(Golden.u8(cases.tensor(rk + "_resized_rgb")));
            assertThat(ref.pixelValues().toFloatArray()).as(rk + "_pixel_values").isEqualTo(cases.tensor(rk + "_pixel_values").toFloatArray());
            Tensor mean = cases.tensor(rk + "_posterior_mean");
            Golden.assertClose(rk + "_posterior_mean", ref.posteriorMean().reshape(mean.shape()), mean, SINGLE_STAGE);
            Golden.assertClose(rk + "_latents", ref.latent(), cases.tensor(rk + "_latents"), SINGLE_STAGE);
        }
        assertThat(res.references()).hasSize(images.size());

        JsonNode derived = c.get("derived");
        assertThat(res.generationHeight()).as("generation height").isEqualTo(derived.get("generation_height").asInt());
        assertThat(res.generationWidth()).as("generation width").isEqualTo(derived.get("generation_width").asInt());
        assertThat(res.sampling().timesteps()).as("timesteps").containsExactly(cases.tensor(p + "timesteps").toFloatArray());
        List<Sampler.StepRecord> steps = res.sampling().steps();
        PipelineChecks.assertSteps(cases, p, derived, steps, WHOLE_MODEL);
        assertThat(stepsSeen[0]).isEqualTo(steps.size());
        double latentError = Golden.assertClose(p + "final_latents", res.sampling().latents(), cases.tensor(p + "final_latents"), WHOLE_MODEL);
        double decodedError = Golden.assertClose(p + "decoded_image", res.decoded(), cases.tensor(p + "decoded_image").select0(0), WHOLE_MODEL);
        Golden.assertClose(p + "resized_image", res.resized(), cases.tensor(p + "resized_image").select0(0), WHOLE_MODEL);

        Tensor u8 = cases.tensor(p + "output_image_uint8");
        assertThat(res.image().height()).isEqualTo(u8.size(0)).isEqualTo(derived.get("output_height").asInt());
        assertThat(res.image().width()).isEqualTo(u8.size(1)).isEqualTo(derived.get("output_width").asInt());
        byte[] want = Golden.u8(u8);
        int differing = PipelineChecks.assertWithinOne(p + "output_image_uint8", want, res.image().rgb());
        assertThat(stages).containsExactly("encoding prompt", "encoding images", "denoising", "decoding");
        System.out.printf(Locale.ROOT, "%s: prompt_embeds %.1e, negative_embeds %.1e, final_latents %.1e, decoded_image %.1e, uint8 off by one %d of %d%n",
                name, promptError, negativeError, latentError, decodedError, differing, want.length);
    }

    static int[] ints(Tensor x) {
        return java.util.Arrays.stream(x.toLongArray()).mapToInt(Math::toIntExact).toArray();
    }

    private static int[] ints(JsonNode array) {
        int[] r = new int[array.size()];
        for (int i = 0; i < r.length; i++) r[i] = array.get(i).asInt();
        return r;
    }

    private static int[] flatten(int[][] a) {
        return java.util.Arrays.stream(a).flatMapToInt(java.util.Arrays::stream).toArray();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

}
