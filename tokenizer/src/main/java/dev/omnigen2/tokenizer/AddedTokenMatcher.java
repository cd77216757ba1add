package dev.omnigen2.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text: leftmost match first, the longest token when several start at the same
 * place, exact and case-sensitive; then the lstrip/rstrip/single_word rules of each token.
 */
final class AddedTokenMatcher {
    /** Receives the text between tokens as [start, end) and each token with its id. */
    interface SegmentSink {
        void text(String s, int start, int end);
        void token(AddedToken token);
    }

    private final Map<Character, AddedToken[]> byFirstChar = new HashMap<>();
    private final boolean[] asciiFirst = new boolean[128];
    private final boolean empty;

    AddedTokenMatcher(List<AddedToken> tokens) {
        Map<Character, List<AddedToken>> groups = new HashMap<>();
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            groups.computeIfAbsent(t.content().charAt(0), k -> new ArrayList<>()).add(t);
        }
        for (var e : groups.entrySet()) {
            List<AddedToken> list = e.getValue();
            list.sort(Comparator.comparingInt((AddedToken t) -> -t.content().length()));
            byFirstChar.put(e.getKey(), list.toArray(new AddedToken[0]));
            if (e.getKey() < 128) asciiFirst[e.getKey()] = true;
        }
        empty = byFirstChar.isEmpty();
    }

    void split(String s, int from, int to, SegmentSink sink) {
        if (empty) { if (to > from) sink.text(s, from, to); return; }
        int textStart = from;
        int i = from;
        while (i < to) {
            char c = s.charAt(i);
            AddedToken[] candidates = c < 128 ? (asciiFirst[c] ? byFirstChar.get(c) : null) : byFirstChar.get(c);
            AddedToken hit = null;
            if (candidates != null) {
                for (AddedToken t : candidates) {
                    if (s.startsWith(t.content(), i) && i + t.content().length() <= to) { hit = t; break; }
                }
            }
            if (hit == null) { i++; continue; }
            int start = i, end = i + hit.content().length();
            boolean alone = (start == from || !isWordChar(s.charAt(start - 1))) && (end == to || !isWordChar(s.charAt(end)));
            if (hit.singleWord() && !alone) {
                i = end;
                continue;
            }
            if (hit.lstrip()) while (start > textStart && Character.isWhitespace(s.charAt(start - 1))) start--;
            if (hit.rstrip()) while (end < to && Character.isWhitespace(s.charAt(end))) end++;
            if (start > textStart) sink.text(s, textStart, start);
            sink.token(hit);
            textStart = end;
            i = end;
        }
        if (to > textStart) sink.text(s, textStart, to);
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }
}
