package dev.omnigen2.models.transformer;

import dev.omnigen2.models.Weights;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Tensor;

/** A linear layer bound from the checkpoint: weight [out, in] in its stored dtype, optional bias [out]. */
record Dense(Tensor weight, Tensor bias) {
    static Dense bind(Weights w, String name, int out, int in, boolean withBias) {
        Weights l = w.prefix(name);
        return new Dense(l.get("weight", out, in), withBias ? l.get("bias", out) : null);
    }

    int outFeatures() { return weight.size(0); }

    Tensor forward(Tensor x) { return Device.linear(x, weight, bias); }

    void forward(Tensor x, Tensor out) { Device.linear(x, weight, bias, out); }
}
