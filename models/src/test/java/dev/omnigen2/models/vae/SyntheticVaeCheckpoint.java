package dev.omnigen2.models.vae;

import dev.omnigen2.runtime.DType;
import dev.omnigen2.runtime.Half;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsException;
import dev.omnigen2.safetensors.TensorStore;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The tensor inventory a diffusers AutoencoderKL checkpoint has for a config, written down from the naming rules
 * of the fixture README (independently of the model classes), and an in-memory BF16 store with those names
 * whose tensors all view one shared block of small random values (so a real-size checkpoint costs a few MB).
 */
final class SyntheticVaeCheckpoint {
    private SyntheticVaeCheckpoint() {}

    static Map<String, int[]> inventory(FluxVaeConfig c) {
        Map<String, int[]> t = new LinkedHashMap<>();
        int levels = c.levels(), deep = c.deepestChannels(), lat = c.latentChannels();
        conv(t, "encoder.conv_in", c.channels(0), c.inChannels(), 3);
        for (int i = 0; i < levels; i++) {
            int in = i == 0 ? c.channels(0) : c.channels(i - 1);
            for (int j = 0; j < c.layersPerBlock(); j++)
                resnet(t, "encoder.down_blocks." + i + ".resnets." + j, j == 0 ? in : c.channels(i), c.channels(i));
            if (i < levels - 1) conv(t, "encoder.down_blocks." + i + ".downsamplers.0.conv", c.channels(i), c.channels(i), 3);
        }
        mid(t, "encoder.mid_block", deep, c.midBlockAddAttention());
        norm(t, "encoder.conv_norm_out", deep);
        conv(t, "encoder.conv_out", 2 * lat, deep, 3);
        conv(t, "decoder.conv_in", deep, lat, 3);
        mid(t, "decoder.mid_block", deep, c.midBlockAddAttention());
        int prev = deep;
        for (int i = 0; i < levels; i++) {
            int out = c.channels(levels - 1 - i);
            for (int j = 0; j <= c.layersPerBlock(); j++)
                resnet(t, "decoder.up_blocks." + i + ".resnets." + j, j == 0 ? prev : out, out);
            if (i < levels - 1) conv(t, "decoder.up_blocks." + i + ".upsamplers.0.conv", out, out, 3);
            prev = out;
        }
        norm(t, "decoder.conv_norm_out", c.channels(0));
        conv(t, "decoder.conv_out", c.outChannels(), c.channels(0), 3);
        if (c.useQuantConv()) conv(t, "quant_conv", 2 * lat, 2 * lat, 1);
        if (c.usePostQuantConv()) conv(t, "post_quant_conv", lat, lat, 1);
        return t;
    }

    private static void conv(Map<String, int[]> t, String name, int out, int in, int k) {
        t.put(name + ".weight", new int[]{out, in, k, k});
        t.put(name + ".bias", new int[]{out});
    }

    private static void norm(Map<String, int[]> t, String name, int c) {
        t.put(name + ".weight", new int[]{c});
        t.put(name + ".bias", new int[]{c});
    }

    private static void resnet(Map<String, int[]> t, String name, int in, int out) {
        norm(t, name + ".norm1", in);
        conv(t, name + ".conv1", out, in, 3);
        norm(t, name + ".norm2", out);
        conv(t, name + ".conv2", out, out, 3);
        if (in != out) conv(t, name + ".conv_shortcut", out, in, 1);
    }

    private static void mid(Map<String, int[]> t, String name, int c, boolean attention) {
        resnet(t, name + ".resnets.0", c, c);
        if (attention) {
            norm(t, name + ".attentions.0.group_norm", c);
            for (String p : new String[]{"to_q", "to_k", "to_v", "to_out.0"}) {
                t.put(name + ".attentions.0." + p + ".weight", new int[]{c, c});
                t.put(name + ".attentions.0." + p + ".bias", new int[]{c});
            }
        }
        resnet(t, name + ".resnets.1", c, c);
    }

    static long values(Map<String, int[]> inventory) {
        long n = 0;
        for (int[] s : inventory.values()) {
            long e = 1;
            for (int d : s) e *= d;
            n += e;
        }
        return n;
    }

    /** A BF16 store holding {@code inventory}; every tensor reads the same uniform(−amplitude, amplitude) block. */
    static TensorStore store(Map<String, int[]> inventory, float amplitude, long seed) {
        long largest = 0;
        for (int[] s : inventory.values()) {
            long e = 1;
            for (int d : s) e *= d;
            largest = Math.max(largest, e);
        }
        MemorySegment block = Arena.ofAuto().allocate(largest * 2, 64);
        SplittableRandom rng = new SplittableRandom(seed);
        for (long i = 0; i < largest; i++)
            block.setAtIndex(Tensor.I16, i, Half.f32ToBf16((float) ((rng.nextDouble() * 2 - 1) * amplitude)));
        Map<String, int[]> shapes = new LinkedHashMap<>(inventory);
        return new TensorStore() {
            @Override public Set<String> names() { return Collections.unmodifiableSet(shapes.keySet()); }
            @Override public boolean contains(String name) { return shapes.containsKey(name); }
            @Override public Tensor tensor(String name) {
                int[] s = shapes.get(name);
                if (s == null) throw new SafetensorsException(source() + ": no tensor '" + name + "'");
                return new Tensor(DType.BF16, s, block);
            }
            @Override public Map<String, String> metadata() { return Map.of(); }
            @Override public String source() { return "synthetic VAE checkpoint"; }
            @Override public void close() {}
        };
    }
}
