package io.reactoruring.core;

import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.Native;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.NonBlocking;
import reactor.core.scheduler.Scheduler;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * One io_uring and the dedicated thread that drives it.
 *
 * <p>Every operation is a cold publisher: nothing reaches the kernel before a subscriber requests,
 * and cancellation is a kernel operation (IORING_OP_ASYNC_CANCEL). Ops may be submitted from any
 * thread: on the loop thread they go straight into the next batch; from other threads through a
 * lock-free queue, and the loop is woken (an eventfd read armed on the ring) only if it is asleep.
 *
 * <p>Each iteration of the loop makes one JNI call ({@link Native#enter}) that turns the whole batch
 * into SQEs, submits it, waits for completions and copies every ready CQE out. Completions are
 * dispatched by user_data through a slot table, and subscribers are signalled <em>on the loop
 * thread</em>: keep downstream work short or {@code publishOn} elsewhere. The thread is marked
 * {@link NonBlocking}, so {@code block()} on it throws.
 *
 * <p>The loop is also a Reactor {@link Scheduler}: {@code publishOn(loop)} runs on the loop thread,
 * and delayed tasks are io_uring timeouts.
 */
public final class UringLoop implements Scheduler, Executor {
    private static final Logger LOG = Loggers.getLogger(UringLoop.class);

    /** Reserved user_data values (bit 63 set; slot user_data never has it). */
    static final long WAKEUP_USER_DATA = Long.MIN_VALUE | 1;
    static final long IGNORED_USER_DATA = Long.MIN_VALUE | 2;

    private static final int SETUP_IOPOLL = 1;
    private static final int SETUP_SQPOLL = 1 << 1;
    private static final int SETUP_SUBMIT_ALL = 1 << 7;
    private static final int SETUP_COOP_TASKRUN = 1 << 8;
    private static final int SETUP_SINGLE_ISSUER = 1 << 12;
    private static final int SETUP_DEFER_TASKRUN = 1 << 13;

    private static final int AWAKE = 0;
    private static final int SLEEPING = 1;
    private static final int CLOSED = 2;
    private static final AtomicIntegerFieldUpdater<UringLoop> WAKE =
            AtomicIntegerFieldUpdater.newUpdater(UringLoop.class, "wakeState");

    private static final Throwable CANCELLED_BEFORE_SUBMISSION =
            new java.util.concurrent.CancellationException("cancelled before submission");
    private static final int RUNNING = 0;
    private static final int SHUTTING_DOWN = 1;
    private static final int TERMINATED = 2;
    private static final AtomicIntegerFieldUpdater<UringLoop> LIFECYCLE =
            AtomicIntegerFieldUpdater.newUpdater(UringLoop.class, "lifecycle");

    private final String name;
    private final RingOptions options;
    private final LoopThread thread;
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final BufferPool bufferPool;
    private final Sinks.Empty<Void> terminated = Sinks.empty();
    private final CountDownLatch started = new CountDownLatch(1);
    private final byte[] supported = new byte[Opcode.LAST_KNOWN];
    private final RateLimitedWarning overflowWarning;
    private volatile int wakeState = AWAKE;
    private final java.util.concurrent.atomic.AtomicInteger wakeWriters = new java.util.concurrent.atomic.AtomicInteger();
    private volatile int lifecycle = RUNNING;
    private volatile @Nullable Throwable startFailure;
    private volatile int ringFlags;
    /**
     * The counters as of the end of the last iteration, copied in place under a sequence lock
     * ({@code publishedSeq} is odd while the loop thread copies) so that publishing allocates nothing;
     * {@link #metrics()} builds the record on demand.
     */
    private final long[] published = new long[METRIC_COUNT];
    private volatile int publishedSeq;
    private static final int METRIC_COUNT = 14;

    // Loop-thread state.
    private long ring;
    private int eventFd = -1;
    private OpSlots slots;
    private SubmissionBatch batch;
    private long cqeAddress;
    private ByteBuffer cqes;
    private int cqeCapacity;
    private long statsAddress;
    private ByteBuffer stats;
    private long wakeBuffer;
    private boolean wakeArmed;
    private final ArrayDeque<OpHandle> waiting = new ArrayDeque<>();
    private long deadline;
    private boolean slotsAbandoned;
    /** Ops the kernel never completed before a shutdown timeout: their memory must never be reused. */
    private static final List<OpHandle> ABANDONED = new ArrayList<>();
    private boolean moreReady;
    private final java.util.BitSet bufferGroups = new java.util.BitSet();
    private final List<BufferRing> bufferRings = new ArrayList<>();
    private final AtomicLong bufferRingExhaustions = new AtomicLong();
    private long submitted, completed, sqFullWaits, inFlightLimitWaits, cqOverflows, submitBusy, wakeups, enterCalls, stale;

    private UringLoop(String name, RingOptions options) {
        this.name = name;
        this.options = options;
        this.bufferPool = new BufferPool(options.bufferCachePerClass);
        this.overflowWarning = new RateLimitedWarning(LOG, Duration.ofSeconds(10));
        this.thread = new LoopThread(this, name);
    }

    /** A loop with default options. */
    public static UringLoop create(String name) {
        return create(name, RingOptions.defaults());
    }

    /**
     * Creates the ring on a new daemon thread named {@code name} and waits until it is ready.
     *
     * @throws UnsupportedOperationException if io_uring is unavailable ({@link Uring#unavailabilityCause()})
     * @throws IllegalStateException if the ring could not be set up (the cause names the errno)
     */
    public static UringLoop create(String name, RingOptions options) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(options, "options");
        Uring.ensureAvailable();
        UringLoop loop = new UringLoop(name, options);
        loop.thread.start();
        try {
            loop.started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loop.dispose();
            throw new IllegalStateException("interrupted while starting " + name, e);
        }
        Throwable failure = loop.startFailure;
        if (failure != null) {
            loop.bufferPool.close();
            throw new IllegalStateException("cannot start io_uring loop " + name + ": " + failure.getMessage(), failure);
        }
        return loop;
    }

    // ---------------------------------------------------------------- public operations

    /**
     * A cold Mono that submits {@code op} when requested and completes with its CQE result
     * ({@code res >= 0}), or errors with the exception for {@code -errno} ({@link Errno}); an op with
     * a linked timeout errors with {@link TimeoutException}. Cancelling after submission sends
     * IORING_OP_ASYNC_CANCEL; the op's memory and fd stay referenced until its CQE arrives. Signals
     * are delivered on the loop thread.
     */
    public Mono<Integer> submit(Op op) {
        Objects.requireNonNull(op, "op");
        return new MonoOp.Publisher(this, op);
    }

    /**
     * A cold Flux of the CQEs of a multishot op: armed on the first request, paused (cancelled in the
     * kernel) while the subscriber has no demand, re-armed when demand returns. CQEs are never lost:
     * those that arrive without demand wait in order. Negative results other than the op's accepted
     * errno end the Flux with the mapped exception.
     */
    public Flux<Completion> submitMultishot(Op op) {
        Objects.requireNonNull(op, "op");
        if (op.linkTimeoutNanos >= 0) {
            throw new IllegalArgumentException("a multishot op cannot have a linked timeout");
        }
        return new FluxOp.Publisher(this, op);
    }

    /**
     * Submits the ops of {@code ops} with at most {@code maxInFlight} of them in the kernel at once and
     * emits their results <em>in completion order</em> (see {@link #submitAllOrdered} for op order).
     * One subscription serves the whole stream: much cheaper per op than {@code flatMap} over
     * {@link #submit}.
     *
     * <p>Cold: {@code ops} is subscribed on the first request, and requested from the loop thread only
     * as far as the subscriber's demand allows, so an op is submitted only when its result can be
     * emitted at once (no result is buffered for lack of demand; at most {@code maxInFlight} ops are
     * held: in flight plus pulled from {@code ops}). A synchronous {@code ops} publisher therefore runs
     * on the loop thread and must not block; one that supports synchronous fusion
     * ({@code Flux.range(..).map(..)}, {@code Flux.fromIterable}) is polled there op by op, the
     * cheapest way in. Each op also needs a slot of this loop; while none is free the stream waits in
     * line with other ops. Results and the completion signal are delivered on the loop thread. Until
     * the stream ends, every submitted op's result is emitted exactly once, as {@link #submit} would
     * give it; the Flux completes after the last op's result.
     *
     * <p>The first failed op errors the Flux with its exception (as {@link #submit} maps it), an error
     * of {@code ops} errors it at once, and so does the loop being disposed. On any error or cancel, the
     * ops in flight get IORING_OP_ASYNC_CANCEL and are released when their CQEs arrive (their memory
     * stays referenced until then; an fd they created is closed), and ops pulled but not yet submitted
     * are released unsubmitted ({@link Op.Builder#whenKernelDone} runs for every op exactly once).
     *
     * @param maxInFlight at most this many ops in flight at once (and pulled from {@code ops}), {@code >= 1}
     * @throws IllegalArgumentException if {@code maxInFlight < 1}
     */
    public Flux<Integer> submitAll(org.reactivestreams.Publisher<? extends Op> ops, int maxInFlight) {
        return submitAll(ops, maxInFlight, false);
    }

    /**
     * {@link #submitAll}, but results are emitted in the order of {@code ops}: a result that arrives
     * early waits until every earlier one has been emitted. {@code maxInFlight} then bounds the ops in
     * flight plus the finished results waiting, so one slow op stalls submission after
     * {@code maxInFlight - 1} more. An op's failure still ends the stream at once, discarding the
     * finished results that were waiting for earlier ones.
     */
    public Flux<Integer> submitAllOrdered(org.reactivestreams.Publisher<? extends Op> ops, int maxInFlight) {
        return submitAll(ops, maxInFlight, true);
    }

    private Flux<Integer> submitAll(org.reactivestreams.Publisher<? extends Op> ops, int maxInFlight, boolean ordered) {
        Objects.requireNonNull(ops, "ops");
        if (maxInFlight < 1 || maxInFlight > 1 << 24) {
            throw new IllegalArgumentException("maxInFlight must be in [1, 2^24], was " + maxInFlight);
        }
        return new BatchOp.Publisher(this, ops, maxInFlight, ordered);
    }

    /**
     * Submits {@code ops} as one kernel-linked chain (IOSQE_IO_LINK): they run in order in one
     * submission; if one fails, including a short read or write, the kernel cancels the rest
     * ({@code -ECANCELED}). Completes with all results, or errors with the first failure. Ops that
     * create fds ({@link Op.Builder#closesOrphanedFd}) have them closed when the chain fails.
     */
    public Mono<ChainResult> submitLinked(List<Op> ops) {
        return chain(ops, false);
    }

    /**
     * Submits {@code ops} as one hard-linked chain (IOSQE_IO_HARDLINK): they run in order in one
     * submission, each after the previous one completed, <em>whatever</em> its outcome: a failed or
     * short member does not stop the chain. Use it for a cleanup that must follow, such as a CLOSE
     * after a READ of unknown length.
     *
     * <p>Emits one {@link ChainResult} once every member's CQE has arrived, carrying each member's
     * result and, for a failed member, its exception ({@link ChainResult#error}); a member that
     * failed does not fail the Mono, and fds created by members belong to the caller. The Mono
     * errors only if the chain did not run to its end: it was rejected before the kernel (loop
     * disposed or overloaded, a {@link SharedFd} already closed: nothing ran), or the loop was
     * disposed while it ran ({@link java.util.concurrent.CancellationException}; fds created by
     * members are closed, as for {@link #submitLinked}).
     *
     * <p>Cancelling cancels the member in the kernel at that moment; as the hard link then starts
     * the next member, that one is cancelled in turn, on a best-effort basis: a member the kernel
     * starts after the cancel reached it runs to completion. In every case memory ({@link Op.Builder#whenKernelDone}),
     * slots and fds created by members are released or closed once the last CQE has arrived.
     * Signals arrive on this loop's thread.
     *
     * @throws IllegalArgumentException if {@code ops} is empty, a member carries its own timeout, or
     *     the chain is longer than the ring
     */
    public Mono<ChainResult> submitHardLinked(List<Op> ops) {
        return chain(ops, true);
    }

    private Mono<ChainResult> chain(List<Op> ops, boolean hard) {
        Objects.requireNonNull(ops, "ops");
        if (ops.isEmpty()) {
            throw new IllegalArgumentException("a linked chain needs at least one op");
        }
        Op[] array = ops.toArray(new Op[0]);
        for (Op op : array) {
            Objects.requireNonNull(op, "ops contains null");
            if (op.linkTimeoutNanos >= 0) {
                throw new IllegalArgumentException("ops in a linked chain cannot carry their own timeout: " + op);
            }
        }
        if (array.length > options.effectiveMaxInFlight() || array.length > options.sqEntries) {
            throw new IllegalArgumentException("chain of " + array.length + " ops exceeds the ring (sq="
                    + options.sqEntries + ", maxInFlight=" + options.effectiveMaxInFlight() + ")");
        }
        return new ChainOp.Publisher(this, array, hard);
    }

    /** Whether the kernel supports {@code opcode} (io_uring_get_probe). */
    public boolean supports(int opcode) {
        return opcode >= 0 && opcode < supported.length && supported[opcode] != 0;
    }

    /** The pool of page-aligned native buffers owned by this loop. */
    public BufferPool bufferPool() {
        return bufferPool;
    }

    /** The options this ring was created with. */
    public RingOptions options() {
        return options;
    }

    /** The IORING_SETUP_* flags the ring actually got (some defaults are dropped on older kernels). */
    public int setupFlags() {
        return ringFlags;
    }

    public String name() {
        return name;
    }

    /** True when called on this loop's thread. */
    public boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    /**
     * The counters as of the end of the last loop iteration (on the loop thread: the current ones).
     * Allocates the returned record; any thread.
     */
    public UringMetrics metrics() {
        long[] m = new long[METRIC_COUNT];
        if (inLoop()) {
            copyMetrics(m);
            return toMetrics(m);
        }
        while (true) {
            int seq = publishedSeq;
            if ((seq & 1) == 0) {
                System.arraycopy(published, 0, m, 0, METRIC_COUNT);
                VarHandle.loadLoadFence(); // the copy above completes before the sequence is re-read
                if (publishedSeq == seq) {
                    return toMetrics(m);
                }
            }
            Thread.onSpinWait();
        }
    }

    /**
     * Registers a sparse table of {@code count} direct descriptors (io_uring_register_files_sparse):
     * ops may then create fds into it ({@link Op.Builder#fileIndex}) and use them with
     * {@link Opcode#IOSQE_FIXED_FILE}.
     */
    public Mono<Void> registerFiles(int count) {
        if (count <= 0) {
            throw new IllegalArgumentException("count must be > 0, was " + count);
        }
        return onLoop("io_uring_register_files_sparse", () -> Native.registerFilesSparse(ring, count));
    }

    /**
     * Registers {@code buffers} with the kernel (io_uring_register_buffers); buffer {@code i} is then
     * used by READ_FIXED/WRITE_FIXED with {@code bufIndex(i)}. The buffers must stay unreleased until
     * {@link #unregisterBuffers()} completes.
     */
    public Mono<Void> registerBuffers(List<PooledBuffer> buffers) {
        Objects.requireNonNull(buffers, "buffers");
        if (buffers.isEmpty()) {
            throw new IllegalArgumentException("no buffers to register");
        }
        List<PooledBuffer> copy = List.copyOf(buffers);
        return onLoop("io_uring_register_buffers", () -> {
            long bytes = 16L * copy.size();
            long iov = NativeMemory.allocate(bytes, 16);
            try {
                ByteBuffer b = Native.wrap(iov, (int) bytes).order(ByteOrder.nativeOrder());
                for (int i = 0; i < copy.size(); i++) {
                    b.putLong(16 * i, copy.get(i).address());
                    b.putLong(16 * i + 8, copy.get(i).capacity());
                }
                return Native.registerBuffers(ring, iov, copy.size());
            } finally {
                NativeMemory.free(iov, bytes); // the kernel pins the pages; the iovec array is not kept
            }
        });
    }

    public Mono<Void> unregisterBuffers() {
        return onLoop("io_uring_unregister_buffers", () -> Native.unregisterBuffers(ring));
    }

    /**
     * Allocates a provided-buffer ring of {@code entries} (a power of two) buffers of
     * {@code bufferSize} bytes and registers it with this ring under a free buffer group id
     * (io_uring_register_buf_ring, kernel 5.19+). Errors with the errno's exception when the kernel
     * refuses (e.g. {@code EINVAL} on kernels without buffer rings: fall back to plain buffers).
     * Its memory comes from this loop's {@link #bufferPool()}. The returned ring is the caller's:
     * {@link BufferRing#close()} it; it is unregistered on this loop and
     * its memory returned once its last reference is gone. Its exhaustions are
     * counted in {@link UringMetrics#bufferRingExhaustions()}.
     */
    public Mono<BufferRing> registerBufferRing(int entries, int bufferSize) {
        BufferRing.checkSize(entries, bufferSize);
        return Mono.create(sink -> execute(() -> {
            int group = bufferGroups.nextClearBit(0);
            if (group > 0xffff) {
                sink.error(Errno.exception(-Errno.ENOBUFS, "io_uring_register_buf_ring", name));
                return;
            }
            BufferRing r;
            try {
                r = BufferRing.allocate(entries, bufferSize, group, bufferPool,
                        this::unregisterBufferRing, bufferRingExhaustions::incrementAndGet);
            } catch (RuntimeException | OutOfMemoryError e) {
                sink.error(e);
                return;
            }
            int res = Native.registerBufRing(ring, r.ringAddress(), entries, group);
            if (res < 0) {
                r.close();
                sink.error(Errno.exception(res, "io_uring_register_buf_ring", name));
                return;
            }
            bufferGroups.set(group);
            bufferRings.add(r);
            sink.success(r);
        }));
    }

    /** A ring's last reference is gone (any thread): unregister it on the loop, then free it. */
    private void unregisterBufferRing(BufferRing r) {
        Runnable task = () -> {
            if (bufferRings.remove(r)) {
                Native.unregisterBufRing(ring, r.groupId());
                bufferGroups.clear(r.groupId());
            }
            r.free();
        };
        try {
            execute(task);
        } catch (RejectedExecutionException e) {
            r.free(); // the ring fd is gone, and the registration with it
        }
    }

    private Mono<Void> onLoop(String what, java.util.function.IntSupplier call) {
        return Mono.create(sink -> execute(() -> {
            int res = call.getAsInt();
            if (res < 0) {
                sink.error(Errno.exception(res, what, name));
            } else {
                sink.success();
            }
        }));
    }

    // ---------------------------------------------------------------- Scheduler / Executor

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (lifecycle == TERMINATED) {
            throw new RejectedExecutionException(name + " is disposed");
        }
        post(task);
    }

    @Override
    public Disposable schedule(Runnable task) {
        Task t = new Task(task);
        execute(t);
        return t;
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        if (delay <= 0) {
            return schedule(task);
        }
        return new Timer(task, unit.toNanos(delay), -1).start();
    }

    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        if (period <= 0) {
            throw new RejectedExecutionException("period must be > 0 on an io_uring loop, was " + period);
        }
        return new Timer(task, unit.toNanos(Math.max(0, initialDelay)), unit.toNanos(period)).start();
    }

    @Override
    public Worker createWorker() {
        return new LoopWorker();
    }

    @Override
    public boolean isDisposed() {
        return lifecycle != RUNNING;
    }

    /**
     * Starts shutdown without waiting: new ops are rejected, ops waiting for a slot fail, in-flight
     * ops are cancelled in the kernel and their subscribers signalled when their CQEs arrive (or
     * after {@link RingOptions#shutdownTimeout}); then the ring and all native memory are freed.
     * Idempotent.
     */
    @Override
    public void dispose() {
        if (LIFECYCLE.compareAndSet(this, RUNNING, SHUTTING_DOWN)) {
            wakeup();
        }
    }

    /** {@link #dispose()}, as a Mono that completes when the loop thread has finished. */
    @Override
    public Mono<Void> disposeGracefully() {
        return Mono.defer(() -> {
            dispose();
            return terminated.asMono();
        });
    }

    // ---------------------------------------------------------------- used by op handles

    void post(Runnable r) {
        if (inLoop()) {
            r.run();
            return;
        }
        inbox.offer(r);
        if (lifecycle == TERMINATED && inbox.remove(r)) {
            // The loop thread is gone (or draining its inbox for the last time): nobody else will run it.
            if (r instanceof OpHandle) {
                ((OpHandle) r).abort(new RejectedExecutionException("io_uring loop " + name + " is disposed"));
            }
            return;
        }
        wakeup();
    }

    private void wakeup() {
        if (wakeState == SLEEPING && WAKE.compareAndSet(this, SLEEPING, AWAKE)) {
            // Counted so close() never closes the eventfd under a writer (its number could be reused).
            wakeWriters.incrementAndGet();
            try {
                if (wakeState != CLOSED) {
                    Native.eventfdWrite(eventFd);
                }
            } finally {
                wakeWriters.decrementAndGet();
            }
        }
    }

    /** Loop thread: queue {@code h} for submission; false when the loop no longer takes ops. */
    boolean accept(OpHandle h) {
        if (lifecycle != RUNNING) {
            return false;
        }
        waiting.add(h);
        return true;
    }

    boolean isShuttingDown() {
        return lifecycle != RUNNING;
    }

    Throwable rejection(Op op) {
        return new RejectedExecutionException(op + ": io_uring loop " + name + " is disposed");
    }

    Throwable error(int res, Op op) {
        if (res == -Errno.ECANCELED && lifecycle != RUNNING) {
            return new java.util.concurrent.CancellationException(op + ": cancelled because io_uring loop " + name
                    + " was disposed");
        }
        return Errno.exception(res, op.name, op.target);
    }

    static TimeoutException timeout(Op op) {
        return new TimeoutException(op + ": timed out after " + Duration.ofNanos(op.linkTimeoutNanos));
    }

    /**
     * Loop thread: writes {@code op}'s SQE (and its linked timeout) into the batch under a fresh slot.
     * The timespecs live in the slot's scratch memory, alive until the terminal CQE.
     */
    long write(SubmissionBatch b, OpHandle h, int member, Op op, int extraSqeFlags) {
        long userData = slots.acquire(h, member);
        int fd = op.sharedFd != null ? op.sharedFd.fd() : op.fd;
        long addr = op.addr;
        if (op.timespecNanos >= 0) {
            addr = slots.writeTimespec(userData, 0, op.timespecNanos);
        }
        int flags = op.sqeFlags | extraSqeFlags;
        if (op.linkTimeoutNanos >= 0) {
            b.add(op, fd, addr, flags | Opcode.IOSQE_IO_LINK, userData);
            long ts = slots.writeTimespec(userData, 1, op.linkTimeoutNanos);
            b.addRaw(Opcode.LINK_TIMEOUT, -1, ts, 1, 0, 0, 0, IGNORED_USER_DATA);
        } else {
            b.add(op, fd, addr, flags, userData);
        }
        submitted++;
        return userData;
    }

    /**
     * Loop thread: slots {@code h} may take right now without {@link #accept queueing}: none while
     * other ops wait in line for slots, unless {@code h} is being {@link OpHandle#prepare prepared}
     * (it is then the head of that line).
     */
    int freeSlots(boolean headOfLine) {
        return headOfLine || waiting.isEmpty() ? slots.free() : 0;
    }

    /** Loop thread: {@link #write} into the current batch; the caller checked {@link #freeSlots}. */
    long writeNow(OpHandle h, int member, Op op) {
        return write(batch, h, member, op, 0);
    }

    /** Loop thread: IORING_OP_ASYNC_CANCEL for the op with {@code userData}; its own CQE is ignored. */
    void cancelInKernel(long userData) {
        batch.addRaw(Opcode.ASYNC_CANCEL, -1, userData, 0, 0, 0, 0, IGNORED_USER_DATA);
    }

    /**
     * Loop thread: a CQE arrived for an op whose subscriber has left. An fd it created has no owner:
     * close it, as other io_uring runtimes failed to do.
     */
    void orphaned(Op op, int res) {
        if (op.closesOrphanedFd && res >= 0 && (op.fileIndex == 0)) {
            batch.addRaw(Opcode.CLOSE, res, 0, 0, 0, 0, 0, IGNORED_USER_DATA);
        }
    }

    // ---------------------------------------------------------------- the loop

    private void run() {
        try {
            open();
        } catch (Throwable t) {
            startFailure = t;
            lifecycle = TERMINATED;
            started.countDown();
            terminated.tryEmitEmpty();
            return;
        }
        started.countDown();
        Throwable fatal = null;
        try {
            loop();
        } catch (Throwable t) {
            fatal = t;
            LOG.error("io_uring loop " + name + " failed", t);
        } finally {
            close(fatal);
        }
    }

    private void open() {
        int cq = options.effectiveCqEntries();
        int flags = 0;
        if (options.sqPoll) {
            flags |= SETUP_SQPOLL;
        }
        if (options.ioPoll) {
            flags |= SETUP_IOPOLL;
        }
        int preferred = flags;
        if (options.singleIssuer) {
            preferred |= SETUP_SINGLE_ISSUER | SETUP_SUBMIT_ALL | SETUP_COOP_TASKRUN;
            if (!options.sqPoll) {
                preferred |= SETUP_DEFER_TASKRUN; // DEFER_TASKRUN requires the submitter to reap: not with SQPOLL
            }
        }
        int[] out = new int[Native.OPEN_COUNT];
        long r = Native.ringOpen(options.sqEntries, cq, preferred, (int) options.sqPollIdle.toMillis(), out);
        if (r == -Errno.EINVAL && preferred != flags) {
            r = Native.ringOpen(options.sqEntries, cq, flags, (int) options.sqPollIdle.toMillis(), out); // older kernel
        }
        if (r < 0) {
            throw new IllegalStateException(Uring.explainSetupFailure((int) -r));
        }
        ring = r;
        ringFlags = out[Native.OPEN_FLAGS];
        if ((out[Native.OPEN_FEATURES] & Uring.IORING_FEAT_NODROP) == 0) {
            Native.ringClose(ring);
            throw new IllegalStateException(Uring.explainSetupFailure(Errno.EOPNOTSUPP));
        }
        Native.probe(ring, supported);
        if (options.ioWqBounded > 0 || options.ioWqUnbounded > 0) {
            int res = Native.registerIowqMaxWorkers(ring, options.ioWqBounded, options.ioWqUnbounded);
            if (res < 0) {
                LOG.warn("io_uring loop {}: cannot cap io-wq workers: {}", name, Errno.name(res));
            }
        }
        int efd = Native.eventfd();
        if (efd < 0) {
            Native.ringClose(ring);
            throw new IllegalStateException("eventfd: " + Errno.name(efd));
        }
        eventFd = efd;
        slots = new OpSlots(options.effectiveMaxInFlight());
        batch = new SubmissionBatch(options.sqEntries * 2);
        cqeCapacity = 2 * out[Native.OPEN_CQ_ENTRIES]; // room to flush an overflowed CQ in the same call
        cqeAddress = NativeMemory.allocate((long) cqeCapacity * Native.CQE_SIZE, 64);
        cqes = Native.wrap(cqeAddress, cqeCapacity * Native.CQE_SIZE).order(ByteOrder.nativeOrder());
        statsAddress = NativeMemory.allocate(8L * Native.STAT_COUNT + 8, 64);
        stats = Native.wrap(statsAddress, 8 * Native.STAT_COUNT).order(ByteOrder.nativeOrder());
        wakeBuffer = statsAddress + 8L * Native.STAT_COUNT; // the eventfd read's 8-byte target
        publishMetrics();
    }

    private void loop() {
        while (true) {
            drainInbox();
            if (lifecycle != RUNNING && deadline == 0) {
                beginShutdown();
            }
            if (!wakeArmed && lifecycle == RUNNING) {
                batch.addRaw(Opcode.READ, eventFd, wakeBuffer, 8, 0, 0, 0, WAKEUP_USER_DATA);
                wakeArmed = true;
            }
            fillBatch();
            if (deadline != 0 && slots.used() == 0 && !wakeArmed && batch.isEmpty()) {
                return; // shutdown: every in-flight op has its CQE
            }
            long timeout = -1;
            boolean block = !moreReady && inbox.isEmpty()
                    && (waiting.isEmpty() || slots.free() < waiting.peek().slotsNeeded());
            if (deadline != 0) {
                timeout = Math.max(0, deadline - System.nanoTime());
                if (timeout == 0) {
                    abandonInFlight();
                    return;
                }
            }
            if (block) {
                wakeState = SLEEPING;
                if (!inbox.isEmpty()) {
                    block = false;
                }
            }
            int n = Native.enter(ring, batch.address(), batch.count(), cqeAddress, cqeCapacity,
                    block ? 1 : 0, timeout, statsAddress);
            if (block) {
                wakeups++;
            }
            wakeState = AWAKE;
            if (n < 0) {
                throw new IllegalStateException("io_uring_enter failed: " + Errno.name(n) + " (" + Errno.description(n) + ")");
            }
            batch.consumed((int) stats.getLong(8 * Native.STAT_CONSUMED));
            enterCalls += stats.getLong(8 * Native.STAT_ENTERS);
            long flushes = stats.getLong(8 * Native.STAT_OVERFLOW_FLUSHES);
            if (flushes > 0) {
                cqOverflows += flushes;
                overflowWarning.record(flushes, name, cqeCapacity);
            }
            submitBusy += stats.getLong(8 * Native.STAT_BUSY);
            sqFullWaits += stats.getLong(8 * Native.STAT_SQ_FULL);
            moreReady = stats.getLong(8 * Native.STAT_MORE_READY) > 0;
            dispatch(n);
            publishMetrics();
        }
    }

    private void drainInbox() {
        Runnable r;
        while ((r = inbox.poll()) != null) {
            try {
                r.run();
            } catch (Throwable t) {
                reactor.core.publisher.Operators.onErrorDropped(t, reactor.util.context.Context.empty());
            }
        }
    }

    /**
     * Moves waiting ops into the batch while slots last; the rest keep waiting, in order. A batch may
     * hold more SQEs than the SQ: the native side then submits each full SQ before filling it again.
     * With the default bound (in-flight ops = CQ entries) one iteration cannot produce more CQEs than
     * the CQ holds; a larger bound can overflow the CQ, which IORING_FEAT_NODROP makes safe.
     */
    private void fillBatch() {
        while (!waiting.isEmpty()) {
            OpHandle h = waiting.peek();
            if (h.isCancelled()) {
                waiting.poll();
                h.abort(CANCELLED_BEFORE_SUBMISSION); // never reached the kernel: just release its resources
                continue;
            }
            int need = h.slotsNeeded();
            if (slots.free() < need) {
                inFlightLimitWaits++;
                return;
            }
            waiting.poll();
            h.prepare(batch);
        }
    }

    private void dispatch(int n) {
        ByteBuffer c = cqes;
        for (int i = 0; i < n; i++) {
            int p = i * Native.CQE_SIZE;
            long userData = c.getLong(p + Native.CQE_USER_DATA);
            int res = c.getInt(p + Native.CQE_RES);
            int flags = c.getInt(p + Native.CQE_FLAGS);
            if (userData < 0) {
                if (userData == WAKEUP_USER_DATA) {
                    wakeArmed = false;
                }
                continue;
            }
            OpHandle h = slots.lookup(userData);
            if (h == null) {
                stale++;
                continue;
            }
            int member = slots.member(userData);
            boolean terminal = (flags & Opcode.IORING_CQE_F_MORE) == 0;
            if (terminal) {
                slots.release(userData);
            }
            completed++;
            try {
                h.onCqe(member, res, flags, terminal);
            } catch (Throwable t) {
                reactor.core.publisher.Operators.onErrorDropped(t, reactor.util.context.Context.empty());
            }
        }
    }

    private void beginShutdown() {
        deadline = System.nanoTime() + Math.max(1, options.shutdownTimeout.toNanos());
        Throwable error = new RejectedExecutionException("io_uring loop " + name + " is disposed");
        OpHandle h;
        while ((h = waiting.poll()) != null) {
            h.abort(error);
        }
        if (slots.used() > 0 || wakeArmed) {
            // One SQE cancels everything in flight, the wakeup read included.
            batch.addRaw(Opcode.ASYNC_CANCEL, -1, 0, 0, 0,
                    Opcode.IORING_ASYNC_CANCEL_ANY | Opcode.IORING_ASYNC_CANCEL_ALL, 0, IGNORED_USER_DATA);
        }
    }

    /**
     * The kernel did not complete some ops within the shutdown timeout. Their subscribers are
     * signalled, but their memory is deliberately kept referenced forever: the kernel may still
     * write into it, and freeing it would corrupt whoever gets it next.
     */
    private void abandonInFlight() {
        Throwable error = new IllegalStateException("io_uring loop " + name + " disposed; the kernel did not complete "
                + "this op within " + options.shutdownTimeout);
        List<OpHandle> left = new ArrayList<>();
        slots.forEachInFlight(left::add);
        LOG.warn("io_uring loop {}: {} ops still in the kernel after {}; their memory is leaked on purpose",
                name, left.size(), options.shutdownTimeout);
        synchronized (ABANDONED) {
            ABANDONED.addAll(left);
        }
        slotsAbandoned = true;
        for (OpHandle h : left) {
            h.abort(error);
        }
    }

    private void close(@Nullable Throwable fatal) {
        Throwable error = fatal != null
                ? new IllegalStateException("io_uring loop " + name + " failed", fatal)
                : new RejectedExecutionException("io_uring loop " + name + " is disposed");
        lifecycle = TERMINATED;
        OpHandle h;
        while ((h = waiting.poll()) != null) {
            h.abort(error);
        }
        if (fatal != null && !slotsAbandoned) {
            slots.forEachInFlight(x -> x.abort(error));
            slotsAbandoned = true; // the ring state is unknown: keep their memory
        }
        Runnable r;
        while ((r = inbox.poll()) != null) {
            if (r instanceof OpHandle) {
                ((OpHandle) r).abort(error);
            }
        }
        Native.ringClose(ring);
        for (BufferRing br : bufferRings) {
            if (br.isReleased()) {
                br.free(); // its unregister task was posted but dropped with the inbox
            } // else: freed directly by its last release (execute() rejects from now on)
        }
        bufferRings.clear();
        wakeState = CLOSED;
        while (wakeWriters.get() != 0) {
            Thread.onSpinWait();
        }
        Native.close(eventFd);
        if (!slotsAbandoned) {
            slots.close();
        }
        batch.close();
        NativeMemory.free(cqeAddress, (long) cqeCapacity * Native.CQE_SIZE);
        NativeMemory.free(statsAddress, 8L * Native.STAT_COUNT + 8);
        bufferPool.close();
        publishMetrics();
        terminated.tryEmitEmpty();
    }

    /** Loop thread: copies the counters for other threads' {@link #metrics()}, without allocating. */
    private void publishMetrics() {
        int seq = publishedSeq;
        publishedSeq = seq + 1;
        VarHandle.storeStoreFence(); // readers must see the odd sequence before any half-written copy
        copyMetrics(published);
        publishedSeq = seq + 2; // volatile write: releases the copy
    }

    private void copyMetrics(long[] m) {
        m[0] = submitted;
        m[1] = completed;
        m[2] = slots == null ? 0 : slots.used();
        m[3] = slots == null ? 0 : slots.highWater();
        m[4] = options.effectiveMaxInFlight();
        m[5] = waiting.size();
        m[6] = sqFullWaits;
        m[7] = inFlightLimitWaits;
        m[8] = cqOverflows;
        m[9] = submitBusy;
        m[10] = wakeups;
        m[11] = enterCalls;
        m[12] = stale;
        m[13] = bufferRingExhaustions.get();
    }

    private static UringMetrics toMetrics(long[] m) {
        return new UringMetrics(m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13]);
    }

    @Override
    public String toString() {
        return "UringLoop[" + name + ", " + options + "]";
    }

    // ---------------------------------------------------------------- threads, tasks, timers

    /** The loop thread; NonBlocking makes Reactor's block() throw on it. */
    static final class LoopThread extends Thread implements NonBlocking {
        final UringLoop loop;

        LoopThread(UringLoop loop, String name) {
            super(loop::run, name);
            this.loop = loop;
            setDaemon(true);
        }
    }

    /** The loop running the current thread, if it is a loop thread. */
    static @Nullable UringLoop current() {
        Thread t = Thread.currentThread();
        return t instanceof LoopThread ? ((LoopThread) t).loop : null;
    }

    /** A task posted to the loop; disposing it before it runs skips it. */
    private static final class Task implements Runnable, Disposable {
        private final Runnable task;
        private volatile boolean disposed;

        Task(Runnable task) {
            this.task = Objects.requireNonNull(task, "task");
        }

        @Override
        public void run() {
            if (!disposed) {
                task.run();
            }
        }

        @Override
        public void dispose() {
            disposed = true;
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }

    /** A delayed or periodic task: an io_uring timeout, re-submitted after each run for periodic ones. */
    private final class Timer implements Disposable {
        private final Runnable task;
        private final long periodNanos;
        private volatile Disposable current = Disposables.disposed();
        private volatile boolean disposed;

        private final long firstDelay;

        Timer(Runnable task, long delayNanos, long periodNanos) {
            this.task = Objects.requireNonNull(task, "task");
            this.periodNanos = periodNanos;
            this.firstDelay = delayNanos;
        }

        Disposable start() {
            arm(firstDelay);
            return this;
        }

        private void arm(long nanos) {
            if (disposed) {
                return;
            }
            current = submit(Op.timeout(Duration.ofNanos(nanos))).subscribe(res -> {
                if (!disposed) {
                    task.run();
                    if (periodNanos > 0) {
                        arm(periodNanos);
                    }
                }
            }, e -> { });
        }

        @Override
        public void dispose() {
            disposed = true;
            current.dispose();
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }

    private final class LoopWorker implements Worker {
        private final Disposable.Composite tasks = Disposables.composite();

        @Override
        public Disposable schedule(Runnable task) {
            return track(() -> UringLoop.this.schedule(task));
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            return track(() -> UringLoop.this.schedule(task, delay, unit));
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            return track(() -> UringLoop.this.schedulePeriodically(task, initialDelay, period, unit));
        }

        /**
         * Rejects only a worker disposed before the task was scheduled. The task may run (and its
         * subscriber dispose this worker) before {@code add} below: then the worker's disposal covers
         * it, so it is disposed rather than rejected after it already ran.
         */
        private Disposable track(Supplier<Disposable> scheduleOnLoop) {
            if (tasks.isDisposed()) {
                throw new RejectedExecutionException("worker is disposed");
            }
            Disposable d = scheduleOnLoop.get();
            if (!tasks.add(d)) {
                d.dispose();
            }
            return d;
        }

        @Override
        public void dispose() {
            tasks.dispose();
        }

        @Override
        public boolean isDisposed() {
            return tasks.isDisposed();
        }
    }
}
