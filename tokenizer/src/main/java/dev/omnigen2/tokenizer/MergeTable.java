package dev.omnigen2.tokenizer;

/**
 * Open-addressing hash map from a symbol pair (left id, right id) to its merge: rank and merged id,
 * in one interleaved {@code long[]} so that a lookup touches a single cache line.
 */
final class MergeTable {
    static final long ABSENT = -1L;

    private final long[] slots; // [key, value] pairs; key = left << 32 | right, value = rank << 32 | mergedId
    private final int mask;
    private int size;

    MergeTable(int expected) {
        int capacity = Integer.highestOneBit(Math.max(4, expected * 3)) << 1;
        slots = new long[capacity * 2];
        java.util.Arrays.fill(slots, ABSENT);
        mask = capacity - 1;
    }

    private static int slotOf(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Adds a merge; returns false when the pair was already present (the earlier rank wins). */
    boolean put(int left, int right, int rank, int mergedId) {
        long key = ((long) left << 32) | (right & 0xFFFFFFFFL);
        int s = slotOf(key, mask);
        while (true) {
            long k = slots[2 * s];
            if (k == ABSENT) {
                slots[2 * s] = key;
                slots[2 * s + 1] = ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
                size++;
                return true;
            }
            if (k == key) return false;
            s = (s + 1) & mask;
        }
    }

    /** rank << 32 | mergedId, or {@link #ABSENT}. */
    long get(int left, int right) {
        long key = ((long) left << 32) | (right & 0xFFFFFFFFL);
        int s = slotOf(key, mask);
        while (true) {
            long k = slots[2 * s];
            if (k == key) return slots[2 * s + 1];
            if (k == ABSENT) return ABSENT;
            s = (s + 1) & mask;
        }
    }

    int size() { return size; }
}
