package dev.omnigen2.models.qwen;

/**
 * How {@link Qwen25Vl#generate} picks tokens.
 *
 * @param maxNewTokens at most this many tokens are generated
 * @param sample       false: greedy (argmax); true: sample from temperature / top-k / top-p filtered probabilities
 * @param temperature  logits are divided by it before sampling (> 0)
 * @param topK         keep the k most likely tokens (0 = off)
 * @param topP         keep the smallest most-likely set with probability mass ≥ top_p (1 = off)
 * @param seed         seed of the sampler's random stream
 * @param stopTokenIds generation ends after emitting any of these (e.g. {@code <|im_end|>}, {@code <|endoftext|>})
 */
public record GenerationOptions(int maxNewTokens, boolean sample, float temperature, int topK, float topP, long seed,
                                int[] stopTokenIds) {
    public GenerationOptions {
        if (maxNewTokens < 1) throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        if (sample && !(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        stopTokenIds = stopTokenIds == null ? new int[0] : stopTokenIds.clone();
    }

    public static GenerationOptions greedy(int maxNewTokens, int... stopTokenIds) {
        return new GenerationOptions(maxNewTokens, false, 1f, 0, 1f, 0, stopTokenIds);
    }

    public static GenerationOptions sampled(int maxNewTokens, float temperature, int topK, float topP, long seed, int... stopTokenIds) {
        return new GenerationOptions(maxNewTokens, true, temperature, topK, topP, seed, stopTokenIds);
    }

    boolean isStop(int token) {
        for (int s : stopTokenIds) if (s == token) return true;
        return false;
    }
}
