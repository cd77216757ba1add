package dev.omnigen2.models.vae;

import com.fasterxml.jackson.databind.JsonNode;
import dev.omnigen2.runtime.Tensor;
import dev.omnigen2.safetensors.SafetensorsFile;
import dev.omnigen2.testkit.Golden;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every case of the flux-vae fixture (upstream diffusers AutoencoderKL on a tiny random model): each listed
 * intermediate and output within the case's tolerance, uint8 images within the README's ±1 rule.
 */
class FluxVaeGoldenTest {
    private static final String FOLDER = "flux-vae";

    private static Path dir;
    private static JsonNode cases;
    private static SafetensorsFile tensors;
    private static FluxVae vae;

    @BeforeAll
    static void load() {
        dir = Golden.dir(FOLDER);
        cases = Golden.json(dir.resolve("cases.json"));
        tensors = Golden.cases(FOLDER);
        FluxVaeConfig config = FluxVaeConfig.load(dir.resolve(cases.get("config").asText()));
        vae = FluxVae.load(config, dir.resolve(cases.get("weights").asText()));
    }

    @AfterAll
    static void close() {
        if (vae != null) vae.close();
        if (tensors != null) tensors.close();
    }

    @TestFactory
    Stream<DynamicTest> everyCase() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : cases.get("cases")) {
            String name = c.get("name").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Case check = new Case(c);
                switch (name) {
                    case "encode" -> encode(check);
                    case "decode" -> decode(check);
                    case "pipeline_roundtrip" -> pipelineRoundtrip(check);
                    case "odd_size" -> oddSize(check);
                    default -> fail("flux-vae case '" + name + "' is not covered by this test");
                }
                check.assertAllOutputsChecked();
            }));
        }
        assertThat(tests).as("cases in cases.json").isNotEmpty();
        return tests.stream();
    }

    private void encode(Case c) {
        Map<String, Tensor> trace = new HashMap<>();
        Tensor moments = vae.moments(c.input("image"), null, trace::put);
        c.checkStages("", trace);
        c.check("moments", moments);
        Posterior posterior = new Posterior(moments);
        c.check("mean", posterior.mean());
        c.check("logvar", posterior.logvar());
        c.check("std", posterior.std());
        c.check("mode", posterior.mode());
        SameComputation.assertSame("public encode() vs traced encoder", vae.encode(c.input("image")).mode(), posterior.mode());
    }

    private void decode(Case c) {
        Map<String, Tensor> trace = new HashMap<>();
        Tensor image = vae.decoded(c.input("latent"), null, trace::put);
        c.checkStages("", trace);
        c.check("image", image);
        SameComputation.assertSame("public decode() vs traced decoder", vae.decode(c.input("latent")), image);
    }

    private void pipelineRoundtrip(Case c) {
        Tensor pixels = c.reference("image_uint8");
        int h = pixels.size(0), w = pixels.size(1);
        Tensor image = VaeImages.fromRgb8(Golden.u8(pixels), h, w);
        c.check("image", image);

        Tensor mode = vae.encode(image).mode();
        c.check("mode", mode);
        assertThat(c.args.get("scaling_factor").floatValue()).isEqualTo(vae.config().scalingFactor());
        assertThat(c.args.get("shift_factor").floatValue()).isEqualTo(vae.config().shiftFactor());
        Tensor refLatent = vae.scaleLatent(mode);
        c.check("ref_latent", refLatent);
        Tensor decodeInput = vae.unscaleLatent(refLatent);
        c.check("decode_input", decodeInput);

        Tensor decoded = vae.decode(decodeInput);
        c.check("decoded", decoded);
        JsonNode ori = c.args.get("ori_size");
        Tensor resized = ori.get(0).asInt() == decoded.size(1) && ori.get(1).asInt() == decoded.size(2)
                ? decoded : VaeImages.resizeBilinear(decoded, ori.get(0).asInt(), ori.get(1).asInt());
        c.check("resized", resized);
        JsonNode extra = c.args.get("bilinear_extra_size");
        int eh = extra.get(0).asInt(), ew = extra.get(1).asInt();
        c.check("bilinear_" + eh + "x" + ew, VaeImages.resizeBilinear(decoded, eh, ew));

        Tensor unit = VaeImages.toUnitRange(resized);
        c.check("image_pt", unit);
        c.check("image_np", unit.permute(1, 2, 0));
        byte[] rgb = VaeImages.postprocess(decoded, ori.get(0).asInt(), ori.get(1).asInt());
        c.checkUint8("image_out_uint8", rgb);
    }

    private void oddSize(Case c) {
        Tensor input = c.input("image");
        JsonNode hw = c.args.get("image_hw");
        assertThat(new int[]{input.size(1), input.size(2)}).containsExactly(hw.get(0).asInt(), hw.get(1).asInt());
        Map<String, Tensor> trace = new HashMap<>();
        Tensor moments = vae.moments(input, null, trace::put);
        c.checkStages("", trace);
        c.check("moments", moments);
        Posterior posterior = new Posterior(moments);
        c.check("mean", posterior.mean());
        c.check("logvar", posterior.logvar());
        c.check("mode", posterior.mode());
        Map<String, Tensor> dec = new HashMap<>();
        Tensor image = vae.decoded(posterior.mode(), null, dec::put);
        c.checkStages("dec_", dec);
        c.check("dec_image", image);
    }

    /** Loading a {@code vae/} folder as the real checkpoint lays it out: config.json + one safetensors file. */
    @Test
    void loadsAVaeFolderLikeTheRealCheckpoint(@TempDir Path tmp) throws IOException {
        Path vaeDir = Files.createDirectory(tmp.resolve("vae"));
        Files.copy(dir.resolve("config.json"), vaeDir.resolve("config.json"));
        Files.copy(dir.resolve("diffusion_pytorch_model.safetensors"), vaeDir.resolve("diffusion_pytorch_model.safetensors"));
        try (FluxVae folderVae = FluxVae.load(vaeDir)) {
            assertThat(folderVae.config()).isEqualTo(vae.config());
            Tensor image = tensors.tensor("encode/image").toF32();
            SameComputation.assertSame("VAE loaded from a folder", folderVae.encode(image).mode(), vae.encode(image).mode());
        }
    }


    /** One case: its tolerances, its listed outputs, and which of them were compared. */
    private static final class Case {
        final String name;
        final JsonNode args;
        final double finalTol, intermediateTol;
        final Set<String> outputs = new LinkedHashSet<>(), finals = new LinkedHashSet<>(), checked = new LinkedHashSet<>();
        final JsonNode uint8;

        Case(JsonNode c) {
            name = c.get("name").asText();
            args = c.get("args");
            JsonNode tol = c.get("tolerance");
            finalTol = tol.get("rel_l2_max").asDouble();
            intermediateTol = tol.get("intermediate_rel_l2_max").asDouble();
            uint8 = tol.get("uint8");
            c.get("outputs").forEach(n -> outputs.add(n.asText()));
            c.get("final_outputs").forEach(n -> finals.add(n.asText()));
        }

        Tensor reference(String tensor) {
            Tensor t = tensors.tensor(name + "/" + tensor);
            return t.rank() == 4 && t.size(0) == 1 ? t.select0(0) : t;
        }

        Tensor input(String tensor) { return reference(tensor).toF32(); }

        void check(String tensor, Tensor actual) {
            String full = name + "/" + tensor;
            assertThat(outputs).as("cases.json outputs of " + name).contains(full);
            assertThat(actual).as(full + " was produced").isNotNull();
            double tol = finals.contains(full) ? finalTol : intermediateTol;
            double err = Golden.assertClose(full, actual, reference(tensor), tol);
            System.out.printf("flux-vae %-40s rel L2 %.3e (tol %.0e)%n", full, err, tol);
            checked.add(full);
        }

        /**
         * Compares every listed output named {@code prefix + stage} whose stage the forward pass traced (the
         * per-block intermediates); outputs that are not trace stages are checked by the case itself.
         */
        void checkStages(String prefix, Map<String, Tensor> trace) {
            for (String full : outputs) {
                String tensor = full.substring(name.length() + 1);
                if (!tensor.startsWith(prefix)) continue;
                Tensor traced = trace.get(tensor.substring(prefix.length()));
                if (traced != null) check(tensor, traced);
            }
        }

        void checkUint8(String tensor, byte[] actual) {
            String full = name + "/" + tensor;
            long[] ref = reference(tensor).toLongArray();
            assertThat(actual.length).as(full + " size").isEqualTo(ref.length);
            int maxDiff = 0, mismatches = 0;
            for (int i = 0; i < ref.length; i++) {
                int d = Math.abs((actual[i] & 0xFF) - (int) ref[i]);
                maxDiff = Math.max(maxDiff, d);
                if (d != 0) mismatches++;
            }
            System.out.printf("flux-vae %-40s max |diff| %d, %d of %d values differ%n", full, maxDiff, mismatches, ref.length);
            assertThat(maxDiff).as(full + " max |diff|").isLessThanOrEqualTo(uint8.get("max_abs_diff").asInt());
            assertThat((double) mismatches / ref.length).as(full + " mismatch fraction")
                    .isLessThanOrEqualTo(uint8.get("max_mismatch_fraction").asDouble());
            checked.add(full);
        }

        void assertAllOutputsChecked() {
            assertThat(checked).as("outputs of case " + name + " compared").containsExactlyInAnyOrderElementsOf(outputs);
            assertThat(Arrays.asList(checked.toArray())).containsAll(finals);
        }
    }
}
