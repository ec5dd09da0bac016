package io.reactoruring.core;

import io.reactoruring.core.internal.FixedBufferRegistrar;
import io.reactoruring.core.internal.Native;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The fixed-buffer table of one loop's ring, filled lazily with blocks of the loop's
 * {@link io.reactoruring.core.buffer.BufferPool}: a sparse table of
 * {@link RingOptions#registeredBuffers} slots registered when the ring is set up
 * (io_uring_register_buffers_sparse), one slot per block put in place by
 * io_uring_register_buffers_update_tag the first time an op of this loop transfers through the block.
 *
 * <p><b>Threads.</b> io_uring_register must come from the loop thread on a SINGLE_ISSUER ring, and
 * between two enters it cannot race the loop's own submissions: every registration and every
 * emptying of a slot runs on the loop thread. {@link #register} is called there (by the pool, while
 * an op's SQE is being written); {@link #unregisterThenFree} may be called from any thread (the last
 * release of a buffer) and queues the slot for the loop, which empties it and only then frees the
 * memory: a slot never points at memory that was freed, so no later op can reach stale pages. An op
 * in flight holds its buffer, so a block is never freed while an SQE names its slot.
 *
 * <p><b>Refusal.</b> Registration pins the block's pages, charged to RLIMIT_MEMLOCK without
 * CAP_IPC_LOCK. The first refusal is logged once per JVM, naming the limit; this loop then stops
 * registering and its pool works unregistered (plain READ/WRITE).
 */
final class FixedBuffers implements FixedBufferRegistrar {
    private static final Logger LOG = Loggers.getLogger(UringLoop.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final LoopDriver driver;
    private final int capacity;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    private final Runnable drainTask = this::drain;
    /** Set on the loop thread once the ring is closed: frees run at once from then on. */
    private volatile boolean ringClosed;
    private volatile boolean drainPosted;

    // Loop-thread state.
    private int[] free = new int[0];
    private int freeCount;
    private boolean enabled;
    /** Why registration is off (for tests and the log), or null. */
    private volatile String disabledBecause = "not set up";
    private volatile int registered;

    private record Pending(int index, Runnable free) {
    }

    FixedBuffers(LoopDriver driver, int capacity) {
        this.driver = driver;
        this.capacity = capacity;
    }

    /** Loop thread, right after the ring is set up: registers the sparse table, or leaves registration off. */
    void setUp(long ring, String loopName) {
        if (capacity <= 0) {
            disabledBecause = "RingOptions.registeredBuffers(0)";
            return;
        }
        int res = Native.registerBuffersSparse(ring, capacity);
        if (res < 0) {
            // EINVAL before 5.19 (no sparse tables): nothing to tell but a debug line.
            disabledBecause = "io_uring_register_buffers_sparse failed with " + Errno.name(res);
            LOG.debug("io_uring loop {}: no fixed buffers: {}", loopName, disabledBecause);
            return;
        }
        free = new int[capacity];
        for (int i = 0; i < capacity; i++) {
            free[i] = capacity - 1 - i; // slot 0 first
        }
        freeCount = capacity;
        enabled = true;
        disabledBecause = null;
    }

    @Override
    public int register(long address, int size) {
        if (!enabled || freeCount == 0) {
            return -1;
        }
        int index = free[--freeCount];
        int res = Native.registerBufferUpdate(driver.ring(), index, address, size);
        if (res < 0) {
            free[freeCount++] = index;
            enabled = false;
            String note = res == -Errno.ENOMEM ? Uring.memlockNoteForEnomem(size, "registering a pool buffer") : "";
            disabledBecause = "io_uring_register_buffers_update failed with " + Errno.name(res) + note;
            if (WARNED.compareAndSet(false, true)) {
                LOG.warn("io_uring loop {}: cannot register pool buffers with the ring ({}); reads and writes "
                        + "through pooled buffers use plain READ/WRITE from now on", driver.name(), disabledBecause);
            }
            return -1;
        }
        registered++;
        driver.metrics().fixedBufferRegistrations++;
        return index;
    }

    @Override
    public void unregisterThenFree(int index, Runnable freeMemory) {
        if (ringClosed) {
            freeMemory.run();
            return;
        }
        pending.add(new Pending(index, freeMemory));
        if (ringClosed) {
            drainAfterClose(); // raced with the close: whoever polls an entry frees it
            return;
        }
        if (driver.inLoop()) {
            drain();
            return;
        }
        if (!drainPosted) {
            drainPosted = true;
            try {
                driver.post(drainTask);
            } catch (RejectedExecutionException e) {
                drainPosted = false; // the loop is going: its close frees what is pending
            }
        }
    }

    /** Loop thread: empties the slots of freed blocks, then frees their memory. */
    private void drain() {
        drainPosted = false;
        if (ringClosed) {
            drainAfterClose();
            return;
        }
        Pending p;
        while ((p = pending.poll()) != null) {
            int res = Native.registerBufferUpdate(driver.ring(), p.index, 0, 0);
            if (res >= 0) {
                free[freeCount++] = p.index;
                registered--;
            } // else the slot stays taken (never reused): its pages stay pinned until the ring closes
            p.free.run();
        }
    }

    /** Loop thread, after the ring is closed (the kernel dropped every registration): frees what is pending. */
    void ringClosed() {
        ringClosed = true;
        drainAfterClose();
    }

    private void drainAfterClose() {
        Pending p;
        while ((p = pending.poll()) != null) {
            p.free.run();
        }
    }

    /** Blocks registered now (any thread; exact after a loop round trip). */
    int registered() {
        return registered;
    }

    /** Why blocks are not registered, or null when they are. */
    String disabledBecause() {
        return disabledBecause;
    }
}
