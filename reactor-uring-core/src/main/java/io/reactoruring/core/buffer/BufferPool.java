package io.reactoruring.core.buffer;

import io.reactoruring.core.internal.FixedBufferRegistrar;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.internal.Native;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A pool of page-aligned native buffers in power-of-two size classes (4 KiB to 4 MiB); larger
 * requests are served unpooled and freed on release. Thread-safe: buffers may be acquired and
 * released on any thread. Each loop owns one pool; {@link #close()} frees what it caches, and
 * buffers released after close are freed at once.
 *
 * <p>The pool caches blocks of memory, not {@link PooledBuffer} objects: each acquisition gets a new
 * PooledBuffer, so a reference kept after release fails instead of releasing another owner's
 * buffer. Memory is not zeroed (neither new nor recycled blocks): a buffer's content is undefined
 * until written, and acquiring a large one costs no page touching, on a loop thread or elsewhere.
 *
 * <p><b>Registered memory.</b> A loop's pool registers its blocks with the loop's ring (fixed
 * buffers) the first time an op of that loop reads or writes a file through one of them, so later
 * reads and writes into the block are READ_FIXED/WRITE_FIXED; a registered block is taken out of the
 * ring's table before its memory is freed. Where the ring refuses (RLIMIT_MEMLOCK), the pool works
 * unregistered. See {@link io.reactoruring.core.RingOptions#registeredBuffers(int)}.
 */
public final class BufferPool implements AutoCloseable {
    static final int MIN_SHIFT = 12;
    static final int MAX_SHIFT = 22;

    /** A block of native memory owned by the pool; acquisitions are {@link PooledBuffer} views of it. */
    static final class Block {
        /** {@link #fixed}: never registered; being registered (loop thread); freed (never to be registered). */
        static final int UNREGISTERED = -1, REGISTERING = -2, FREED = -3;
        static final AtomicIntegerFieldUpdater<Block> FIXED = AtomicIntegerFieldUpdater.newUpdater(Block.class, "fixed");

        final long address;
        final int capacity;
        final ByteBuffer root;
        /** The ring's fixed-buffer slot holding this block (>= 0), or one of the states above. */
        volatile int fixed = UNREGISTERED;

        Block(long address, int capacity, ByteBuffer root) {
            this.address = address;
            this.capacity = capacity;
            this.root = root;
        }
    }

    private final ConcurrentLinkedQueue<Block>[] free;
    private final AtomicInteger[] cached;
    private final int maxCachedPerClass;
    private final AtomicLong outstanding = new AtomicLong();
    private volatile boolean closed;
    private volatile @Nullable FixedBufferRegistrar registrar;

    /** @param maxCachedPerClass how many free buffers each size class keeps; more are freed. */
    @SuppressWarnings("unchecked")
    public BufferPool(int maxCachedPerClass) {
        if (maxCachedPerClass < 0) {
            throw new IllegalArgumentException("maxCachedPerClass must be >= 0");
        }
        this.maxCachedPerClass = maxCachedPerClass;
        int classes = MAX_SHIFT - MIN_SHIFT + 1;
        this.free = new ConcurrentLinkedQueue[classes];
        this.cached = new AtomicInteger[classes];
        for (int i = 0; i < classes; i++) {
            free[i] = new ConcurrentLinkedQueue<>();
            cached[i] = new AtomicInteger();
        }
    }

    /** A buffer of at least {@code minCapacity} bytes, owned by the caller (one reference). */
    public PooledBuffer acquire(int minCapacity) {
        if (minCapacity <= 0) {
            throw new IllegalArgumentException("capacity must be > 0, was " + minCapacity);
        }
        if (closed) {
            throw new IllegalStateException("buffer pool is closed");
        }
        int cls = sizeClass(minCapacity);
        Block b = cls >= 0 ? free[cls].poll() : null;
        if (b != null) {
            cached[cls].decrementAndGet();
        } else {
            int capacity = cls >= 0 ? 1 << (cls + MIN_SHIFT) : minCapacity;
            if (Native.isLoadable()) {
                long address = NativeMemory.allocateUninitialized(capacity, NativeMemory.PAGE);
                b = new Block(address, capacity, Native.wrap(address, capacity));
            } else {
                // No JNI library (JDK 22+ refusing native access, another platform): the NIO fallbacks
                // still pool buffers, as JDK direct buffers (address 0: never handed to a kernel ring;
                // NativeMemory.free ignores it and the GC frees the memory).
                b = new Block(0, capacity, ByteBuffer.allocateDirect(capacity));
            }
        }
        outstanding.incrementAndGet();
        return new PooledBuffer(this, b);
    }

    /** The last release of {@code buffer}: its block goes back to the cache, or is freed. */
    void recycle(PooledBuffer buffer) {
        outstanding.decrementAndGet();
        Block b = java.util.Objects.requireNonNull(buffer.block, "not a pool buffer");
        int cls = sizeClass(b.capacity); // -1 for unpooled (oversized) buffers
        if (cls >= 0 && !closed) {
            if (cached[cls].incrementAndGet() <= maxCachedPerClass) {
                free[cls].offer(b);
                if (closed && free[cls].remove(b)) { // raced with close(): free it here
                    cached[cls].decrementAndGet();
                    freeBlock(b);
                }
                return;
            }
            cached[cls].decrementAndGet();
        }
        freeBlock(b);
    }

    /**
     * Frees a block's memory, once nothing uses it: a block registered with the ring leaves the ring's
     * table first (on the loop thread), so no later op can reach the pages through a stale slot.
     */
    private void freeBlock(Block b) {
        int slot = Block.FIXED.getAndSet(b, Block.FREED);
        FixedBufferRegistrar r = registrar;
        if (slot >= 0 && r != null) {
            r.unregisterThenFree(slot, () -> NativeMemory.free(b.address, b.capacity));
        } else {
            NativeMemory.free(b.address, b.capacity);
        }
    }

    /**
     * Internal, for the loop that owns this pool: where the loop registers blocks with its ring.
     * Set once, before the pool hands out buffers to ops.
     */
    public void useRegistrar(FixedBufferRegistrar r) {
        this.registrar = java.util.Objects.requireNonNull(r, "registrar");
    }

    /**
     * Internal, loop thread of the owning loop only: the ring's fixed-buffer slot for an op that
     * transfers {@code [addr, addr + len)} of {@code buffer}, registering the buffer's block now if it
     * is not yet; -1 when the op must use plain READ/WRITE (the buffer is from another pool, not a
     * pooled block, released, or out of range, or registration is unavailable).
     */
    public int fixedIndex(PooledBuffer buffer, long addr, int len) {
        FixedBufferRegistrar r = registrar;
        Block b = buffer.block;
        if (r == null || b == null || buffer.pool != this || b.address == 0 || sizeClass(b.capacity) < 0
                || addr < b.address || len <= 0 || addr + len > b.address + b.capacity) {
            return -1;
        }
        int slot = b.fixed;
        if (slot >= 0) {
            return slot;
        }
        if (slot != Block.UNREGISTERED || !Block.FIXED.compareAndSet(b, Block.UNREGISTERED, Block.REGISTERING)) {
            return -1;
        }
        int index = r.register(b.address, b.capacity);
        if (index < 0) {
            // Stays unregistered: try again next time only if nothing has freed the block meanwhile.
            Block.FIXED.compareAndSet(b, Block.REGISTERING, Block.UNREGISTERED);
            return -1;
        }
        if (!Block.FIXED.compareAndSet(b, Block.REGISTERING, index)) {
            // Freed while being registered (its owner released it under an op): take the slot back.
            r.unregisterThenFree(index, () -> { });
            return -1;
        }
        return index;
    }

    private static int sizeClass(int capacity) {
        int shift = Math.max(MIN_SHIFT, 32 - Integer.numberOfLeadingZeros(capacity - 1));
        return shift > MAX_SHIFT ? -1 : shift - MIN_SHIFT;
    }

    /** Buffers acquired and not yet released: 0 when every user released what it got. */
    public long outstanding() {
        return outstanding.get();
    }

    /** Frees every cached buffer; outstanding buffers are freed when released. Idempotent. */
    @Override
    public void close() {
        closed = true;
        for (ConcurrentLinkedQueue<Block> q : free) {
            Block b;
            while ((b = q.poll()) != null) {
                freeBlock(b);
            }
        }
    }
}
