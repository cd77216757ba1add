package dev.omnigen2.models.chat;

import dev.omnigen2.tokenizer.QwenTokenizer;

import java.util.List;

/**
 * Stop strings as transformers' {@code StopStringCriteria} applies them: after each generated token, a stop string
 * matches when it ends inside the LAST token — it may begin inside an earlier token and the last token may run past
 * its end ({@code "<", "|", "img", "|", ">."} stops on {@code <|img|>}) — reading each token as the text it decodes
 * to on its own. A stop string that lies wholly in earlier tokens never matches later; an id without a token
 * (embedding rows past the vocabulary) matches nothing and breaks any match across it.
 */
final class StopStrings {
    private final QwenTokenizer tokenizer;
    private final List<String> stops;
    private final int window;

    StopStrings(QwenTokenizer tokenizer, List<String> stops) {
        this.tokenizer = tokenizer;
        this.stops = List.copyOf(stops);
        int longest = 0;
        for (String s : stops) {
            if (s.isEmpty()) throw new IllegalArgumentException("empty stop string");
            longest = Math.max(longest, s.length());
        }
        // Every token spells at least one character, so a match spans at most this many tokens.
        this.window = longest;
    }

    /** Whether the sequence ending in {@code ids[0..length)} stops here. */
    boolean matches(int[] ids, int length) {
        if (stops.isEmpty() || length == 0) return false;
        String last = tokenText(ids[length - 1]);
        if (last.isEmpty()) return false;
        StringBuilder tail = new StringBuilder();
        for (int i = length - 2; i >= Math.max(0, length - window); i--) {
            String t = tokenText(ids[i]);
            if (t.isEmpty()) break;
            tail.insert(0, t);
        }
        int lastStart = tail.length();
        String text = tail.append(last).toString();
        for (String s : stops) {
            for (int at = text.indexOf(s); at >= 0; at = text.indexOf(s, at + 1)) {
                if (at + s.length() > lastStart) return true;
            }
        }
        return false;
    }

    /** The text of one token decoded alone (U+FFFD for a partial UTF-8 sequence), "" for an id without a token. */
    private String tokenText(int id) { return tokenizer.decode(new int[] {id}, false); }
}
