package io.reactoruring.core.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The one place reactor-uring allocates native memory. Every allocation has an owner that frees it
 * (a loop, a pool, an op's resources); the counters let tests prove that everything allocated was
 * released. Internal (exported only to the file and net modules); applications read the counters
 * through {@link io.reactoruring.core.Uring#nativeMemoryBytes()}.
 *
 * <p>Thread-safe: any thread may allocate and free; the counters are atomic.
 */
public final class NativeMemory {
    /** Page alignment: required by O_DIRECT and good for registered buffers. */
    public static final int PAGE = 4096;

    private static final AtomicLong BYTES = new AtomicLong();
    private static final AtomicLong BLOCKS = new AtomicLong();

    private NativeMemory() {
    }

    /** Zeroed memory aligned to {@code alignment}; free it with {@link #free(long, long)}. */
    public static long allocate(long size, int alignment) {
        return allocate(size, alignment, true);
    }

    /**
     * Memory aligned to {@code alignment} whose content is undefined; free it with
     * {@link #free(long, long)}. For buffers that are always written before they are read (I/O
     * buffers): zeroing a large block touches every page, which takes seconds for a GiB and would
     * stall a loop thread, while untouched pages of a large allocation are only mapped when used.
     */
    public static long allocateUninitialized(long size, int alignment) {
        return allocate(size, alignment, false);
    }

    private static long allocate(long size, int alignment, boolean zeroed) {
        if (size <= 0) {
            throw new IllegalArgumentException("size must be > 0, was " + size);
        }
        if (Integer.bitCount(alignment) != 1 || alignment < 8) {
            throw new IllegalArgumentException("alignment must be a power of two >= 8, was " + alignment);
        }
        Native.ensureLoaded();
        long address = zeroed ? Native.allocate(size, alignment) : Native.allocateUninitialized(size, alignment);
        if (address == 0) {
            throw new OutOfMemoryError("native allocation of " + size + " bytes failed");
        }
        BYTES.addAndGet(size);
        BLOCKS.incrementAndGet();
        return address;
    }

    /**
     * Frees a block from {@link #allocate(long, int)} or {@link #allocateUninitialized(long, int)}.
     * Exactly once per block, by its owner, and only when nothing (the kernel included) can still use
     * it; 0 is ignored.
     *
     * @param address the block's address, or 0
     * @param size the size it was allocated with (for the counters)
     */
    public static void free(long address, long size) {
        if (address == 0) {
            return;
        }
        Native.free(address);
        BYTES.addAndGet(-size);
        BLOCKS.decrementAndGet();
    }

    /** Bytes currently allocated through this class. */
    public static long allocatedBytes() {
        return BYTES.get();
    }

    /** Blocks currently allocated through this class. */
    public static long allocatedBlocks() {
        return BLOCKS.get();
    }
}
