package dev.omnigen2.tokenizer;

import java.util.List;

/**
 * The prompts OmniGen2 gives Qwen2.5-VL, rendered exactly as the Python pipelines render them: the
 * Qwen2.5-VL chat template (a ChatML dialect) and the hand-written prompt of the chat pipeline.
 * Only these templates are implemented, not a general Jinja engine.
 */
public final class ChatTemplate {
    /** The system message of OmniGen2's text-to-image, editing and chat prompts. */
    public static final String OMNIGEN2_SYSTEM_PROMPT =
            "You are a helpful assistant that generates high-quality images based on user instructions.";
    /** What the Qwen2.5-VL template inserts when the first message is not a system message. */
    public static final String DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant.";
    public static final String IMAGE_PAD = "<|image_pad|>";
    public static final String VIDEO_PAD = "<|video_pad|>";
    private static final String VISION_START = "<|vision_start|>", VISION_END = "<|vision_end|>";
    private static final String IM_START = "<|im_start|>", IM_END = "<|im_end|>\n";

    private ChatTemplate() {}

    /**
     * Qwen2.5-VL's chat template: each message as {@code <|im_start|>role\n…<|im_end|>\n}, a default
     * system message when the first message is not one, images and videos as vision blocks
     * (numbered "Picture k: " / "Video k: " with {@code addVisionId}), and
     * {@code <|im_start|>assistant\n} at the end with {@code addGenerationPrompt}.
     */
    public static String render(List<ChatMessage> messages, boolean addGenerationPrompt, boolean addVisionId) {
        StringBuilder sb = new StringBuilder();
        int images = 0, videos = 0;
        for (int m = 0; m < messages.size(); m++) {
            ChatMessage message = messages.get(m);
            if (m == 0 && !message.role().equals("system")) {
                sb.append(IM_START).append("system\n").append(DEFAULT_SYSTEM_PROMPT).append(IM_END);
            }
            sb.append(IM_START).append(message.role()).append('\n');
            if (message.text() != null) {
                sb.append(message.text());
            } else {
                for (ChatMessage.ContentPart part : message.parts()) {
                    switch (part.kind()) {
                        case IMAGE -> {
                            images++;
                            if (addVisionId) sb.append("Picture ").append(images).append(": ");
                            sb.append(VISION_START).append(IMAGE_PAD).append(VISION_END);
                        }
                        case VIDEO -> {
                            videos++;
                            if (addVisionId) sb.append("Video ").append(videos).append(": ");
                            sb.append(VISION_START).append(VIDEO_PAD).append(VISION_END);
                        }
                        case TEXT -> sb.append(part.text());
                        case NONE -> { }
                    }
                }
            }
            sb.append(IM_END);
        }
        if (addGenerationPrompt) sb.append(IM_START).append("assistant\n");
        return sb.toString();
    }

    /**
     * {@code OmniGen2Pipeline._apply_chat_template}: OmniGen2's system message and the prompt as the
     * user message, without a generation prompt. The negative prompt (default "") goes through the
     * same function.
     */
    public static String omnigen2Prompt(String prompt) {
        return render(List.of(ChatMessage.system(OMNIGEN2_SYSTEM_PROMPT), ChatMessage.user(prompt)), false, false);
    }

    /**
     * {@code OmniGen2ChatPipeline._apply_chat_template}: a hand-written prompt that names the input
     * images {@code <img1>: }, {@code <img2>: }, … before the user's text, and ends with the
     * assistant's generation prompt.
     */
    public static String omnigen2ChatPrompt(String prompt, int numImages) {
        if (numImages < 0) throw new TokenizerException("numImages must be >= 0, got " + numImages);
        StringBuilder sb = new StringBuilder();
        sb.append(IM_START).append("system\n").append(OMNIGEN2_SYSTEM_PROMPT).append(IM_END);
        sb.append(IM_START).append("user\n");
        for (int k = 1; k <= numImages; k++) {
            sb.append("<img").append(k).append(">: ").append(VISION_START).append(IMAGE_PAD).append(VISION_END);
        }
        sb.append(prompt).append(IM_END);
        sb.append(IM_START).append("assistant\n");
        return sb.toString();
    }

    /** How many {@code <|image_pad|>} tokens an image of grid (t, h, w) becomes: t·h·w / merge². */
    public static int padCount(int gridT, int gridH, int gridW, int mergeSize) {
        if (gridT <= 0 || gridH <= 0 || gridW <= 0 || mergeSize <= 0) {
            throw new TokenizerException("image grid (t, h, w) = (" + gridT + ", " + gridH + ", " + gridW
                    + ") and merge size " + mergeSize + " must all be positive");
        }
        return gridT * gridH * gridW / (mergeSize * mergeSize);
    }

    /**
     * Replaces the k-th {@code <|image_pad|>} of the text by {@code padCounts[k]} copies, as
     * {@code Qwen2_5_VLProcessor} does before tokenizing.
     */
    public static String expandImagePads(String text, int[] padCounts) {
        return expand(text, IMAGE_PAD, padCounts, "image");
    }

    /** The same for {@code <|video_pad|>} and video grids. */
    public static String expandVideoPads(String text, int[] padCounts) {
        return expand(text, VIDEO_PAD, padCounts, "video");
    }

    private static String expand(String text, String pad, int[] counts, String what) {
        StringBuilder sb = new StringBuilder(text.length());
        int k = 0, from = 0, at;
        while ((at = text.indexOf(pad, from)) >= 0) {
            if (k >= counts.length) {
                throw new TokenizerException("the prompt has more " + pad + " tokens than the " + counts.length
                        + " " + what + "(s) given");
            }
            sb.append(text, from, at);
            sb.append(pad.repeat(counts[k++]));
            from = at + pad.length();
        }
        if (k != counts.length) {
            throw new TokenizerException("the prompt has " + k + " " + pad + " tokens but " + counts.length
                    + " " + what + "(s) were given");
        }
        return sb.append(text, from, text.length()).toString();
    }
}
