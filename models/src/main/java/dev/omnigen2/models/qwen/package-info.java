/**
 * Qwen2.5-VL, OmniGen2's multimodal language model ({@code mllm/}).
 *
 * <p>Reading order: {@link dev.omnigen2.models.qwen.Qwen25Vl} (load, {@code encode} for the hidden states OmniGen2
 * conditions on, {@code generate} for the understanding mode) → {@link dev.omnigen2.models.qwen.TextDecoder}
 * (embeddings, {@code DecoderLayer} = {@code TextAttention} + {@code TextMlp}, final norm, tied logits) with
 * {@code MultimodalRope} and {@link dev.omnigen2.models.qwen.RopeIndex} (upstream {@code get_rope_index}) →
 * {@link dev.omnigen2.models.qwen.VisionTower} ({@code VisionBlock} = {@code VisionAttention} + gated MLP,
 * {@code VisionRotary}, {@code WindowLayout}, {@code PatchMerger}). Everything is sized from
 * {@link dev.omnigen2.models.qwen.Qwen25VlConfig}; weights are bound by their checkpoint names and stay
 * memory-mapped in BF16. The model takes token ids: tokenizer and chat template live in module {@code tokenizer}.
 */
package dev.omnigen2.models.qwen;
