package dev.omnigen2.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemoryBandwidthTest {
    /** The probe reads every byte exactly once, whatever the stream count, chunking and ragged ends. */
    @Test
    void checksumCountsEveryWordOnceForEveryStreamCount() {
        try (Arena arena = Arena.ofShared()) {
            // Two segments: one over two chunks with a ragged end (not a multiple of 8 bytes), one tiny.
            long big = 2 * MemoryBandwidth.CHUNK + 4100 + 3, small = 61;
            MemorySegment a = arena.allocate(big, 64), b = arena.allocate(small, 64);
            long expected = fill(a) + fill(b);
            for (int streams : new int[] {1, 2, 4, 8})
                for (int threads = 1; threads <= 3; threads++) {
                    long[] got = new long[1];
                    int s = streams;
                    KernelCheck.withThreads(threads, () -> got[0] = MemoryBandwidth.read(List.of(a, b), s));
                    assertThat(got[0]).as(streams + " streams, " + threads + " threads").isEqualTo(expected);
                }
            assertThatThrownBy(() -> MemoryBandwidth.read(a, 3)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("streams");
        }
    }

    /** Fills with pseudo-random bytes; returns the probe's checksum computed the slow way (words, then bytes). */
    private static long fill(MemorySegment s) {
        long h = s.byteSize();
        for (long i = 0; i < s.byteSize(); i++) {
            h = h * 6364136223846793005L + 1442695040888963407L;
            s.set(ValueLayout.JAVA_BYTE, i, (byte) (h >>> 56));
        }
        // The probe sums whole 8-byte words of each 4 MiB chunk and the chunk's last bytes one by one.
        long sum = 0;
        for (long c = 0; c < s.byteSize(); c += MemoryBandwidth.CHUNK) {
            long end = Math.min(s.byteSize(), c + MemoryBandwidth.CHUNK), o = c;
            for (; o + 8 <= end; o += 8) sum += s.get(ValueLayout.JAVA_LONG_UNALIGNED, o);
            for (; o < end; o++) sum += s.get(ValueLayout.JAVA_BYTE, o);
        }
        return sum;
    }
}
