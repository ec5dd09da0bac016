package io.reactoruring.core.buffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * A direct, page-aligned native buffer from a {@link BufferPool} (or a slot of a
 * {@link BufferRing}). Reference counted: it starts with one reference; {@link #release()} drops one
 * and the last release returns the memory to its pool (or to the kernel's provided-buffer ring). A buffer handed to the kernel is referenced by the operation until its terminal CQE, so a
 * cancelled read can never have its memory reused while the kernel may still write into it.
 *
 * <p>Whoever receives a PooledBuffer from a reactor-uring API owns one reference and must release
 * it exactly once. Releasing more often than retained throws {@link IllegalStateException} and is
 * counted ({@link #doubleReleases()}). A {@link BufferPool} hands out a new PooledBuffer object for
 * every acquisition, so a stale reference kept after its release can never release the memory
 * again while someone else owns it: it only fails.
 *
 * <p><b>Lent buffers.</b> Some APIs (reactor-uring-net's {@code receive()}) lend
 * each buffer to {@code onNext} instead of handing it over: the library releases it when
 * {@code onNext} returns, unless the subscriber {@link #retain() retained} it (then it owns that
 * reference and releases it once) or passed it to an API that adopts what it is
 * given (reactor-uring-net's {@code sendPooled}). Releasing a lent buffer you did not retain is a
 * double release.
 *
 * <p><b>Dropped values.</b> reactor-uring hands each buffer it emits to {@code onNext} exactly once,
 * or releases it itself when the subscriber cancelled first; it never passes one to Reactor's
 * drop or discard hooks. After {@code onNext} a buffer that was not lent belongs downstream. Reactor operators that
 * drop a value they received because a cancel raced with it on another thread (for example
 * {@code timeout}, or {@code dispose()} of a subscriber from another thread) hand it to
 * {@code Hooks.onNextDropped}: install a hook that releases PooledBuffers
 * ({@code Hooks.onNextDropped(PooledBuffer::releaseDropped)}) or such a buffer is never returned
 * ({@link BufferPool#outstanding()} counts it).
 */
public final class PooledBuffer {
    private static final AtomicIntegerFieldUpdater<PooledBuffer> REFS =
            AtomicIntegerFieldUpdater.newUpdater(PooledBuffer.class, "refs");
    private static final AtomicIntegerFieldUpdater<PooledBuffer> LENT =
            AtomicIntegerFieldUpdater.newUpdater(PooledBuffer.class, "lent");
    private static final AtomicLong DOUBLE_RELEASES = new AtomicLong();
    private static final reactor.util.Logger LOG = reactor.util.Loggers.getLogger(PooledBuffer.class);
    private static final java.util.concurrent.atomic.AtomicBoolean LENT_RELEASE_WARNED =
            new java.util.concurrent.atomic.AtomicBoolean();

    /** Where the memory goes after the last release: {@code pool}, or else {@code ring}. */
    final @Nullable BufferPool pool;
    final @Nullable BufferRing ring;
    final int bufferId;
    final long address;
    final int capacity;
    /** The pool's block behind this buffer ({@code pool} only): it outlives this acquisition. */
    final BufferPool.@Nullable Block block;
    private final ByteBuffer buffer;
    /** A slice of an incremental ring's buffer: what to run after its last release, or null. */
    @Nullable Runnable whenBack;
    /** Leak detection's record of this acquisition, or null. */
    BufferPool.@Nullable Tracker tracker;
    private volatile int refs;
    /** 1 while {@link #lendTo} runs and the lender still holds its reference; cleared by {@link #adopt()}. */
    private volatile int lent;

    static {
        io.reactoruring.core.internal.CoreAccess.register(new io.reactoruring.core.internal.CoreAccess.Buffers() {
            @Override
            public void lend(PooledBuffer buffer, java.util.function.Consumer<? super PooledBuffer> onNext) {
                buffer.lendTo(onNext);
            }

            @Override
            public PooledBuffer adopt(PooledBuffer buffer) {
                return buffer.adopt();
            }
        });
    }

    /** One acquisition of {@code block}: a fresh object and a fresh view, holding one reference. */
    PooledBuffer(BufferPool pool, BufferPool.Block block) {
        this.pool = pool;
        this.ring = null;
        this.bufferId = -1;
        this.block = block;
        this.address = block.address;
        this.capacity = block.capacity;
        this.buffer = block.root.duplicate().clear().order(ByteOrder.nativeOrder());
        this.refs = 1;
    }

    PooledBuffer(@Nullable BufferPool pool, @Nullable BufferRing ring, int bufferId, long address, int capacity,
            ByteBuffer buffer) {
        this.pool = pool;
        this.ring = ring;
        this.bufferId = bufferId;
        this.address = address;
        this.capacity = capacity;
        this.block = null;
        this.buffer = buffer;
    }

    void reset() {
        buffer.clear();
        LENT.set(this, 0);
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

    /** The buffer's size in bytes (at least what was asked of the pool). */
    public int capacity() {
        return capacity;
    }

    /**
     * The current number of references (0 once released): a diagnostic, stale as soon as it is read when other threads hold references.
     */
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
                DOUBLE_RELEASES.incrementAndGet();
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

    /**
     * Lends this buffer to {@code onNext} (typically a subscriber's): the caller's reference is
     * released as soon as {@code onNext} returns (or throws), unless {@code onNext} passed the buffer
     * to something that {@linkplain #adopt() adopted} that reference. Whoever wants the buffer beyond
     * {@code onNext} calls {@link #retain()} in it and later releases that reference. A release
     * inside {@code onNext} of a reference it did not retain makes the lender's release a double
     * release: counted ({@link #doubleReleases()}) and logged once at WARN, not thrown.
     *
     * @throws IllegalStateException if the buffer is already released, or already being lent
     */
    void lendTo(java.util.function.Consumer<? super PooledBuffer> onNext) {
        if (refs <= 0) {
            throw new IllegalStateException("lendTo() of a released buffer");
        }
        if (!LENT.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("lendTo() of a buffer that is already lent");
        }
        try {
            onNext.accept(this);
        } finally {
            if (LENT.compareAndSet(this, 1, 0)) {
                try {
                    release();
                } catch (IllegalStateException alreadyReleased) { // counted in doubleReleases()
                    if (LENT_RELEASE_WARNED.compareAndSet(false, true)) {
                        LOG.warn("A subscriber released a lent buffer it had not "
                                + "retained (receive() releases each buffer after onNext; retain() to keep one)",
                                alreadyReleased);
                    }
                }
            }
        }
    }

    /**
     * Makes sure the caller holds a reference to this buffer, for APIs that take ownership of the
     * buffers they are given (reactor-uring-net's {@code sendPooled}): if the buffer is being
     * {@linkplain #lendTo lent} and the lender's is its only reference, the caller takes that one
     * over (the lender then does not release it); otherwise the caller is given the reference its
     * source owned (one it acquired or {@link #retain() retained}).
     *
     * @return this buffer
     * @throws IllegalStateException if the buffer is already released (for example a lent buffer
     *         that an operator such as {@code publishOn} held past {@code onNext} without retaining it)
     */
    PooledBuffer adopt() {
        if (refs <= 0) {
            throw new IllegalStateException("a released buffer was handed on: retain() a buffer received from "
                    + "receive() to keep it past onNext (operators that queue, such as publishOn or flatMap, keep it)");
        }
        if (lent != 0 && refs == 1) {
            LENT.compareAndSet(this, 1, 0);
        }
        return this;
    }

    /** True while this buffer is {@linkplain #lendTo lent} and the lender still holds its reference. */
    boolean isLent() {
        return lent != 0;
    }

    /**
     * Releases {@code value} if it is a PooledBuffer, for {@code Hooks.onNextDropped} and
     * {@code doOnDiscard}; a buffer that was already released is ignored (Reactor composes the
     * {@code doOnDiscard} hooks of a chain, so one discarded value reaches each of them: the first
     * releases it). A lent buffer whose only reference is the lender's is left to
     * the lender, which releases it when {@code onNext} returns. Never throws: a hook must not fail.
     */
    public static void releaseDropped(Object value) {
        if (value instanceof PooledBuffer) {
            PooledBuffer b = (PooledBuffer) value;
            if (b.refs <= 0 || b.lent != 0 && b.refs == 1) {
                return;
            }
            try {
                b.release();
            } catch (IllegalStateException alreadyReleased) {
                // counted in doubleReleases()
            }
        }
    }

    /**
     * How many times, JVM-wide, a release() found the buffer already released (a bug in its owner:
     * the memory might have been given to someone else). Tests assert it stays 0.
     */
    public static long doubleReleases() {
        return DOUBLE_RELEASES.get();
    }

    @Override
    public String toString() {
        return "PooledBuffer[" + capacity + " bytes, refs=" + refs + "]";
    }
}
