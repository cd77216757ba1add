package dev.omnigen2.models.qwen;

import dev.omnigen2.runtime.Tensor;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from one row of logits: argmax (first maximum), or a draw after the usual processing
 * order of Hugging Face generation: temperature, top-k, top-p (dropping the least likely tokens while their
 * cumulative mass stays ≤ 1 − top_p, always keeping the most likely one).
 */
final class TokenPicker {
    private final GenerationOptions options;
    private final SplittableRandom random;

    TokenPicker(GenerationOptions options) {
        this.options = options;
        this.random = new SplittableRandom(options.seed());
    }

    int pick(Tensor logits, int row) {
        int vocab = logits.size(-1);
        float[] l = new float[vocab];
        java.lang.foreign.MemorySegment.copy(logits.data(), Tensor.F32, (long) row * vocab * Float.BYTES, l, 0, vocab);
        return options.sample() ? sample(l) : argmax(l);
    }

    static int argmax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
        return best;
    }

    private int sample(float[] logits) {
        int n = logits.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) { order[i] = i; logits[i] /= options.temperature(); }
        Arrays.sort(order, (a, b) -> Float.compare(logits[b], logits[a]));
        int keep = options.topK() > 0 ? Math.min(options.topK(), n) : n;
        double max = logits[order[0]], sum = 0;
        double[] p = new double[keep];
        for (int i = 0; i < keep; i++) { p[i] = Math.exp(logits[order[i]] - max); sum += p[i]; }
        for (int i = 0; i < keep; i++) p[i] /= sum;
        if (options.topP() < 1f) {
            double tail = 0;
            int kept = keep;
            for (int i = keep - 1; i >= 1; i--) {
                tail += p[i];
                if (tail <= 1 - options.topP()) kept = i; else break;
            }
            keep = kept;
            double s = 0;
            for (int i = 0; i < keep; i++) s += p[i];
            for (int i = 0; i < keep; i++) p[i] /= s;
        }
        double u = random.nextDouble(), acc = 0;
        for (int i = 0; i < keep; i++) {
            acc += p[i];
            if (u < acc) return order[i];
        }
        return order[keep - 1];
    }
}
