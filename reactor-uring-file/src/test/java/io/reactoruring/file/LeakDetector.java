package io.reactoruring.file;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.buffer.BufferPool;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test that leaves pooled buffers or the file module's native blocks (paths, statx
 * buffers, iovec arrays) behind. Register it with {@code @RegisterExtension}; before each test it
 * records {@link BufferPool#outstanding()} of the back end's pool and {@link NativeBlock#live()},
 * after it waits (with the back end's bounded, sleep-free {@code await}: round trips through the
 * loop for io_uring) for both to return, and fails naming what did not.
 *
 * <p>{@link NativeMemory}'s global counters are reported in the message but not asserted: they also
 * count buffers a pool keeps cached for reuse, which core does not expose, so a test that merely
 * warmed a pool would fail.
 */
final class LeakDetector implements BeforeEachCallback, AfterEachCallback {
    private final Supplier<BufferPool> pool;
    private final Consumer<BooleanSupplier> await;
    private long outstanding;
    private long blocks;
    private long nativeBlocks;
    private long nativeBytes;

    /**
     * @param pool  the pool the code under test takes buffers from
     * @param await waits, bounded, until the condition holds (it may return with it still false)
     */
    LeakDetector(Supplier<BufferPool> pool, Consumer<BooleanSupplier> await) {
        this.pool = pool;
        this.await = await;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        verify();
    }

    /** Records the current counters as the baseline. */
    void start() {
        outstanding = pool.get().outstanding();
        blocks = NativeBlock.live();
        nativeBlocks = NativeMemory.allocatedBlocks();
        nativeBytes = NativeMemory.allocatedBytes();
    }

    /** Waits for the counters to return to the baseline; throws an {@link AssertionError} naming the leak if they don't. */
    void verify() {
        BufferPool p = pool.get();
        await.accept(() -> p.outstanding() <= outstanding && NativeBlock.live() <= blocks);
        long leakedBuffers = p.outstanding() - outstanding;
        long leakedBlocks = NativeBlock.live() - blocks;
        if (leakedBuffers > 0 || leakedBlocks > 0) {
            throw new AssertionError("leak: " + leakedBuffers + " pooled buffer(s) not released, " + leakedBlocks
                    + " native block(s) not freed (NativeMemory: " + (NativeMemory.allocatedBlocks() - nativeBlocks)
                    + " blocks, " + (NativeMemory.allocatedBytes() - nativeBytes) + " bytes more than before the test,"
                    + " pool caches included)");
        }
    }
}
