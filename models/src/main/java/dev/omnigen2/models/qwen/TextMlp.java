package dev.omnigen2.models.qwen;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Activations;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Tensor;

/** The decoder's SwiGLU feed-forward: down(silu(gate(x)) · up(x)), no biases. */
final class TextMlp {
    private final Tensor gate, up, down;

    TextMlp(Weights w, Qwen25VlConfig c) {
        gate = w.get("gate_proj.weight", c.intermediateSize(), c.hiddenSize());
        up = w.get("up_proj.weight", c.intermediateSize(), c.hiddenSize());
        down = w.get("down_proj.weight", c.hiddenSize(), c.intermediateSize());
    }

    Tensor forward(Tensor x) {
        Tensor[] gu = Device.linearAll(x, new Tensor[] {gate, up}, null);
        Tensor g = gu[0], u = gu[1];
        Activations.swiglu(g, u, g);
        return Device.linear(g, down, null);
    }
}
