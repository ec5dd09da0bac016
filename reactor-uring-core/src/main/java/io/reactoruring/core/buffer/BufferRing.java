package io.reactoruring.core.buffer;

import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * A provided-buffer ring (io_uring_register_buf_ring): {@code entries} equal buffers the kernel
 * picks from itself when an op asks for one ({@code IOSQE_BUFFER_SELECT} with
 * {@code bufIndex(groupId())}), so a multishot receive needs no buffer per request. Created and
 * registered by {@code UringLoop.registerBufferRing}.
 *
 * <p>Ownership: a buffer belongs to the kernel while it is in the ring. A CQE carrying
 * {@code IORING_CQE_F_BUFFER} hands buffer {@code id} to Java; the op that reaped it (in the net
 * module, the multishot receive) wraps it as a {@link PooledBuffer} and hands that to its subscriber,
 * who owns it: its last {@link PooledBuffer#release()} (on any thread) puts it back into the ring. A kernel that finds the ring empty fails the op with {@code -ENOBUFS}
 * ({@link #recordExhausted()} counts that).
 *
 * <p>Lifetime: the ring is reference counted. Its creator holds one reference ({@link #close()}),
 * every op that may pick from it should hold one ({@link #retain()} at submission,
 * {@link #release()} after its terminal CQE) and every buffer taken holds one. The last release
 * unregisters the ring on its loop and frees its memory.
 *
 * <p><b>Incremental consumption</b> ({@link #incremental()}, {@code IOU_PBUF_RING_INC}, Linux 6.12+):
 * the kernel uses only as many bytes of a buffer as a completion delivers and keeps filling the same
 * buffer (from any op of the group) while its CQEs carry {@code IORING_CQE_F_BUF_MORE}. Each
 * completion then becomes its own PooledBuffer, a slice of the buffer starting where the previous
 * completion of that buffer id stopped. A buffer id goes back into the ring only when the kernel is
 * done with it (a CQE of that id without BUF_MORE) and every slice of it has been released. A
 * buffer the kernel is still filling counts as {@linkplain #available() available}.
 */
public final class BufferRing {
    private static final VarHandle SHORTS = MethodHandles.byteBufferViewVarHandle(short[].class, ByteOrder.nativeOrder());
    /** struct io_uring_buf: u64 addr, u32 len, u16 bid, u16 resv; the ring tail overlays bufs[0].resv. */
    private static final int ENTRY = 16;
    private static final int TAIL_OFFSET = 14;
    /** The kernel caps a buffer ring at 32768 entries (a 16-bit tail with room to tell full from empty). */
    public static final int MAX_ENTRIES = 32768;

    private final int entries;
    private final int bufferSize;
    private final int groupId;
    private final long ringAddress;
    private final long dataAddress;
    /** The ring array and the buffers' memory: blocks of the loop's pool, so rings are cheap to recreate. */
    private final PooledBuffer ringBlock;
    private final PooledBuffer dataBlock;
    private final ByteBuffer ring;
    private final PooledBuffer[] buffers;
    private final Consumer<BufferRing> unregister;
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicInteger inRing = new AtomicInteger();
    private final AtomicLong exhaustions = new AtomicLong();
    /** Waiters for a free buffer, woken one per buffer that comes back (the ring may be shared). */
    private final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    /** Per buffer id, what to run after its last release put it back (the taker's accounting), or null. */
    private final @Nullable Runnable[] onRecycle;
    private final Runnable onExhausted;
    /** The buffers' memory as one view, for slices (incremental rings). */
    private final ByteBuffer data;
    /**
     * Incremental rings, per buffer id: live slices, plus 1 while the kernel may still fill the buffer
     * (its last CQE carried BUF_MORE). 0: the buffer is in the ring, untouched by Java.
     */
    private final AtomicIntegerArray holds;
    /** Incremental rings, per buffer id: bytes the kernel has delivered from it. Loop thread only. */
    private final int[] consumed;
    /** Decided by the loop before the ring is handed out: registered with IOU_PBUF_RING_INC. */
    private volatile boolean incremental;
    private int tail; // guarded by this
    private boolean closed;
    private boolean freed;

    static {
        CoreAccess.register(new CoreAccess.Rings() {
            @Override
            public BufferRing allocate(int entries, int bufferSize, int groupId, BufferPool pool,
                    Consumer<BufferRing> unregister, Runnable onExhausted) {
                return BufferRing.allocate(entries, bufferSize, groupId, pool, unregister, onExhausted);
            }

            @Override
            public void incremental(BufferRing ring, boolean incremental) {
                ring.incremental = incremental;
            }

            @Override
            public PooledBuffer take(BufferRing ring, int id, int length, @Nullable Runnable whenBack) {
                return ring.take(id, length, whenBack);
            }

            @Override
            public PooledBuffer take(BufferRing ring, int id, int length, boolean more, @Nullable Runnable whenBack) {
                return ring.take(id, length, more, whenBack);
            }

            @Override
            public void free(BufferRing ring) {
                ring.free();
            }
        });
    }

    private BufferRing(int entries, int bufferSize, int groupId, BufferPool pool, Consumer<BufferRing> unregister,
            Runnable onExhausted) {
        this.entries = entries;
        this.bufferSize = bufferSize;
        this.groupId = groupId;
        this.unregister = unregister;
        this.onExhausted = onExhausted;
        // Pool blocks are page-aligned, as the kernel requires of the ring; neither needs zeroing.
        this.ringBlock = pool.acquire(entries * ENTRY);
        try {
            this.dataBlock = pool.acquire(entries * bufferSize);
        } catch (RuntimeException | Error e) {
            ringBlock.release();
            throw e;
        }
        this.ringAddress = ringBlock.address();
        this.dataAddress = dataBlock.address();
        this.ring = ringBlock.buffer().clear().order(ByteOrder.nativeOrder());
        ByteBuffer all = dataBlock.buffer().clear().order(ByteOrder.nativeOrder());
        this.data = all;
        this.holds = new AtomicIntegerArray(entries);
        this.consumed = new int[entries];
        this.buffers = new PooledBuffer[entries];
        this.onRecycle = new Runnable[entries];
        for (int id = 0; id < entries; id++) {
            ByteBuffer slice = all.slice(id * bufferSize, bufferSize).order(ByteOrder.nativeOrder());
            buffers[id] = new PooledBuffer(null, this, id, dataAddress + (long) id * bufferSize, bufferSize, slice);
            put(id);
        }
    }

    /**
     * Allocates a ring of {@code entries} buffers of {@code bufferSize} bytes from {@code pool}, all
     * initially handed to the kernel. For {@code UringLoop}, which registers it under {@code groupId} and passes the
     * hooks that unregister it ({@code unregister}, called once, after the last release) and count
     * exhaustion in the loop's metrics.
     *
     * @throws IllegalArgumentException if {@code entries} is not a power of two in 1..32768 or the
     *         total size exceeds 2 GiB
     */
    static BufferRing allocate(int entries, int bufferSize, int groupId, BufferPool pool,
            Consumer<BufferRing> unregister, Runnable onExhausted) {
        checkSize(entries, bufferSize);
        if (groupId < 0 || groupId > 0xffff) {
            throw new IllegalArgumentException("groupId must be 0..65535, was " + groupId);
        }
        return new BufferRing(entries, bufferSize, groupId, java.util.Objects.requireNonNull(pool, "pool"),
                java.util.Objects.requireNonNull(unregister, "unregister"),
                java.util.Objects.requireNonNull(onExhausted, "onExhausted"));
    }

    /** Validates a ring shape: entries a power of two in 1..32768, bufferSize > 0, total below 2 GiB. */
    public static void checkSize(int entries, int bufferSize) {
        if (entries <= 0 || entries > MAX_ENTRIES || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries must be a power of two in 1.." + MAX_ENTRIES + ", was " + entries);
        }
        if (bufferSize <= 0) {
            throw new IllegalArgumentException("bufferSize must be > 0, was " + bufferSize);
        }
        if ((long) entries * bufferSize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a ring of " + entries + " x " + bufferSize + " bytes exceeds 2 GiB");
        }
    }

    /** Writes buffer {@code id} at the tail and publishes it to the kernel with a release store. */
    private synchronized void put(int id) {
        int p = (tail & (entries - 1)) * ENTRY;
        ring.putLong(p, dataAddress + (long) id * bufferSize);
        ring.putInt(p + 8, bufferSize);
        ring.putShort(p + 12, (short) id);
        // bufs[0].resv is the tail itself: written by the release store below, never here.
        tail++;
        // The kernel reads the tail with smp_load_acquire: the entry above must be visible first.
        SHORTS.setRelease(ring, TAIL_OFFSET, (short) tail);
        inRing.incrementAndGet();
    }

    /** The buffer group id to put in an SQE's buf_group ({@code Op.Builder.bufIndex}). */
    public int groupId() {
        return groupId;
    }

    /** The number of buffers in the ring (a power of two). */
    public int entries() {
        return entries;
    }

    /** The size of each buffer in bytes: the most one completion can deliver. */
    public int bufferSize() {
        return bufferSize;
    }

    /** Address of the ring (struct io_uring_buf_ring) for registration. */
    public long ringAddress() {
        return ringAddress;
    }

    /**
     * True when the ring was registered for incremental consumption ({@code IOU_PBUF_RING_INC}, Linux
     * 6.12+): completions deliver slices of its buffers (see the class comment). False for rings
     * registered without it, or where the kernel refused it.
     */
    public boolean incremental() {
        return incremental;
    }

    /** Buffers currently in the ring, available to the kernel (partly used ones of an incremental ring included). */
    public int available() {
        return inRing.get();
    }

    /** Buffers taken from the ring and not yet released back to it. */
    public int outstanding() {
        return entries - inRing.get();
    }

    /** How often an op found this ring empty (counted by {@link #recordExhausted()}). */
    public long exhaustions() {
        return exhaustions.get();
    }

    /** Records that the kernel found the ring empty (a {@code -ENOBUFS} completion). */
    public void recordExhausted() {
        exhaustions.incrementAndGet();
        onExhausted.run();
    }

    /**
     * Takes buffer {@code id}, which a CQE just handed over with {@code length} bytes written, as a
     * PooledBuffer (position 0, limit {@code length}) owned by the caller. Releasing it returns it to
     * the ring.
     *
     * @throws IllegalArgumentException for an id out of range or a length above the buffer size
     * @throws IllegalStateException if the buffer is already taken (the kernel and Java disagree), or
     *         the ring is {@linkplain #incremental() incremental}
     */
    PooledBuffer take(int id, int length) {
        return take(id, length, null);
    }

    /**
     * {@link #take(int, int)}, and runs {@code whenBack} (on the releasing thread) once the buffer's
     * last release has put it back into the ring: how a user of a shared ring counts what it holds.
     */
    PooledBuffer take(int id, int length, @Nullable Runnable whenBack) {
        if (incremental) {
            throw new IllegalStateException("ring " + groupId + " is incremental: take its buffers with the CQE's "
                    + "BUF_MORE flag");
        }
        if (id < 0 || id >= entries) {
            throw new IllegalArgumentException("buffer id " + id + " out of range 0.." + (entries - 1));
        }
        if (length < 0 || length > bufferSize) {
            throw new IllegalArgumentException("length " + length + " outside 0.." + bufferSize);
        }
        PooledBuffer b = buffers[id];
        if (b.refCount() != 0) {
            throw new IllegalStateException("buffer " + id + " of ring " + groupId + " is already taken");
        }
        refs.incrementAndGet();
        inRing.decrementAndGet();
        onRecycle[id] = whenBack;
        b.reset();
        b.buffer().limit(length);
        return b;
    }

    /**
     * Takes what a CQE handed over from buffer {@code id}: {@code length} bytes, and {@code more}
     * when it carried {@code IORING_CQE_F_BUF_MORE}. On a ring that is not {@linkplain #incremental()
     * incremental} this is {@link #take(int, int, Runnable)}. On an incremental one the result is a new
     * PooledBuffer over the {@code length} bytes that follow what earlier completions of this id
     * delivered (its capacity is {@code length}); its last release runs {@code whenBack} and, once the
     * kernel is done with the id and no other slice of it is held, puts the buffer back into the ring.
     * Loop thread only (completions of one ring are reaped in the order the kernel consumed them).
     *
     * @throws IllegalArgumentException for an id out of range, or a length beyond the buffer's end
     * @throws IllegalStateException if a ring that is not incremental reports BUF_MORE
     */
    PooledBuffer take(int id, int length, boolean more, @Nullable Runnable whenBack) {
        if (!incremental) {
            if (more) {
                throw new IllegalStateException("BUF_MORE for buffer " + id + " of ring " + groupId
                        + ", which is not incremental");
            }
            return take(id, length, whenBack);
        }
        if (id < 0 || id >= entries) {
            throw new IllegalArgumentException("buffer id " + id + " out of range 0.." + (entries - 1));
        }
        int h = holds.get(id);
        int offset = h == 0 ? 0 : consumed[id]; // 0: fresh from the ring, its first completion
        if (length < 0 || length > bufferSize - offset) {
            throw new IllegalArgumentException("length " + length + " at offset " + offset + " of buffer " + id
                    + " outside its " + bufferSize + " bytes");
        }
        consumed[id] = offset + length;
        refs.incrementAndGet(); // each slice keeps the ring's memory
        // The slice's hold, plus the kernel's while it keeps filling the buffer. A fresh buffer had no
        // kernel hold yet (it was simply in the ring); one the kernel is done with loses its hold now.
        int add = 1 + (h == 0 ? 1 : 0) - (more ? 0 : 1);
        if (add != 0) {
            holds.addAndGet(id, add);
        }
        if (!more) {
            inRing.decrementAndGet();
        }
        ByteBuffer view = data.slice(id * bufferSize + offset, length).order(ByteOrder.nativeOrder());
        PooledBuffer slice = new PooledBuffer(null, this, id, dataAddress + (long) id * bufferSize + offset, length, view);
        slice.whenBack = whenBack;
        slice.reset();
        return slice;
    }

    /** Incremental rings: the last release of a slice; the buffer goes back once nothing holds it. */
    private void releaseSlice(PooledBuffer slice) {
        Runnable whenBack = slice.whenBack;
        slice.whenBack = null;
        boolean back = holds.decrementAndGet(slice.bufferId) == 0;
        if (back) {
            put(slice.bufferId);
        }
        try {
            if (whenBack != null) {
                whenBack.run();
            }
        } finally {
            if (back) {
                wakeOne();
            }
            release();
        }
    }

    /** Last release of a taken buffer: back into the ring, then the taker's hook, then wake one waiter. */
    void recycle(PooledBuffer b) {
        if (incremental) {
            releaseSlice(b);
            return;
        }
        Runnable whenBack = onRecycle[b.bufferId];
        onRecycle[b.bufferId] = null;
        put(b.bufferId);
        try {
            if (whenBack != null) {
                whenBack.run();
            }
        } finally {
            wakeOne();
            release();
        }
    }

    private void wakeOne() {
        Waiter w;
        while ((w = waiters.poll()) != null) {
            if (w.fire()) {
                return;
            }
        }
    }

    /**
     * Completes as soon as at least one buffer is in the ring: at once if one is, else when a taken
     * buffer is released (on the releasing thread). Any number of waiters; each buffer that comes
     * back wakes one of them, in the order they started waiting.
     */
    public Mono<Void> whenAvailable() {
        return Mono.create(sink -> {
            Waiter w = new Waiter(sink);
            sink.onDispose(w::cancel);
            waiters.add(w);
            // A buffer put back between the check and add() woke someone else or nobody: check again.
            if (inRing.get() > 0 && waiters.remove(w)) {
                w.fire();
            }
        });
    }

    /** Waiters not yet woken (cancelled ones may linger until a wake-up passes them). */
    int waiting() {
        return waiters.size();
    }

    private static final class Waiter {
        private final MonoSink<Void> sink;
        private final java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();

        Waiter(MonoSink<Void> sink) {
            this.sink = sink;
        }

        /** Wakes the waiter; false if it had given up already (the wake-up goes to the next one). */
        boolean fire() {
            if (done.compareAndSet(false, true)) {
                sink.success();
                return true;
            }
            return false;
        }

        void cancel() {
            done.set(true);
        }
    }

    /** Adds a reference (an op that may pick buffers from the ring); fails once the ring is gone. */
    public BufferRing retain() {
        for (;;) {
            int r = refs.get();
            if (r <= 0) {
                throw new IllegalStateException("ring " + groupId + " is already released");
            }
            if (refs.compareAndSet(r, r + 1)) {
                return this;
            }
        }
    }

    /** Drops a reference; the last one unregisters the ring and frees its memory. */
    public void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            unregister.accept(this);
        } else if (r < 0) {
            throw new IllegalStateException("ring " + groupId + " released more often than retained");
        }
    }

    /** Drops the creator's reference (idempotent). */
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        release();
    }

    /** True once every reference is gone. */
    public boolean isReleased() {
        return refs.get() == 0;
    }

    /**
     * Returns the memory to the pool (idempotent). For the loop, once the last reference is gone
     * and the kernel has dropped the ring.
     */
    void free() {
        synchronized (this) {
            if (freed || refs.get() != 0) {
                if (!freed) {
                    throw new IllegalStateException("ring " + groupId + " is still referenced");
                }
                return;
            }
            freed = true;
        }
        dataBlock.release();
        ringBlock.release();
    }

    @Override
    public String toString() {
        return "BufferRing[group " + groupId + ", " + entries + " x " + bufferSize + " bytes, " + inRing.get()
                + " in the ring" + (incremental ? ", incremental" : "") + "]";
    }
}
