package dev.omnigen2.models.pipeline;

import dev.omnigen2.models.image.RgbImage;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PNG output with the generation parameters in tEXt chunks. Files are written to a temporary file in the
 * target folder and renamed into place, so a reader never sees a half-written image.
 */
public final class PngFiles {
    private PngFiles() {}

    public static void write(RgbImage image, Map<String, String> text, Path target) throws IOException {
        BufferedImage img = image.toBufferedImage();
        AtomicFiles.write(target, tmp -> {
            ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
            try (ImageOutputStream out = ImageIO.createImageOutputStream(tmp.toFile())) {
                writer.setOutput(out);
                IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(img), null);
                addText(meta, text);
                writer.write(null, new IIOImage(img, null, meta), null);
            } finally {
                writer.dispose();
            }
        });
    }

    private static void addText(IIOMetadata meta, Map<String, String> text) throws IIOInvalidTreeException {
        if (text == null || text.isEmpty()) return;
        String format = "javax_imageio_png_1.0";
        IIOMetadataNode root = new IIOMetadataNode(format);
        IIOMetadataNode chunk = new IIOMetadataNode("tEXt");
        for (Map.Entry<String, String> e : text.entrySet()) {
            IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
            entry.setAttribute("keyword", e.getKey());
            entry.setAttribute("value", latin1(e.getValue()));
            chunk.appendChild(entry);
        }
        root.appendChild(chunk);
        meta.mergeTree(format, root);
    }

    /** tEXt is Latin-1: characters outside it become '?' rather than failing the write. */
    private static String latin1(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) b.append(c <= 0xFF ? c : '?');
        return b.toString();
    }

    /** The tEXt chunks of a PNG file, in file order. */
    public static Map<String, String> readText(Path png) {
        Map<String, String> out = new LinkedHashMap<>();
        try (var in = ImageIO.createImageInputStream(png.toFile())) {
            var readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new IOException(png + ": not an image ImageIO can read");
            var reader = readers.next();
            reader.setInput(in);
            IIOMetadata meta = reader.getImageMetadata(0);
            var root = (IIOMetadataNode) meta.getAsTree("javax_imageio_png_1.0");
            var entries = root.getElementsByTagName("tEXtEntry");
            for (int i = 0; i < entries.getLength(); i++) {
                var e = (IIOMetadataNode) entries.item(i);
                out.put(e.getAttribute("keyword"), e.getAttribute("value"));
            }
            reader.dispose();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static RgbImage read(Path file) { return dev.omnigen2.models.image.ImageLoader.load(file); }
}
