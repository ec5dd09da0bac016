package io.reactoruring.core.buffer;

import io.reactoruring.core.internal.FixedBufferRegistrar;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.internal.Native;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.Scheduler;
import reactor.util.Logger;
import reactor.util.Loggers;

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
 *
 * <p><b>Trimming.</b> Cached blocks are memory the process keeps (RSS) after the connections or
 * files that used them are gone. {@link #trim()} frees the cached blocks that stayed idle since the
 * previous trim, beyond a small floor ({@link #trimFloor(long)}, default {@value #DEFAULT_TRIM_FLOOR}
 * bytes, kept in the smallest size classes first). It runs by itself once per
 * {@linkplain #trimInterval(Duration) trim interval} (default 10 s, system property
 * {@code reactoruring.bufferTrimMillis}) while idle memory above the floor is cached: a loop's pool
 * is trimmed by its loop thread (the loop bounds its wait in io_uring_enter by the next trim, no
 * timer op and no thread), another pool by the scheduler given to {@link #trimOn(Scheduler)}.
 *
 * <p><b>Leak detection.</b> With {@code -Dreactoruring.leakDetection=true} (or
 * {@link #leakDetection(boolean)}) every acquisition records where it happened; a buffer that becomes
 * unreachable without its last release is reported at WARN with that stack (and counted,
 * {@link #leaksDetected()}), and {@link #outstandingAcquisitions()} lists where the buffers still out
 * were acquired. It costs a stack trace per acquisition: for tests and debugging. Buffers of a
 * provided-buffer ring ({@link BufferRing}) are not tracked.
 */
public final class BufferPool implements AutoCloseable {
    static final int MIN_SHIFT = 12;
    static final int MAX_SHIFT = 22;
    /** Bytes of idle cached blocks a trim keeps by default. */
    public static final long DEFAULT_TRIM_FLOOR = 1024 * 1024;
    private static final long DEFAULT_TRIM_NANOS =
            TimeUnit.MILLISECONDS.toNanos(Math.max(1, Long.getLong("reactoruring.bufferTrimMillis", 10_000)));
    private static final Logger LOG = Loggers.getLogger(BufferPool.class);
    private static volatile boolean leakDetection = Boolean.getBoolean("reactoruring.leakDetection");
    private static final AtomicLong LEAKS = new AtomicLong();
    private static final int RECENT_LEAKS = 16;
    private static final ArrayDeque<String> RECENT = new ArrayDeque<>();

    /** The Cleaner's thread starts only when leak detection first tracks a buffer. */
    private static final class LeakCleaner {
        static final Cleaner CLEANER = Cleaner.create();
    }

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
    /** Bytes in the free lists. */
    private final AtomicLong cachedBytes = new AtomicLong();
    /** Per class, the fewest blocks cached since the last trim: those were idle the whole interval. */
    private final AtomicInteger[] lowWater;
    private volatile long trimNanos = DEFAULT_TRIM_NANOS;
    private volatile long trimFloor = DEFAULT_TRIM_FLOOR;
    /** When the next trim is due (System.nanoTime), valid while {@link #trimArmed}. */
    private volatile long trimDue;
    private final AtomicBoolean trimArmed = new AtomicBoolean();
    private volatile @Nullable Scheduler trimScheduler;
    /** Acquisitions being tracked (leak detection): where each buffer still out was acquired. */
    private final Set<Tracker> tracked = ConcurrentHashMap.newKeySet();
    private final AtomicLong trimmedBytes = new AtomicLong();

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
        this.lowWater = new AtomicInteger[classes];
        for (int i = 0; i < classes; i++) {
            free[i] = new ConcurrentLinkedQueue<>();
            cached[i] = new AtomicInteger();
            lowWater[i] = new AtomicInteger();
        }
    }

    // ------------------------------------------------------------------ trimming

    /**
     * How long cached memory above the floor may stay idle before a trim frees it (default 10 s, or
     * the system property {@code reactoruring.bufferTrimMillis}).
     */
    public BufferPool trimInterval(Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("trimInterval must be > 0, was " + interval);
        }
        this.trimNanos = interval.toNanos();
        if (trimArmed.get()) {
            long soonest = System.nanoTime() + trimNanos;
            if (soonest - trimDue < 0) {
                trimDue = soonest;
            }
        }
        return this;
    }

    /** The current trim interval (see {@link #trimInterval(Duration)}). */
    public Duration trimInterval() {
        return Duration.ofNanos(trimNanos);
    }

    /** Bytes of idle cached blocks a trim keeps (smallest size classes first); default {@value #DEFAULT_TRIM_FLOOR}. */
    public BufferPool trimFloor(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("trimFloor must be >= 0, was " + bytes);
        }
        this.trimFloor = bytes;
        return this;
    }

    /**
     * Trims this pool on {@code scheduler} (a one-shot task each interval, only while idle memory
     * above the floor is cached): for pools that no loop thread drives, such as the NIO fallbacks'.
     */
    public BufferPool trimOn(Scheduler scheduler) {
        this.trimScheduler = java.util.Objects.requireNonNull(scheduler, "scheduler");
        return this;
    }

    /**
     * Bytes of memory cached in the free lists: what {@link #trim()} may free down to the floor. A
     * block a trim takes out is counted until its memory has been freed, so once this reads below a
     * bound, {@link io.reactoruring.core.Uring#nativeMemoryBytes()} no longer counts what the trim freed.
     */
    public long cachedBytes() {
        return cachedBytes.get();
    }

    /** Bytes freed by trims so far. */
    public long trimmedBytes() {
        return trimmedBytes.get();
    }

    /**
     * Frees the cached blocks that were not needed since the previous trim (each size class's
     * low-water mark), keeping up to {@link #trimFloor(long)} bytes, smallest classes first. Any
     * thread; runs by itself every trim interval (see the class comment). Returns the bytes freed.
     */
    public long trim() {
        long keep = trimFloor;
        long freedBytes = 0;
        for (int cls = 0; cls < free.length; cls++) {
            int capacity = 1 << (cls + MIN_SHIFT);
            int now = cached[cls].get();
            int idle = Math.min(lowWater[cls].getAndSet(Integer.MAX_VALUE), now);
            int kept = (int) Math.min(now, keep / capacity);
            keep -= (long) kept * capacity;
            int toFree = Math.min(idle, now - kept);
            for (int i = 0; i < toFree; i++) {
                Block b = free[cls].poll();
                if (b == null) {
                    break;
                }
                cached[cls].decrementAndGet();
                // Uncounted only once the memory is gone: a reader that sees cachedBytes() fall below
                // a bound then sees Uring.nativeMemoryBytes() without the block (a 4 MiB block's free
                // takes a munmap, and a registered block's free waits for the loop thread).
                freeBlock(b, () -> cachedBytes.addAndGet(-b.capacity));
                freedBytes += b.capacity;
            }
            lowWater[cls].accumulateAndGet(cached[cls].get(), Math::min);
        }
        trimmedBytes.addAndGet(freedBytes);
        return freedBytes;
    }

    /**
     * For the loop thread that owns this pool, each iteration before it may block: runs
     * {@link #trim()} when one is due and returns when the next one is due ({@link System#nanoTime()}
     * based), or {@link Long#MAX_VALUE} when no idle memory above the floor is cached.
     */
    public long trimTick() {
        if (!trimArmed.get()) {
            return Long.MAX_VALUE;
        }
        long now = System.nanoTime();
        long due = trimDue;
        if (now - due < 0) {
            return due;
        }
        trim();
        return rearmTrim(now);
    }

    /** After a trim at {@code now}: the next due time while idle memory above the floor remains, else disarmed. */
    private long rearmTrim(long now) {
        trimArmed.set(false);
        if (cachedBytes.get() > trimFloor && trimArmed.compareAndSet(false, true)) {
            trimDue = now + trimNanos;
            return trimDue;
        }
        return Long.MAX_VALUE;
    }

    /** A block went into the cache: starts the trim clock if the cache is above the floor. */
    private void cachedMore() {
        if (cachedBytes.get() <= trimFloor || trimArmed.get() || !trimArmed.compareAndSet(false, true)) {
            return;
        }
        for (AtomicInteger lw : lowWater) {
            lw.set(Integer.MAX_VALUE); // an interval of observation starts now
        }
        for (int cls = 0; cls < free.length; cls++) {
            lowWater[cls].accumulateAndGet(cached[cls].get(), Math::min);
        }
        trimDue = System.nanoTime() + trimNanos;
        Scheduler s = trimScheduler;
        if (s != null) {
            scheduleTrim(s);
        }
    }

    private void scheduleTrim(Scheduler s) {
        try {
            s.schedule(() -> {
                if (closed) {
                    return;
                }
                long next = trimTick();
                if (next != Long.MAX_VALUE) {
                    scheduleTrim(s);
                }
            }, Math.max(1, trimDue - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            trimArmed.set(false); // the scheduler is gone: the next cached block tries again
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
            int left = cached[cls].decrementAndGet();
            cachedBytes.addAndGet(-b.capacity);
            AtomicInteger lw = lowWater[cls];
            if (left < lw.get()) {
                lw.accumulateAndGet(left, Math::min);
            }
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
        PooledBuffer pb = new PooledBuffer(this, b);
        if (leakDetection) {
            pb.tracker = track(pb);
        }
        return pb;
    }

    /** The last release of {@code buffer}: its block goes back to the cache, or is freed. */
    void recycle(PooledBuffer buffer) {
        Tracker t = buffer.tracker;
        if (t != null) {
            t.released();
        }
        Block b = java.util.Objects.requireNonNull(buffer.block, "not a pool buffer");
        try {
            int cls = sizeClass(b.capacity); // -1 for unpooled (oversized) buffers
            if (cls >= 0 && !closed) {
                if (cached[cls].incrementAndGet() <= maxCachedPerClass) {
                    cachedBytes.addAndGet(b.capacity);
                    free[cls].offer(b);
                    if (closed && free[cls].remove(b)) { // raced with close(): free it here
                        cached[cls].decrementAndGet();
                        freeBlock(b, () -> cachedBytes.addAndGet(-b.capacity));
                        return;
                    }
                    cachedMore();
                    return;
                }
                cached[cls].decrementAndGet();
            }
            freeBlock(b);
        } finally {
            // Last: a reader that sees the buffer back sees its block cached or (unless registered) freed.
            outstanding.decrementAndGet();
        }
    }

    /**
     * Frees a block's memory, once nothing uses it: a block registered with the ring leaves the ring's
     * table first (on the loop thread), so no later op can reach the pages through a stale slot.
     */
    private void freeBlock(Block b) {
        freeBlock(b, null);
    }

    /** {@link #freeBlock(Block)}, then {@code afterFree} once the memory is freed (on the thread that frees it). */
    private void freeBlock(Block b, @Nullable Runnable afterFree) {
        int slot = Block.FIXED.getAndSet(b, Block.FREED);
        FixedBufferRegistrar r = registrar;
        if (slot >= 0 && r != null) {
            r.unregisterThenFree(slot, () -> {
                NativeMemory.free(b.address, b.capacity);
                if (afterFree != null) {
                    afterFree.run();
                }
            });
        } else {
            NativeMemory.free(b.address, b.capacity);
            if (afterFree != null) {
                afterFree.run();
            }
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
                Block freed = b;
                freeBlock(b, () -> cachedBytes.addAndGet(-freed.capacity));
            }
        }
    }

    // ------------------------------------------------------------------ leak detection

    /** Turns leak detection on or off for acquisitions from now on (all pools); see the class comment. */
    public static void leakDetection(boolean on) {
        leakDetection = on;
    }

    /** True when acquisitions are tracked ({@code -Dreactoruring.leakDetection=true} or {@link #leakDetection(boolean)}). */
    public static boolean leakDetection() {
        return leakDetection;
    }

    /** Buffers reported as leaked (unreachable without their last release), JVM-wide, since start. */
    public static long leaksDetected() {
        return LEAKS.get();
    }

    /** The latest leak reports (at most 16, oldest first), as logged: what leaked and where it was acquired. */
    public static List<String> recentLeakReports() {
        synchronized (RECENT) {
            return List.copyOf(RECENT);
        }
    }

    /**
     * With leak detection on: where each buffer of this pool that is still out was acquired (only
     * those acquired while it was on), as throwables whose stack trace is the acquisition's.
     */
    public List<Throwable> outstandingAcquisitions() {
        List<Throwable> out = new ArrayList<>();
        for (Tracker t : tracked) {
            out.add(t.acquiredAt);
        }
        return out;
    }

    private Tracker track(PooledBuffer pb) {
        Tracker t = new Tracker(this, pb.capacity, new Throwable("PooledBuffer of " + pb.capacity
                + " bytes acquired on thread " + Thread.currentThread().getName()));
        tracked.add(t);
        t.cleanable = LeakCleaner.CLEANER.register(pb, t); // t must not reference pb
        return t;
    }

    /** One tracked acquisition: released, or reported once its buffer is unreachable. */
    static final class Tracker implements Runnable {
        private final BufferPool pool;
        private final int capacity;
        final Throwable acquiredAt;
        private volatile boolean released;
        private volatile Cleaner.@Nullable Cleanable cleanable;

        Tracker(BufferPool pool, int capacity, Throwable acquiredAt) {
            this.pool = pool;
            this.capacity = capacity;
            this.acquiredAt = acquiredAt;
        }

        void released() {
            released = true;
            Cleaner.Cleanable c = cleanable;
            if (c != null) {
                c.clean(); // runs run() now, which only forgets the acquisition
            } else {
                pool.tracked.remove(this);
            }
        }

        /** The buffer was released, or the Cleaner found it unreachable. */
        @Override
        public void run() {
            pool.tracked.remove(this);
            if (released) {
                return;
            }
            String report = "LEAK: a PooledBuffer of " + capacity + " bytes became unreachable without its last "
                    + "release(); its memory never returns to the pool (BufferPool.outstanding() keeps counting it). "
                    + "It was acquired at:\n" + stackText(acquiredAt);
            synchronized (RECENT) {
                if (RECENT.size() == RECENT_LEAKS) {
                    RECENT.poll();
                }
                RECENT.add(report);
            }
            LEAKS.incrementAndGet(); // after the report is readable
            LOG.warn("LEAK: a PooledBuffer of " + capacity + " bytes became unreachable without its last release(); "
                    + "its memory never returns to the pool. Where it was acquired:", acquiredAt);
        }

        private static String stackText(Throwable t) {
            java.io.StringWriter w = new java.io.StringWriter();
            t.printStackTrace(new java.io.PrintWriter(w));
            return w.toString();
        }
    }
}
