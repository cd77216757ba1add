package dev.omnigen2.models.chat;

import dev.omnigen2.models.image.QwenImageProcessor;
import dev.omnigen2.models.image.RgbImage;
import dev.omnigen2.tokenizer.ChatTemplate;
import dev.omnigen2.tokenizer.QwenTokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2.5-VL's processor ({@code Qwen2_5_VLProcessor}) as the chat and understanding modes call it: the images
 * become patches, the k-th {@code <|image_pad|>} of the text is repeated t·h·w/merge² times for image k, and the
 * text is tokenized (a single prompt: nothing is padded).
 *
 * <p>Loaded from a checkpoint's {@code processor/} folder, optionally under an overlay folder whose files replace
 * those of the same name ({@code tokenizer.json}, {@code tokenizer_config.json}, {@code chat_template.json},
 * {@code preprocessor_config.json}).
 */
public final class ChatProcessor {
    private final QwenTokenizer tokenizer;
    private final QwenImageProcessor images;

    public ChatProcessor(QwenTokenizer tokenizer, QwenImageProcessor images) {
        this.tokenizer = tokenizer;
        this.images = images;
    }

    /** Loads {@code processorDir}'s files, each taken from {@code overlayDir} instead when it has one (may be null). */
    public static ChatProcessor load(Path processorDir, Path overlayDir) {
        Path tokenizerJson = file(processorDir, overlayDir, "tokenizer.json", true);
        Path preprocessor = file(processorDir, overlayDir, "preprocessor_config.json", true);
        QwenTokenizer tokenizer = QwenTokenizer.load(tokenizerJson,
                file(processorDir, overlayDir, "tokenizer_config.json", false),
                file(processorDir, overlayDir, "chat_template.json", false));
        return new ChatProcessor(tokenizer, new QwenImageProcessor(QwenImageProcessor.Config.load(preprocessor)));
    }

    private static Path file(Path processorDir, Path overlayDir, String name, boolean required) {
        if (overlayDir != null && Files.isRegularFile(overlayDir.resolve(name))) return overlayDir.resolve(name);
        Path p = processorDir.resolve(name);
        if (Files.isRegularFile(p)) return p;
        if (required)
            throw new IllegalArgumentException(processorDir + ": no " + name + (overlayDir == null ? "" : " (nor in " + overlayDir + ")")
                    + ": expected a Qwen2.5-VL processor folder");
        return null;
    }

    public QwenTokenizer tokenizer() { return tokenizer; }

    public QwenImageProcessor imageProcessor() { return images; }

    /**
     * The model inputs of one prompt.
     *
     * @param expanded the text with every image pad repeated for its image
     * @param ids      its token ids
     * @param patches  the images' pixel values and grids, or null without images
     */
    public record Inputs(String expanded, int[] ids, QwenImageProcessor.Patches patches) {}

    /** Preprocesses the images (in prompt order), expands the text's image pads and tokenizes it. */
    public Inputs process(String text, List<RgbImage> imageList) {
        int factor = images.config().factor();
        for (int i = 0; i < imageList.size(); i++) {
            RgbImage img = imageList.get(i);
            if (img.width() < factor || img.height() < factor)
                throw new IllegalArgumentException("input image " + (i + 1) + " is " + img.width() + "x" + img.height()
                        + " pixels: both sides must be at least " + factor + " for the vision model");
        }
        QwenImageProcessor.Patches patches = imageList.isEmpty() ? null : images.preprocess(imageList);
        List<Integer> counts = new ArrayList<>();
        for (int i = 0; i < imageList.size(); i++) counts.add(patches.padTokens(i, images.config().mergeSize()));
        String expanded = ChatTemplate.expandImagePads(text, counts.stream().mapToInt(Integer::intValue).toArray());
        return new Inputs(expanded, tokenizer.encode(expanded), patches);
    }
}
