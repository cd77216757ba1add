package dev.omnigen2.models.chat;

import dev.omnigen2.models.pipeline.PipelineListener;

/**
 * Progress of a chat turn: the answer's text as it is generated, then (when the model asks for an image) the
 * pipeline's stages and denoising steps. Called on the generating thread; keep it cheap.
 */
public interface ChatListener extends PipelineListener {
    /** The next piece of the answer, whole UTF-8 characters, special tokens as text except {@code <|im_end|>}. */
    default void text(String piece) {}

    ChatListener NONE = new ChatListener() {};
}
