package dev.omnigen2.tokenizer;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE: a pre-token's UTF-8 bytes start as one symbol each, and the adjacent pair with the
 * lowest merge rank (leftmost on ties) is merged until no pair has a merge. Short words use a plain
 * scan; long words a heap over a linked list, so the work stays O(n log n). Results of repeated
 * pre-tokens are cached.
 */
final class Bpe {
    /** Words up to this many symbols are merged by rescanning; longer ones by the heap. */
    static final int SCAN_LIMIT = 48;
    private static final int CACHE_CAPACITY = 1 << 16;
    private static final int CACHE_MAX_WORD = 256;

    private final MergeTable merges;
    private final int[] byteToId;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    Bpe(MergeTable merges, int[] byteToId) {
        this.merges = merges;
        this.byteToId = byteToId;
    }

    /** Appends the ids of the pre-token {@code s[from, to)} to {@code out}. */
    void encode(String s, int from, int to, IntList out) {
        int len = to - from;
        if (len == 1 && s.charAt(from) < 0x80) { out.add(byteToId[s.charAt(from)]); return; }
        String word = null;
        if (len <= CACHE_MAX_WORD) {
            word = s.substring(from, to);
            int[] hit = cache.get(word);
            if (hit != null) { out.addAll(hit); return; }
        }
        int[] symbols = initialSymbols(s, from, to);
        int n = symbols.length <= SCAN_LIMIT ? mergeByScan(symbols) : mergeByHeap(symbols);
        int[] ids = n == symbols.length ? symbols : Arrays.copyOf(symbols, n);
        if (word != null && cache.size() < CACHE_CAPACITY) cache.put(word, ids);
        out.addAll(ids);
    }

    /** One symbol per UTF-8 byte. */
    int[] initialSymbols(String s, int from, int to) {
        int[] sym = new int[(to - from) * 3];
        int n = 0;
        for (int i = from; i < to; i++) {
            int c = s.charAt(i);
            if (c < 0x80) sym[n++] = byteToId[c];
            else if (c < 0x800) {
                sym[n++] = byteToId[0xC0 | (c >> 6)];
                sym[n++] = byteToId[0x80 | (c & 0x3F)];
            } else if (Character.isHighSurrogate((char) c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint((char) c, s.charAt(++i));
                sym[n++] = byteToId[0xF0 | (cp >> 18)];
                sym[n++] = byteToId[0x80 | ((cp >> 12) & 0x3F)];
                sym[n++] = byteToId[0x80 | ((cp >> 6) & 0x3F)];
                sym[n++] = byteToId[0x80 | (cp & 0x3F)];
            } else {
                if (Character.isSurrogate((char) c)) c = 0xFFFD; // a lone surrogate cannot be UTF-8; Java writes U+FFFD too
                sym[n++] = byteToId[0xE0 | (c >> 12)];
                sym[n++] = byteToId[0x80 | ((c >> 6) & 0x3F)];
                sym[n++] = byteToId[0x80 | (c & 0x3F)];
            }
        }
        return n == sym.length ? sym : Arrays.copyOf(sym, n);
    }

    /** Merges in place by rescanning the pair ranks; returns the new length. */
    int mergeByScan(int[] sym) {
        int n = sym.length;
        if (n < 2) return n;
        long[] pair = new long[n - 1];
        for (int i = 0; i < n - 1; i++) pair[i] = merges.get(sym[i], sym[i + 1]);
        while (true) {
            int best = -1;
            long bestValue = Long.MAX_VALUE;
            for (int i = 0; i < n - 1; i++) {
                long v = pair[i];
                if (v != MergeTable.ABSENT && v < bestValue) { bestValue = v; best = i; }
            }
            if (best < 0) return n;
            sym[best] = (int) bestValue;
            System.arraycopy(sym, best + 2, sym, best + 1, n - best - 2);
            System.arraycopy(pair, best + 1, pair, best, n - best - 2);
            n--;
            if (best > 0) pair[best - 1] = merges.get(sym[best - 1], sym[best]);
            if (best < n - 1) pair[best] = merges.get(sym[best], sym[best + 1]);
        }
    }

    /** Merges with a priority queue of (rank, position) over a doubly linked list; returns the new length. */
    int mergeByHeap(int[] sym) {
        int n = sym.length;
        int[] prev = new int[n], next = new int[n];
        boolean[] gone = new boolean[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) push(heap, sym[i], sym[i + 1], i);
        while (!heap.isEmpty()) {
            long top = heap.poll();
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            if (gone[pos] || next[pos] < 0) continue;
            int right = next[pos];
            long m = merges.get(sym[pos], sym[right]);
            if (m == MergeTable.ABSENT || (int) (m >>> 32) != rank) continue; // stale entry
            sym[pos] = (int) m;
            gone[right] = true;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            if (prev[pos] >= 0) push(heap, sym[prev[pos]], sym[pos], prev[pos]);
            if (after >= 0) push(heap, sym[pos], sym[after], pos);
        }
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) sym[k++] = sym[i];
        return k;
    }

    private void push(LongHeap heap, int left, int right, int pos) {
        long m = merges.get(left, right);
        if (m != MergeTable.ABSENT) heap.add((m & 0xFFFFFFFF00000000L) | pos);
    }

    /** A binary min-heap of longs. */
    static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) { a = new long[Math.max(4, capacity)]; }

        boolean isEmpty() { return size == 0; }

        void add(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long poll() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= size) break;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (a[c] >= last) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
    }
}
