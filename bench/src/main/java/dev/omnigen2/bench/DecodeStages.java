package dev.omnigen2.bench;

import dev.omnigen2.models.qwen.Qwen25VlConfig;
import dev.omnigen2.runtime.Activations;
import dev.omnigen2.runtime.Attention;
import dev.omnigen2.runtime.Elementwise;
import dev.omnigen2.runtime.Linear;
import dev.omnigen2.runtime.Norms;
import dev.omnigen2.runtime.Rope;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.Safetensors;
import dev.omnigen2.safetensors.TensorStore;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where the time of one Qwen2.5-VL decode step goes: the step rebuilt here from the runtime's public kernels on
 * the mapped weights (same calls, shapes and order as the model's decode step: per layer rmsnorm, q/k/v
 * products, rotary, KV-cache append, attention of one query over the cache, o product, residual add, rmsnorm,
 * gate/up products, SwiGLU, down product, residual add; then final norm, the tied lm_head and the argmax), each
 * stage timed with {@code System.nanoTime} around it. The accounting lives here, never in the model's code path.
 */
final class DecodeStages {
    private DecodeStages() {}

    private static final String[] STAGES = {"norms", "qkv", "rope", "kv-append", "attention", "o", "residual",
            "gate-up", "swiglu", "down", "final-norm", "lm_head", "argmax"};

    static void run(Path dir, Qwen25VlConfig c, int past, int steps, int rounds) {
        int d = c.hiddenSize(), h = c.numHeads(), kvh = c.numKvHeads(), hd = c.headDim(), ff = c.intermediateSize();
        int layers = c.numLayers(), kvDim = kvh * hd;
        float eps = c.rmsNormEps(), scale = (float) (1 / Math.sqrt(hd));
        try (TensorStore store = Safetensors.open(dir)) {
            Tensor[][] w = new Tensor[layers][];
            long[] bytes = new long[STAGES.length];
            for (int l = 0; l < layers; l++) {
                String p = "model.layers." + l + ".";
                w[l] = new Tensor[] {store.tensor(p + "input_layernorm.weight"), store.tensor(p + "post_attention_layernorm.weight"),
                        store.tensor(p + "self_attn.q_proj.weight"), store.tensor(p + "self_attn.q_proj.bias"),
                        store.tensor(p + "self_attn.k_proj.weight"), store.tensor(p + "self_attn.k_proj.bias"),
                        store.tensor(p + "self_attn.v_proj.weight"), store.tensor(p + "self_attn.v_proj.bias"),
                        store.tensor(p + "self_attn.o_proj.weight"), store.tensor(p + "mlp.gate_proj.weight"),
                        store.tensor(p + "mlp.up_proj.weight"), store.tensor(p + "mlp.down_proj.weight")};
                bytes[1] += w[l][2].byteSize() + w[l][4].byteSize() + w[l][6].byteSize();
                bytes[5] += w[l][8].byteSize();
                bytes[7] += w[l][9].byteSize() + w[l][10].byteSize();
                bytes[9] += w[l][11].byteSize();
            }
            Tensor finalNorm = store.tensor("model.norm.weight"), head = store.tensor("model.embed_tokens.weight");
            bytes[11] = head.byteSize();
            java.util.List<MemorySegment> all = new java.util.ArrayList<>();
            long allBytes = 0;
            for (String name : store.names())
                if (name.startsWith("model.")) { all.add(store.tensor(name).data()); allBytes += store.tensor(name).data().byteSize(); }
            int capacity = past + steps * rounds + 1;
            Tensor[] keys = new Tensor[layers], values = new Tensor[layers];
            for (int l = 0; l < layers; l++) { keys[l] = Tensor.zeros(capacity, kvDim); values[l] = Tensor.zeros(capacity, kvDim); }
            Tensor cos = Tensor.zeros(1, hd), sin = Tensor.zeros(1, hd);
            for (int i = 0; i < hd; i++) cos.setFloat(i, 1f);
            Tensor x = Tensor.zeros(1, d);
            for (int i = 0; i < d; i++) x.setFloat(i, 0.01f * (i % 7));
            // First pass over this mapping: page-table entries for 6 GB of page-cache pages (minor faults), not
            // bandwidth; the model's own mapping pays it once at load too.
            dev.omnigen2.runtime.MemoryBandwidth.read(all, 4);
            int length = past;
            for (int r = 0; r < rounds; r++) {
                long[] ns = new long[STAGES.length];
                long start = System.nanoTime();
                for (int s = 0; s < steps; s++, length++) {
                    for (int l = 0; l < layers; l++) {
                        Tensor[] lw = w[l];
                        long t = System.nanoTime();
                        Tensor xn = Norms.rmsNorm(x, lw[0], eps);
                        t = lap(ns, 0, t);
                        Tensor[] qkv = Linear.forwardAll(xn, new Tensor[] {lw[2], lw[4], lw[6]}, new Tensor[] {lw[3], lw[5], lw[7]});
                        Tensor q = qkv[0], k = qkv[1], v = qkv[2];
                        t = lap(ns, 1, t);
                        Rope.rotateHalf(q, cos, sin, h, hd);
                        Rope.rotateHalf(k, cos, sin, kvh, hd);
                        t = lap(ns, 2, t);
                        long row = 4L * kvDim;
                        MemorySegment.copy(k.data(), 0, keys[l].data(), length * row, row);
                        MemorySegment.copy(v.data(), 0, values[l].data(), length * row, row);
                        Tensor kc = keys[l].slice0(0, length + 1), vc = values[l].slice0(0, length + 1);
                        t = lap(ns, 3, t);
                        Tensor ctx = Attention.forward(q, kc, vc, h, kvh, hd, scale, new Attention.Mask(true, length, null, null));
                        t = lap(ns, 4, t);
                        Tensor o = Linear.forward(ctx, lw[8], null);
                        t = lap(ns, 5, t);
                        Elementwise.add(x, o, x);
                        t = lap(ns, 6, t);
                        xn = Norms.rmsNorm(x, lw[1], eps);
                        t = lap(ns, 0, t);
                        Tensor[] gu = Linear.forwardAll(xn, new Tensor[] {lw[9], lw[10]}, null);
                        Tensor g = gu[0], u = gu[1];
                        t = lap(ns, 7, t);
                        Activations.swiglu(g, u, g);
                        t = lap(ns, 8, t);
                        Tensor dn = Linear.forward(g, lw[11], null);
                        t = lap(ns, 9, t);
                        Elementwise.add(x, dn, x);
                        lap(ns, 6, t);
                    }
                    long t = System.nanoTime();
                    Tensor xn = Norms.rmsNorm(x, finalNorm, eps);
                    t = lap(ns, 10, t);
                    Tensor logits = Linear.forward(xn, head, null);
                    t = lap(ns, 11, t);
                    float[] l = new float[logits.size(-1)];
                    MemorySegment.copy(logits.data(), Tensor.F32, 0, l, 0, l.length);
                    int best = 0;
                    for (int i = 1; i < l.length; i++) if (l[i] > l[best]) best = i;
                    if (best < 0) throw new AssertionError();
                    lap(ns, 12, t);
                }
                double total = (System.nanoTime() - start) / 1e9 / steps, staged = 0;
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT,
                        "stages (round %d, %d steps, cache %d..%d, load %s): %.1f ms per token%n", r, steps, length - steps,
                        length, QwenBench.loadAverage(), total * 1e3));
                long weightBytes = 0, weightNs = 0;
                for (int i = 0; i < STAGES.length; i++) {
                    double ms = ns[i] / 1e6 / steps;
                    staged += ms;
                    sb.append(String.format(Locale.ROOT, "  %-11s %7.2f ms", STAGES[i], ms));
                    if (bytes[i] > 0) {
                        sb.append(String.format(Locale.ROOT, "  %6.1f GB/s (%.0f MB)", bytes[i] / (ns[i] / (double) steps), bytes[i] / 1e6));
                        weightBytes += bytes[i];
                        weightNs += ns[i];
                    }
                    sb.append('\n');
                }
                sb.append(String.format(Locale.ROOT, "  products %.1f ms at %.1f GB/s; everything else %.1f ms; untimed %.1f ms%n",
                        weightNs / 1e6 / steps, weightBytes / (weightNs / (double) steps), staged - weightNs / 1e6 / steps,
                        total * 1e3 - staged));
                long b0 = System.nanoTime();
                dev.omnigen2.runtime.MemoryBandwidth.read(all, 4);
                double bw = allBytes / (double) (System.nanoTime() - b0);
                sb.append(String.format(Locale.ROOT, "  probe just after (4 streams/task over the same mapped weights): %.1f GB/s -> "
                        + "bound %.1f ms per token; this round %.0f %% of it%n", bw, allBytes / bw / 1e6, 100 * allBytes / bw / 1e9 / total));
                System.out.print(sb);
            }
        }
    }

    private static long lap(long[] ns, int stage, long t) {
        long now = System.nanoTime();
        ns[stage] += now - t;
        return now;
    }
}
