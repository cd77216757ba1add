package dev.omnigen2.models.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An OmniGen2 checkpoint in the Hugging Face layout of OmniGen2/OmniGen2: {@code model_index.json} naming the
 * components and one folder per component ({@code mllm/ processor/ scheduler/ transformer/ vae/}).
 */
public record CheckpointFolder(Path root, JsonNode modelIndex) {
    /** The Hugging Face repo id of the real checkpoint. */
    public static final String DEFAULT_REPO = "OmniGen2/OmniGen2";

    static final List<String> COMPONENTS = List.of("mllm", "processor", "scheduler", "transformer", "vae");

    /** The class each component must have (model_index.json's second entry), for dispatch and messages. */
    static final Map<String, String> EXPECTED_CLASSES = Map.of(
            "mllm", "Qwen2_5_VLForConditionalGeneration",
            "processor", "Qwen2_5_VLProcessor",
            "scheduler", "FlowMatchEulerDiscreteScheduler",
            "transformer", "OmniGen2Transformer2DModel",
            "vae", "AutoencoderKL");

    public Path component(String name) { return root.resolve(name); }

    /** The class name model_index.json gives a component, e.g. "AutoencoderKL". */
    public Optional<String> className(String component) {
        JsonNode n = modelIndex.get(component);
        if (n == null || !n.isArray() || n.size() < 2) return Optional.empty();
        return Optional.of(n.get(1).asText());
    }

    /**
     * Opens a checkpoint: a folder path, or a Hugging Face repo id looked up in the local cache
     * ({@code $HF_HOME/hub} or {@code ~/.cache/huggingface/hub}, newest snapshot). Fails with a message naming
     * what is missing.
     */
    public static CheckpointFolder open(String pathOrRepoId) {
        Path p = Path.of(pathOrRepoId.replaceFirst("^~(?=/|$)", System.getProperty("user.home")));
        if (Files.isDirectory(p)) return open(p);
        if (pathOrRepoId.matches("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+") && !Files.exists(p)) {
            Optional<Path> cached = findInHfCache(pathOrRepoId);
            if (cached.isPresent()) return open(cached.get());
            throw new CheckpointException(pathOrRepoId + ": no such folder, and no snapshot of that repo in the Hugging Face cache ("
                    + hfHubDir() + "); download it with `huggingface-cli download " + pathOrRepoId + "`");
        }
        throw new CheckpointException(pathOrRepoId + ": no such checkpoint folder");
    }

    public static CheckpointFolder open(Path root) {
        Path index = root.resolve("model_index.json");
        if (!Files.isRegularFile(index))
            throw new CheckpointException(root + ": not an OmniGen2 checkpoint folder (no model_index.json)");
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new CheckpointException(index + ": not valid JSON: " + e.getMessage());
        }
        if (json == null || !json.isObject()) throw new CheckpointException(index + ": expected a JSON object");
        CheckpointFolder c = new CheckpointFolder(root, json);
        for (String comp : COMPONENTS) {
            if (!Files.isDirectory(c.component(comp)))
                throw new CheckpointException(root + ": incomplete checkpoint: component folder '" + comp + "/' is missing");
            Optional<String> cls = c.className(comp);
            if (cls.isPresent() && !cls.get().equals(EXPECTED_CLASSES.get(comp)))
                throw new CheckpointException(index + ": component '" + comp + "' is " + cls.get() + ", expected "
                        + EXPECTED_CLASSES.get(comp));
        }
        return c;
    }

    static Path hfHubDir() {
        String home = System.getenv("HF_HOME");
        String hub = System.getenv("HF_HUB_CACHE");
        if (hub != null) return Path.of(hub);
        if (home != null) return Path.of(home, "hub");
        return Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
    }

    /** The newest snapshot of {@code repoId} in the local Hugging Face cache that has a model_index.json. */
    public static Optional<Path> findInHfCache(String repoId) {
        Path snapshots = hfHubDir().resolve("models--" + repoId.replace("/", "--")).resolve("snapshots");
        if (!Files.isDirectory(snapshots)) return Optional.empty();
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(snapshots)) {
            s.filter(d -> Files.isRegularFile(d.resolve("model_index.json"))).forEach(found::add);
        } catch (IOException e) {
            return Optional.empty();
        }
        return found.stream().max(Comparator.comparing(d -> {
            try {
                return Files.getLastModifiedTime(d).toMillis();
            } catch (IOException e) {
                return 0L;
            }
        }));
    }

    /** A checkpoint folder that cannot be used: the message names the folder or file and what is wrong. */
    public static final class CheckpointException extends RuntimeException {
        public CheckpointException(String message) { super(message); }
    }
}
