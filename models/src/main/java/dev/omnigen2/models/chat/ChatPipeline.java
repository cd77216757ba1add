package dev.omnigen2.models.chat;

import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.models.pipeline.CheckpointFolder;
import dev.omnigen2.models.pipeline.GenerationRequest;
import dev.omnigen2.models.pipeline.OmniGen2Pipeline;
import dev.omnigen2.models.pipeline.PipelineListener;
import dev.omnigen2.models.qwen.GenerationOptions;
import dev.omnigen2.models.qwen.Qwen25Vl;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.sampler.Sampler;
import dev.omnigen2.tokenizer.ChatTemplate;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * OmniGen2's chat mode ({@code OmniGen2ChatPipeline}), the paper's own data flow: Qwen2.5-VL reads the instruction
 * and the input images through its vision tower and answers in text; when the answer starts with {@code <|img|>},
 * an image is generated conditioned on the hidden states of the prompt's TEXT tokens (image-pad rows removed) and
 * on the VAE latents of the input images.
 *
 * <ol>
 *   <li>{@link #chatPrompt}: {@code <img1>: <|vision_start|><|image_pad|><|vision_end|>}… before the user's text,
 *       OmniGen2's system message, the assistant generation prompt;</li>
 *   <li>{@link #generateText}: the processor (images → patches, pads expanded), greedy decoding of at most 256
 *       tokens, stopping on the strings {@code <|im_end|>}, {@code <|img|>}, {@code <|endoftext|>} and on EOS;</li>
 *   <li>{@link #generateImage} (after an {@code <|img|>} answer): the prompt re-encoded with its images, text rows
 *       kept ({@link #encodePrompt}); the negative prompt through the same template without images; then the
 *       diffusion loop of {@link OmniGen2Pipeline}.</li>
 * </ol>
 * The image settings come in a {@link GenerationRequest} (its {@code prompt} is the user's message, its
 * {@code maxSequenceLength} is ignored as upstream ignores it in chat mode).
 */
public final class ChatPipeline implements AutoCloseable {
    /** The stop strings of {@code generate_text}. */
    public static final List<String> STOP_STRINGS = List.of("<|im_end|>", "<|img|>", "<|endoftext|>");
    /** An answer starting with this token asks for an image. */
    public static final String IMAGE_TOKEN = "<|img|>";
    /** {@code generate_text}'s fixed token budget. */
    public static final int MAX_NEW_TOKENS = 256;
    private static final String END_OF_TURN = "<|im_end|>";

    private final OmniGen2Pipeline components;
    private final ChatProcessor processor;
    private final boolean ownsComponents;

    /**
     * A chat pipeline over already loaded components (which the caller keeps owning) and a processor, e.g. one
     * loaded with an overlay that declares {@code <|img|>}.
     */
    public ChatPipeline(OmniGen2Pipeline components, ChatProcessor processor) { this(components, processor, false); }

    private ChatPipeline(OmniGen2Pipeline components, ChatProcessor processor, boolean ownsComponents) {
        this.components = components;
        this.processor = processor;
        this.ownsComponents = ownsComponents;
    }

    /**
     * Loads a checkpoint; the processor's files are taken from {@code processorOverlay} where it has them (may be
     * null), see {@link ChatProcessor#load}.
     */
    public static ChatPipeline load(CheckpointFolder checkpoint, Path processorOverlay, PipelineListener listener) {
        ChatProcessor processor = ChatProcessor.load(checkpoint.component("processor"), processorOverlay);
        return new ChatPipeline(OmniGen2Pipeline.load(checkpoint, listener), processor, true);
    }

    public ChatProcessor processor() { return processor; }

    /** {@code _apply_chat_template}: image labels and vision blocks, then the prompt, as a ChatML turn with the generation prompt. */
    public static String chatPrompt(String prompt, int numImages) { return ChatTemplate.omnigen2ChatPrompt(prompt, numImages); }

    /**
     * The text half of a turn.
     *
     * @param rendered     the chat prompt
     * @param inputs       what the model read (expanded prompt, ids, patches)
     * @param generatedIds the generated ids, a stop token or the tokens of a stop string included
     * @param decoded      their text with special tokens kept, as upstream decodes it
     */
    public record TextReply(String rendered, ChatProcessor.Inputs inputs, int[] generatedIds, String decoded) {
        /** The answer shown to the user: the decoded text without {@code <|im_end|>}. */
        public String answer() { return decoded.replace(END_OF_TURN, ""); }

        /** Whether the model asked for an image. */
        public boolean wantsImage() { return decoded.startsWith(IMAGE_TOKEN); }
    }

    /**
     * A prompt as the image generation sees it.
     *
     * @param rendered      the chat-templated prompt
     * @param inputs        its processed form
     * @param hiddenStates  the MLLM's last hidden states [1, L, D] over the whole prompt
     * @param textPositions the rows that are not image pads
     * @param textEmbeds    those rows [1, L_text, D]: the transformer's conditioning
     */
    public record EncodedPrompt(String rendered, ChatProcessor.Inputs inputs, Tensor hiddenStates, int[] textPositions,
                                Tensor textEmbeds) {}

    /**
     * A generated image with the intermediates research users ask for.
     *
     * @param negative null when the text guidance scale is ≤ 1
     */
    public record ImageResult(RgbImage image, EncodedPrompt prompt, EncodedPrompt negative,
                              List<OmniGen2Pipeline.EncodedImage> references, int generationHeight, int generationWidth,
                              Tensor initialLatents, Sampler.Result sampling, Tensor decoded, Tensor resized) {}

    /**
     * One turn's result.
     *
     * @param text  the answer without {@code <|im_end|>}
     * @param image the generated image, or null when the answer did not start with {@code <|img|>}
     */
    public record Reply(String text, TextReply textReply, ImageResult image) {}

    /** One chat turn with no listener and no cancellation. */
    public Reply chat(GenerationRequest request) { return chat(request, ChatListener.NONE, () -> false, false); }

    /**
     * One chat turn: the answer, and an image when the answer asks for one.
     *
     * @param request     the user's message ({@code prompt}), images (at most 5) and the image settings
     * @param listener    streamed answer text, stages and denoising steps
     * @param cancelled   polled after every token and before every denoising step; true ends the turn with a
     *                    {@link java.util.concurrent.CancellationException}
     * @param recordSteps keep every step's predictions and latents in the image result
     */
    public Reply chat(GenerationRequest request, ChatListener listener, BooleanSupplier cancelled, boolean recordSteps) {
        ChatListener l = listener == null ? ChatListener.NONE : listener;
        String rendered = chatPrompt(request.prompt(), request.images().size());
        l.stage("generating text");
        TextReply text = generateText(rendered, request.images(), MAX_NEW_TOKENS, l::text, cancelled);
        ImageResult image = null;
        if (text.wantsImage()) {
            // upstream appends the answer up to <|img|> to the prompt: always "" when the answer starts with it
            String before = text.decoded().substring(0, text.decoded().indexOf(IMAGE_TOKEN));
            image = generateImage(rendered + before, request, l, cancelled, recordSteps);
        }
        return new Reply(text.answer(), text, image);
    }

    /**
     * {@code generate_text}: greedy decoding after the chat prompt with the stop strings and EOS.
     *
     * @param rendered a chat prompt (see {@link #chatPrompt}) with one image block per image
     * @param onText   receives the decoded answer piece by piece ({@code <|im_end|>} left out); may be null
     */
    public TextReply generateText(String rendered, List<RgbImage> inputImages, int maxNewTokens,
                                  Consumer<String> onText, BooleanSupplier cancelled) {
        ChatProcessor.Inputs inputs = processor.process(rendered, inputImages);
        Qwen25Vl mllm = components.mllm();
        int eos = mllm.config().eosTokenId();
        OptionalInt endOfTurn = processor.tokenizer().tokenId(END_OF_TURN);
        TextGenerator.Generated g = new TextGenerator(mllm, processor.tokenizer()).generate(inputs,
                GenerationOptions.greedy(maxNewTokens, eos), STOP_STRINGS,
                id -> endOfTurn.isEmpty() || id != endOfTurn.getAsInt(), false, onText, cancelled);
        return new TextReply(rendered, inputs, g.ids(), processor.tokenizer().decode(g.ids(), false));
    }

    /**
     * {@code generate_image}: encodes {@code chatPrompt} with the request's images (text rows kept) and the
     * request's negative prompt (chat template, no images), then runs the diffusion loop.
     */
    public ImageResult generateImage(String chatPrompt, GenerationRequest request, PipelineListener listener,
                                     BooleanSupplier cancelled, boolean recordSteps) {
        PipelineListener l = listener == null ? PipelineListener.NONE : listener;
        l.stage("encoding prompt");
        EncodedPrompt prompt = encodePrompt(chatPrompt, request.images());
        EncodedPrompt negative = request.textGuidanceScale() > 1f
                ? encodePrompt(chatPrompt(request.negativePrompt(), 0), List.of()) : null;
        OmniGen2Pipeline.Denoised out = components.generateFromEmbeddings(prompt.textEmbeds(), negative == null ? null : negative.textEmbeds(),
                request, l, cancelled == null ? () -> false : cancelled, recordSteps);
        return new ImageResult(out.image(), prompt, negative, out.references(), out.generationHeight(), out.generationWidth(),
                out.initialLatents(), out.sampling(), out.decoded(), out.resized());
    }

    /** {@code _get_qwen2_prompt_embeds} with {@code use_only_text_hidden_states}: last hidden states, image-pad rows dropped. */
    public EncodedPrompt encodePrompt(String rendered, List<RgbImage> inputImages) {
        ChatProcessor.Inputs inputs = processor.process(rendered, inputImages);
        Qwen25Vl mllm = components.mllm();
        var patches = inputs.patches();
        Tensor hidden = mllm.encode(new int[][] {inputs.ids()}, null, patches == null ? null : patches.pixelValues(),
                patches == null ? null : patches.gridThw()).hidden();
        int imagePad = mllm.config().imageTokenId();
        int[] ids = inputs.ids();
        int textLength = 0;
        for (int id : ids) if (id != imagePad) textLength++;
        int[] positions = new int[textLength];
        int d = hidden.size(2);
        Tensor text = Tensor.zeros(1, textLength, d);
        long rowBytes = (long) d * Float.BYTES;
        for (int t = 0, k = 0; t < ids.length; t++) {
            if (ids[t] == imagePad) continue;
            positions[k] = t;
            MemorySegment.copy(hidden.data(), t * rowBytes, text.data(), k * rowBytes, rowBytes);
            k++;
        }
        return new EncodedPrompt(rendered, inputs, hidden, positions, text);
    }

    @Override
    public void close() {
        if (ownsComponents) components.close();
    }
}
