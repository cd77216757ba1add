package dev.omnigen2.runtime;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The one worker pool of the runtime. Work is split into fixed chunks that do not depend on the
 * number of threads, and every output element is written by exactly one chunk, so results are
 * bit-identical for any thread count.
 *
 * <p>Size: {@code -Domnigen2.threads=N} or {@link #setThreads}; default: available processors.
 */
public final class Parallel {
    private static volatile ForkJoinPool pool = newPool(Integer.getInteger("omnigen2.threads",
            Runtime.getRuntime().availableProcessors()));

    private Parallel() {}

    private static ForkJoinPool newPool(int threads) {
        return new ForkJoinPool(Math.max(1, threads));
    }

    /** Whether this (non-pool) thread is running items of a {@link #forEach} right now. */
    private static final ThreadLocal<boolean[]> CALLER_INSIDE = ThreadLocal.withInitial(() -> new boolean[1]);

    public static int threads() { return pool.getParallelism(); }

    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (threads == pool.getParallelism()) return;
        ForkJoinPool old = pool;
        pool = newPool(threads);
        old.shutdown();
        try { old.awaitTermination(1, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
    }

    /**
     * Runs body(i) for i in [0, n), in parallel when there is more than one thread and more than one item.
     *
     * <p>The calling thread works too: it submits up to threads − 1 helpers to the pool and then takes items
     * itself, all of them pulling the next item from one shared counter until none is left. Before, the caller
     * handed the whole range to the pool and waited, so every call paid for waking the parked workers before any
     * work began — a large share of a decode step's small products (tens to hundreds of microseconds each, 150
     * calls per token), and more when another process holds a core. The caller then waits for the helpers'
     * last items on a counter (spinning ~50 µs, then polling) rather than parking in a join that another wake-up
     * would end. Which thread runs an item never changes what the item computes, so results stay bit-identical
     * for any thread count. An item that throws fails the call (the first failure is rethrown; items not yet
     * started are skipped).
     */
    public static void forEach(int n, IntConsumer body) {
        if (n <= 0) return;
        ForkJoinPool p = pool;
        boolean[] inside = CALLER_INSIDE.get();
        if (n == 1 || p.getParallelism() == 1 || ForkJoinTask.inForkJoinPool() || inside[0]) {
            // Nested calls (from an item, on a worker or on the calling thread) run in place, as before.
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable work = () -> {
            for (int i; (i = next.getAndIncrement()) < n; ) {
                try {
                    if (failure.get() == null) body.accept(i); // after a failure the rest is only counted
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.incrementAndGet();
                }
            }
        };
        int helpers = Math.min(p.getParallelism() - 1, n - 1);
        for (int h = 0; h < helpers; h++) p.execute(work);
        inside[0] = true;
        try {
            work.run();
        } finally {
            inside[0] = false;
        }
        // Wait for the items the helpers still run: spinning first (the caller's core has nothing else to do, and
        // a parked caller would pay another wake-up on every call), then polling. Not joining the helper tasks: one
        // that has not started yet finds no item left whenever it runs.
        long start = System.nanoTime();
        while (done.get() < n) {
            if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
            else LockSupport.parkNanos(SPIN_NANOS);
        }
        Throwable f = failure.get();
        if (f instanceof RuntimeException e) throw e;
        if (f instanceof Error e) throw e;
    }

    /** How long the caller spins for the helpers' last items before it polls every as many nanoseconds. */
    private static final long SPIN_NANOS = 50_000;
}
