package dev.omnigen2.runtime;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
     * calls per token), and more when another process holds a core. Which thread runs an item never changes
     * what the item computes, so results stay bit-identical for any thread count.
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
        AtomicInteger next = new AtomicInteger();
        Runnable work = () -> {
            for (int i; (i = next.getAndIncrement()) < n; ) body.accept(i);
        };
        int helpers = Math.min(p.getParallelism() - 1, n - 1);
        ForkJoinTask<?>[] running = new ForkJoinTask<?>[helpers];
        for (int h = 0; h < helpers; h++) running[h] = p.submit(work);
        Throwable failure = null;
        inside[0] = true;
        try {
            work.run();
        } catch (RuntimeException | Error e) {
            next.set(n); // the helpers stop taking items
            failure = e;
        } finally {
            inside[0] = false;
        }
        for (ForkJoinTask<?> t : running) {
            try {
                t.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) failure = e;
                else failure.addSuppressed(e);
            }
        }
        if (failure instanceof RuntimeException e) throw e;
        if (failure instanceof Error e) throw e;
    }
}
