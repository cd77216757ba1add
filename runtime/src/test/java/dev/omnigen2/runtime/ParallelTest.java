package dev.omnigen2.runtime;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ParallelTest {
    @Test
    void everyItemRunsExactlyOnceForAnyThreadCount() {
        for (int threads = 1; threads <= 3; threads++)
            for (int n : new int[] {0, 1, 2, 3, 7, 100, 1000}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, n));
                int count = n;
                KernelCheck.withThreads(threads, () -> Parallel.forEach(count, seen::incrementAndGet));
                for (int i = 0; i < n; i++) assertThat(seen.get(i)).as("item %d of %d, %d threads", i, n, Parallel.threads()).isEqualTo(1);
            }
    }

    @Test
    void theCallerWorksAndNestedCallsRunInPlace() {
        KernelCheck.withThreads(2, () -> {
            Thread caller = Thread.currentThread();
            AtomicIntegerArray counts = new AtomicIntegerArray(2); // [items run by the caller, nested items run elsewhere]
            // A pool thread's item waits (up to 5 s) until the caller has run an item itself: with a caller that
            // only waited for the pool, the call would take 5 s per pool item and the count below would be 0.
            Parallel.forEach(16, i -> {
                Thread t = Thread.currentThread();
                if (t == caller) counts.incrementAndGet(0);
                else for (long end = System.nanoTime() + 5_000_000_000L; counts.get(0) == 0 && System.nanoTime() < end; )
                    Thread.onSpinWait();
                Parallel.forEach(4, j -> { if (Thread.currentThread() != t) counts.incrementAndGet(1); });
            });
            assertThat(counts.get(0)).as("items run by the calling thread").isPositive();
            assertThat(counts.get(1)).as("nested items run on the thread of their outer item").isZero();
        });
    }

    @Test
    void aFailingItemFailsTheCallWhereverItRan() {
        for (int bad : new int[] {0, 31, 63})
            KernelCheck.withThreads(2, () -> assertThatThrownBy(() -> Parallel.forEach(64, i -> {
                busy(10_000);
                if (i == bad) throw new IllegalStateException("item " + i);
            })).isInstanceOf(IllegalStateException.class).hasMessageContaining("item " + bad));
        // The pool still works afterwards.
        AtomicIntegerArray seen = new AtomicIntegerArray(10);
        KernelCheck.withThreads(2, () -> Parallel.forEach(10, seen::incrementAndGet));
        for (int i = 0; i < 10; i++) assertThat(seen.get(i)).isEqualTo(1);
    }

    @Test
    void callsFromSeveralThreadsAtOnceEachRunEveryItemOnce() throws Exception {
        KernelCheck.withThreads(2, () -> {
            int callers = 3, calls = 200, n = 37;
            AtomicIntegerArray seen = new AtomicIntegerArray(callers * calls * n);
            Thread[] threads = new Thread[callers];
            Throwable[] failed = new Throwable[callers];
            for (int c = 0; c < callers; c++) {
                int base = c * calls * n, me = c;
                threads[c] = new Thread(() -> {
                    try {
                        for (int k = 0; k < calls; k++) {
                            int at = base + k * n;
                            Parallel.forEach(n, i -> { busy(1_000); seen.incrementAndGet(at + i); });
                        }
                    } catch (Throwable t) {
                        failed[me] = t;
                    }
                });
                threads[c].start();
            }
            for (Thread t : threads) {
                try { t.join(60_000); } catch (InterruptedException e) { throw new AssertionError(e); }
            }
            for (int c = 0; c < callers; c++) assertThat(failed[c]).as("caller %d", c).isNull();
            for (int i = 0; i < seen.length(); i++) assertThat(seen.get(i)).as("item %d", i).isEqualTo(1);
        });
    }

    private static void busy(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) Thread.onSpinWait();
    }
}
