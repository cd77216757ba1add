package dev.omnigen2.safetensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Entry point: open a safetensors file, an index, or a component folder (sharded with an index, or one file). */
public final class Safetensors {
    private Safetensors() {}

    /**
     * Opens {@code path}: a {@code *.safetensors} file, a {@code *.safetensors.index.json}, or a folder holding
     * either exactly one index or exactly one safetensors file. Only headers are read.
     */
    public static TensorStore open(Path path) {
        if (Files.isDirectory(path)) return openFolder(path);
        if (!Files.exists(path)) throw new SafetensorsException(path + ": no such file or folder");
        if (path.getFileName().toString().endsWith(".index.json")) return ShardedCheckpoint.open(path);
        return SafetensorsFile.open(path);
    }

    private static TensorStore openFolder(Path dir) {
        List<Path> indexes = new ArrayList<>();
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            s.sorted().forEach(p -> {
                String n = p.getFileName().toString();
                if (n.endsWith(".safetensors.index.json")) indexes.add(p);
                else if (n.endsWith(".safetensors")) files.add(p);
            });
        } catch (IOException e) {
            throw new SafetensorsException(dir + ": cannot list the folder: " + e, e);
        }
        if (indexes.size() == 1) return ShardedCheckpoint.open(indexes.get(0));
        if (indexes.size() > 1)
            throw new SafetensorsException(dir + ": several *.safetensors.index.json files " + names(indexes)
                    + ", expected one");
        if (files.size() == 1) return SafetensorsFile.open(files.get(0));
        if (files.isEmpty())
            throw new SafetensorsException(dir + ": no *.safetensors file and no *.safetensors.index.json"
                    + (Files.exists(dir.resolve("model_index.json"))
                       ? " (this is a pipeline folder; open a component subfolder such as transformer/)" : ""));
        throw new SafetensorsException(dir + ": several *.safetensors files " + names(files)
                + " but no *.safetensors.index.json to join them");
    }

    private static List<String> names(List<Path> paths) {
        return paths.stream().map(p -> p.getFileName().toString()).toList();
    }
}
