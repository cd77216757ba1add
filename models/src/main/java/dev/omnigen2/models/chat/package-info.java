/**
 * OmniGen2's two conversational modes on Qwen2.5-VL.
 *
 * <ul>
 *   <li>{@link dev.omnigen2.models.chat.Understanding}: a question about images answered as a plain Qwen2.5-VL chat
 *       (its own template and system message), streamed, greedy or sampled.</li>
 *   <li>{@link dev.omnigen2.models.chat.ChatPipeline}: {@code OmniGen2ChatPipeline}, the model answers in text and,
 *       when the answer starts with {@code <|img|>}, generates an image conditioned on the text rows of its prompt's
 *       hidden states and on the input images' VAE latents.</li>
 * </ul>
 * Both read images through {@link dev.omnigen2.models.chat.ChatProcessor} (Qwen2.5-VL's processor: patches, image-pad
 * expansion, tokens; a checkpoint's {@code processor/} with an optional overlay folder). Chat mode loads its images
 * without EXIF orientation ({@code ImageLoader.loadWithoutOrientation}), as {@code inference_chat.py} does.
 * Progress goes to a {@link dev.omnigen2.models.chat.ChatListener} (text pieces, stages, steps); a
 * {@code BooleanSupplier} polled after every token and before every denoising step cancels.
 */
package dev.omnigen2.models.chat;
