/**
 * OmniGen2's text front end: the Qwen2 / Qwen2.5-VL byte-level BPE tokenizer and the chat templates,
 * exact against Hugging Face.
 *
 * <ul>
 *   <li>{@link dev.omnigen2.tokenizer.QwenTokenizer}: {@code load(processorDir)}, {@code encode},
 *       {@code decode}, {@code encodeBatch} (truncation, padding, attention masks, the pipeline's
 *       truncation warning), {@code streamDecoder}.</li>
 *   <li>{@link dev.omnigen2.tokenizer.ChatTemplate}: {@code omnigen2Prompt} (text-to-image / edit and
 *       negative prompts), {@code omnigen2ChatPrompt} (chat pipeline), {@code render} (Qwen2.5-VL
 *       template with images and videos), {@code expandImagePads}.</li>
 * </ul>
 * Depends only on Jackson.
 */
package dev.omnigen2.tokenizer;
