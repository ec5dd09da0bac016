package io.reactoruring.core.buffer;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;

/**
 * A direct, page-aligned native buffer from a {@link BufferPool} (or a slot of a
 * {@link BufferRing}). Reference counted: it starts with one reference; {@link #release()} drops one
 * and the last release returns the memory to its pool (or to the kernel's provided-buffer ring). A buffer handed to the kernel is referenced by the operation until its terminal CQE, so a
 * cancelled read can never have its memory reused while the kernel may still write into it.
 *
 * <p>Whoever receives a PooledBuffer from a reactor-uring API owns one reference and must release
 * it exactly once. Releasing more often than retained throws {@link IllegalStateException}.
 */
public final class PooledBuffer {
    private static final AtomicIntegerFieldUpdater<PooledBuffer> REFS =
            AtomicIntegerFieldUpdater.newUpdater(PooledBuffer.class, "refs");

    /** Where the memory goes after the last release: {@code pool}, or else {@code ring}. */
    final @Nullable BufferPool pool;
    final @Nullable BufferRing ring;
    final int bufferId;
    final long address;
    final int capacity;
    private final ByteBuffer buffer;
    private volatile int refs;

    PooledBuffer(BufferPool pool, long address, int capacity, ByteBuffer buffer) {
        this(pool, null, -1, address, capacity, buffer);
    }

    PooledBuffer(@Nullable BufferPool pool, @Nullable BufferRing ring, int bufferId, long address, int capacity,
            ByteBuffer buffer) {
        this.pool = pool;
        this.ring = ring;
        this.bufferId = bufferId;
        this.address = address;
        this.capacity = capacity;
        this.buffer = buffer;
    }

    void reset() {
        buffer.clear();
        REFS.set(this, 1);
    }

    /** The memory as a direct ByteBuffer (position 0, limit capacity when acquired). */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Native address of the first byte, for building SQEs. */
    public long address() {
        return address;
    }

    public int capacity() {
        return capacity;
    }

    public int refCount() {
        return refs;
    }

    /** Adds a reference; fails if the buffer was already released. */
    public PooledBuffer retain() {
        for (;;) {
            int r = refs;
            if (r <= 0) {
                throw new IllegalStateException("retain() of a released buffer");
            }
            if (REFS.compareAndSet(this, r, r + 1)) {
                return this;
            }
        }
    }

    /** Drops a reference; returns true when this was the last one and the memory went back to its owner. */
    public boolean release() {
        for (;;) {
            int r = refs;
            if (r <= 0) {
                throw new IllegalStateException("release() of a buffer that was already released");
            }
            if (REFS.compareAndSet(this, r, r - 1)) {
                if (r == 1) {
                    if (pool != null) {
                        pool.recycle(this);
                    } else if (ring != null) {
                        ring.recycle(this);
                    }
                    return true;
                }
                return false;
            }
        }
    }

    @Override
    public String toString() {
        return "PooledBuffer[" + capacity + " bytes, refs=" + refs + "]";
    }
}
