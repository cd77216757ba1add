package dev.omnigen2.tokenizer;

import java.util.List;
import java.util.Objects;

/**
 * One message of a chat: a role and either plain text ({@code content} is a string in the template)
 * or a list of parts (images, videos, text).
 */
public record ChatMessage(String role, String text, List<ContentPart> parts) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        if ((text == null) == (parts == null)) {
            throw new TokenizerException("chat message for role '" + role + "' needs either text or parts, not both or neither");
        }
        if (parts != null) parts = List.copyOf(parts);
    }

    public static ChatMessage system(String text) { return new ChatMessage("system", text, null); }
    public static ChatMessage user(String text) { return new ChatMessage("user", text, null); }
    public static ChatMessage assistant(String text) { return new ChatMessage("assistant", text, null); }
    public static ChatMessage of(String role, List<ContentPart> parts) { return new ChatMessage(role, null, parts); }

    /** One item of a message's content list. */
    public record ContentPart(Kind kind, String text) {
        public enum Kind { IMAGE, VIDEO, TEXT, NONE }

        public static ContentPart image() { return new ContentPart(Kind.IMAGE, null); }
        public static ContentPart video() { return new ContentPart(Kind.VIDEO, null); }
        public static ContentPart text(String text) { return new ContentPart(Kind.TEXT, Objects.requireNonNull(text)); }

        /**
         * Classifies a content item given as key/value pairs the way Qwen2.5-VL's template does:
         * an image when its type is "image" or it has an "image" or "image_url" key; else a video
         * when its type is "video" or it has a "video" key; else its "text" when it has one; else
         * it renders nothing.
         */
        public static ContentPart fromFields(java.util.Map<String, ?> fields) {
            Object type = fields.get("type");
            if ("image".equals(type) || fields.containsKey("image") || fields.containsKey("image_url")) return image();
            if ("video".equals(type) || fields.containsKey("video")) return video();
            if (fields.containsKey("text")) return new ContentPart(Kind.TEXT, String.valueOf(fields.get("text")));
            return new ContentPart(Kind.NONE, null);
        }
    }
}
