package io.reactoruring.core;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The counters of one loop. The loop thread increments the plain fields; at the end of each
 * iteration {@link #publish} copies them in place under a sequence lock ({@code publishedSeq} is odd
 * while the loop thread copies), so that publishing allocates nothing; {@link #snapshot} builds the
 * {@link UringMetrics} record on demand, from any thread.
 */
final class LoopMetrics {
    private static final int COUNT = 20;

    /** Loop thread only. */
    long iterations, submitted, completed, sqFullWaits, inFlightLimitWaits, cqOverflows, submitBusy, wakeups, enterCalls, stale;
    /** Loop thread only: spins before sleeping that found new work in the inbox (not in {@link UringMetrics}). */
    long spinHits;
    /** Loop thread only: READ/WRITE ops submitted as READ_FIXED/WRITE_FIXED; pool blocks registered; ops on direct descriptors. */
    long fixedBufferOps, fixedBufferRegistrations, fixedFileOps;
    /** Loop thread only: provided-buffer rings registered with IOU_PBUF_RING_INC and not yet unregistered. */
    long incrementalBufferRings;
    /** Any thread (buffer rings count their exhaustions where they see them). */
    final AtomicLong bufferRingExhaustions = new AtomicLong();
    /** Any thread: reads done inline on their caller's thread (no ring op). */
    final java.util.concurrent.atomic.LongAdder inlineReads = new java.util.concurrent.atomic.LongAdder();

    private final LoopDriver driver;
    private final long[] published = new long[COUNT];
    private volatile int publishedSeq;

    LoopMetrics(LoopDriver driver) {
        this.driver = driver;
    }

    /** Loop thread: copies the counters for other threads' {@link #snapshot}, without allocating. */
    void publish() {
        int seq = publishedSeq;
        publishedSeq = seq + 1;
        VarHandle.storeStoreFence(); // readers must see the odd sequence before any half-written copy
        copy(published);
        publishedSeq = seq + 2; // volatile write: releases the copy
    }

    /** The counters as of the last {@link #publish} (on the loop thread: the current ones; inlineReads always current). */
    UringMetrics snapshot(boolean onLoopThread) {
        long[] m = new long[COUNT];
        if (onLoopThread) {
            copy(m);
            return toMetrics(m);
        }
        while (true) {
            int seq = publishedSeq;
            if ((seq & 1) == 0) {
                System.arraycopy(published, 0, m, 0, COUNT);
                VarHandle.loadLoadFence(); // the copy above completes before the sequence is re-read
                if (publishedSeq == seq) {
                    return toMetrics(m);
                }
            }
            Thread.onSpinWait();
        }
    }

    private void copy(long[] m) {
        OpSlots slots = driver.slots();
        m[0] = submitted;
        m[1] = completed;
        m[2] = slots == null ? 0 : slots.used();
        m[3] = slots == null ? 0 : slots.highWater();
        m[4] = driver.budgetPerIteration();
        m[5] = driver.waitingCount();
        m[6] = sqFullWaits;
        m[7] = inFlightLimitWaits;
        m[8] = cqOverflows;
        m[9] = submitBusy;
        m[10] = wakeups;
        m[11] = enterCalls;
        m[12] = stale;
        m[13] = bufferRingExhaustions.get();
        m[14] = iterations;
        m[15] = fixedBufferOps;
        m[16] = fixedBufferRegistrations;
        m[17] = fixedFileOps;
        m[18] = incrementalBufferRings;
        // m[19], inlineReads: counted by the reading threads, summed by toMetrics (current, and not per iteration)
    }

    private UringMetrics toMetrics(long[] m) {
        m[19] = inlineReads.sum();
        return new UringMetrics(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15], m[16], m[17], m[18], m[19]);
    }
}
