package dev.omnigen2.runtime;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The one worker pool of the runtime. Work is split into fixed chunks that do not depend on the
 * number of threads, and every output element is written by exactly one chunk, so results are
 * bit-identical for any thread count.
 *
 * <p>Size: {@code -Domnigen2.threads=N} or {@link #setThreads}; default: available processors. The pool is the
 * calling thread plus threads − 1 daemon workers.
 */
public final class Parallel {
    private static volatile Workers workers = new Workers(Math.max(1, Integer.getInteger("omnigen2.threads",
            Runtime.getRuntime().availableProcessors())));

    private Parallel() {}

    /** Whether this (non-worker) thread is running items of a {@link #forEach} right now. */
    private static final ThreadLocal<boolean[]> CALLER_INSIDE = ThreadLocal.withInitial(() -> new boolean[1]);

    public static int threads() { return workers.threads; }

    public static synchronized void setThreads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        if (threads == workers.threads) return;
        Workers old = workers;
        workers = new Workers(threads);
        old.close();
    }

    /**
     * Runs body(i) for i in [0, n), in parallel when there is more than one thread and more than one item.
     *
     * <p>The calling thread works too: it publishes the call to the workers and then takes items itself, all of
     * them pulling the next item from one shared counter until none is left, and waits for the workers' last items
     * on a counter (spinning ~50 µs, then polling). A worker that finishes a call spins ~200 µs for the next one
     * before it parks: a decode step makes ~150 calls of tens to hundreds of microseconds each, with a few
     * microseconds of the caller's own work between them, and waking a parked thread for each call cost a large
     * share of them. Which thread runs an item never changes what the item computes, so results stay
     * bit-identical for any thread count. An item that throws fails the call (the first failure is rethrown;
     * items not yet started are skipped). Nested calls, and calls from a second thread while the workers serve
     * another call, run on the calling thread.
     */
    public static void forEach(int n, IntConsumer body) {
        if (n <= 0) return;
        Workers w = workers;
        boolean[] inside = CALLER_INSIDE.get();
        if (n == 1 || w.threads == 1 || inside[0] || Thread.currentThread() instanceof Worker
                || !w.submit.tryLock()) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        Job job = new Job(n, body);
        inside[0] = true;
        try {
            w.publish(job);
            job.work();
        } finally {
            inside[0] = false;
            w.retire();
            w.submit.unlock();
        }
        long start = System.nanoTime();
        while (job.done.get() < n) {
            if (System.nanoTime() - start < CALLER_SPIN_NANOS) Thread.onSpinWait();
            else LockSupport.parkNanos(CALLER_SPIN_NANOS);
        }
        Throwable f = job.failure.get();
        if (f instanceof RuntimeException e) throw e;
        if (f instanceof Error e) throw e;
    }

    /** How long the caller spins for the workers' last items before it polls every as many nanoseconds. */
    private static final long CALLER_SPIN_NANOS = 50_000;
    /** How long an idle worker spins for the next call before it parks. */
    private static final long WORKER_SPIN_NANOS = 200_000;

    /** One call of forEach: items handed out by a shared counter. */
    private static final class Job {
        final int n;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger(), done = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(int n, IntConsumer body) { this.n = n; this.body = body; }

        void work() {
            for (int i; (i = next.getAndIncrement()) < n; ) {
                try {
                    if (failure.get() == null) body.accept(i); // after a failure the rest is only counted
                } catch (RuntimeException | Error e) {
                    failure.compareAndSet(null, e);
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private static final class Worker extends Thread {
        volatile boolean parked;

        Worker(Runnable loop, String name) {
            super(loop, name);
            setDaemon(true);
        }
    }

    /** threads − 1 workers and the one call they serve at a time. */
    private static final class Workers {
        final int threads;
        final ReentrantLock submit = new ReentrantLock();
        private final Worker[] pool;
        private volatile Job job;        // the call being served, null between calls
        private volatile long generation; // bumped by every publish, so a worker runs each call at most once
        private volatile boolean closed;

        Workers(int threads) {
            this.threads = threads;
            pool = new Worker[threads - 1];
            for (int i = 0; i < pool.length; i++) {
                pool[i] = new Worker(this::loop, "omnigen2-worker-" + (i + 1));
                pool[i].start();
            }
        }

        void publish(Job j) {
            job = j;
            generation++;  // only the thread holding submit writes
            for (Worker w : pool) if (w.parked) LockSupport.unpark(w);
        }

        /** The caller has taken the last item: workers that look now find nothing (the Job is not kept alive). */
        void retire() { job = null; }

        void close() {
            closed = true;
            for (Worker w : pool) LockSupport.unpark(w);
        }

        private void loop() {
            Worker self = (Worker) Thread.currentThread();
            long seen = 0;
            while (!closed) {
                long g = generation;
                if (g != seen) {
                    seen = g;
                    Job j = job;
                    if (j != null) j.work();
                    continue;
                }
                long start = System.nanoTime();
                while (generation == seen && !closed) {
                    if (System.nanoTime() - start < WORKER_SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        self.parked = true;
                        if (generation == seen && !closed) LockSupport.park(this);
                        self.parked = false;
                    }
                }
            }
        }
    }
}
