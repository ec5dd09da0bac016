package io.reactoruring.core.internal;

/**
 * The fixed-buffer table of one loop's ring, as its {@link io.reactoruring.core.buffer.BufferPool}
 * sees it: the pool's blocks are registered lazily, the first time an op reads or writes one of them
 * (READ_FIXED / WRITE_FIXED), and a registered block is taken out of the table before its memory is
 * freed. Internal: implemented by the loop, used by its pool.
 */
public interface FixedBufferRegistrar {
    /**
     * Loop thread only: registers {@code [address, address + capacity)} in a free slot of the ring's
     * table. The slot index, or -1 when the block stays unregistered (table full, registration
     * disabled, or refused by the kernel, e.g. RLIMIT_MEMLOCK: said once, then the pool works unregistered).
     */
    int register(long address, int capacity);

    /**
     * Any thread: the block in slot {@code index} is being freed. Empties the slot on the loop thread,
     * then runs {@code free}; once the ring is closed (its registrations gone with it), runs
     * {@code free} at once. {@code free} runs exactly once.
     */
    void unregisterThenFree(int index, Runnable free);
}
