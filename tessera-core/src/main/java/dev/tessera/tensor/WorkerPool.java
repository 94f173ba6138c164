package dev.tessera.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool that splits an index range into contiguous chunks which the calling thread and the workers take
 * in turn from a shared counter, each chunk a fixed share of what is left (guided scheduling): big chunks first,
 * small ones at the end, so the threads finish a section close together. Hand-off is a volatile generation counter
 * that workers spin on briefly before parking, so a decode step's hundreds of small parallel sections cost
 * microseconds each and allocate nothing.
 *
 * <p>Calls from inside a running task (or while another caller holds the pool) run inline on the caller, so
 * nesting cannot deadlock.
 */
public final class WorkerPool implements AutoCloseable {
    /** A body over a half-open index range; implementations are long-lived objects, not per-call lambdas. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    private static final long SPIN_NANOS = 200_000;
    private static final long CALLER_SPIN_NANOS = 50_000;
    /**
     * A chunk is 1/(this × threads) of what is left, so a thread that starts late (woken from park) or runs slower
     * (the other core busy with the host) takes less, and the last chunks are small: the other thread waits at most
     * one small chunk at the end of a section instead of half of a fixed one.
     */
    private static final int SHARE_DIVISOR = 2;
    /** Chunks never get smaller than 1/(this × threads) of the section, so the shared counter is not hammered. */
    private static final int MIN_CHUNK_DIVISOR = 32;

    private final int threads;
    private final Thread[] workers;
    private final AtomicIntegerArray parked;
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicInteger next = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    private RangeTask task;
    private int total;
    private int align;
    private int minChunk;
    private boolean busy;

    public WorkerPool(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1: " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        this.parked = new AtomicIntegerArray(threads);
        for (int i = 0; i < workers.length; i++) {
            int index = i + 1;
            Thread t = new Thread(() -> workLoop(index), "tessera-worker-" + index);
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    /** Threads to use by default: every available core. */
    public static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public int threads() {
        return threads;
    }

    /** Runs {@code task} over {@code [0, n)} split in contiguous chunks. */
    public void forRange(int n, RangeTask task) {
        forRange(n, 1, task);
    }

    /** As {@link #forRange(int, RangeTask)}, with chunk boundaries on multiples of {@code align}. */
    public synchronized void forRange(int n, int align, RangeTask task) {
        if (n <= 0) {
            return;
        }
        if (threads == 1 || busy || n <= align) {
            task.run(0, n);
            return;
        }
        busy = true;
        try {
            this.task = task;
            this.total = n;
            this.align = align;
            this.minChunk = roundUp(Math.max(1, n / (threads * MIN_CHUNK_DIVISOR)), align);
            this.failure = null;
            next.set(0);
            pending.set(threads - 1);
            generation++;
            for (int i = 0; i < workers.length; i++) {
                if (parked.get(i + 1) != 0) {
                    LockSupport.unpark(workers[i]);
                }
            }
            try {
                runChunks();
            } catch (Throwable t) {
                // Still wait below: the workers read this call's task until they are done with it.
                failure = t;
            }
            // Spin while the workers are about to finish; if they are slow (descheduled on a busy machine), yield
            // the core instead of burning the time slice they need.
            long spinStart = System.nanoTime();
            while (pending.get() != 0) {
                if (System.nanoTime() - spinStart < CALLER_SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            Throwable f = failure;
            if (f != null) {
                if (f instanceof RuntimeException re) {
                    throw re;
                }
                if (f instanceof Error e) {
                    throw e;
                }
                throw new RuntimeException(f);
            }
        } finally {
            this.task = null;
            busy = false;
        }
    }

    private void runChunks() {
        while (true) {
            int from = next.get();
            if (from >= total) {
                return;
            }
            int share = roundUp((total - from) / (threads * SHARE_DIVISOR), align);
            int to = Math.min(total, from + Math.max(minChunk, share));
            if (next.compareAndSet(from, to)) {
                task.run(from, to);
            }
        }
    }

    private static int roundUp(int n, int align) {
        return (n + align - 1) / align * align;
    }

    private void workLoop(int index) {
        long seen = 0;
        while (true) {
            long spinStart = System.nanoTime();
            while (generation == seen && !closed) {
                if (System.nanoTime() - spinStart < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    parked.set(index, 1);
                    if (generation == seen && !closed) {
                        LockSupport.park(this);
                    }
                    parked.set(index, 0);
                    spinStart = System.nanoTime();
                }
            }
            if (closed) {
                return;
            }
            seen = generation;
            try {
                runChunks();
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
