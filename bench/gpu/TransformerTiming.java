import dev.omnigen2.models.transformer.OmniGen2Transformer;
import dev.omnigen2.models.transformer.OmniGen2TransformerConfig;
import dev.omnigen2.runtime.Device;
import dev.omnigen2.runtime.Tensor;
import java.nio.file.Path;
import java.util.Random;

/** One transformer forward at SIZE² per device: args = transformer folder, size, devices (e.g. "cuda,cpu"). */
public class TransformerTiming {
    public static void main(String[] args) {
        int size = Integer.parseInt(args[1]);
        try (OmniGen2Transformer model = OmniGen2Transformer.load(Path.of(args[0]))) {
            OmniGen2TransformerConfig c = model.config();
            int side = size / 8, textLen = 256;  // Flux VAE: 8x down-sampling
            Random rnd = new Random(0);
            Tensor latents = Tensor.zeros(1, c.inChannels(), side, side), text = Tensor.zeros(1, textLen, c.textFeatDim());
            for (long i = 0; i < latents.numel(); i++) latents.setFloat(i, (float) rnd.nextGaussian());
            for (long i = 0; i < text.numel(); i++) text.setFloat(i, (float) rnd.nextGaussian());
            var input = new OmniGen2Transformer.Input(latents, new float[] {0.5f}, text, new int[] {textLen}, null);
            for (String device : args[2].split(",")) {
                Device.select(device);
                System.out.println(Device.describe());
                long gemms0 = Device.cuda() == null ? 0 : Device.cuda().stats().gemmCalls();
                long t0 = System.nanoTime();
                model.forward(input);
                double first = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                if (device.equals("cuda")) model.forward(input);  // second call: weights already on the device
                double second = device.equals("cuda") ? (System.nanoTime() - t0) / 1e9 : first;
                long gemms = Device.cuda() == null ? 0 : Device.cuda().stats().gemmCalls() - gemms0;
                System.out.printf("transformer forward %dx%d on %s: first %.2f s, steady %.2f s, GPU GEMMs %d%n",
                        size, size, device, first, second, gemms);
                if (device.equals("cuda") && gemms == 0)
                    System.out.println("  note: no product ran on the GPU: this was a CPU forward");
                Device.release();
            }
        }
    }
}
