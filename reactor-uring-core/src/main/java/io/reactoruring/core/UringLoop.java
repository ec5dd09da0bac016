package io.reactoruring.core;

import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.Native;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.NonBlocking;
import reactor.core.scheduler.Scheduler;

/**
 * One io_uring and the dedicated thread that drives it.
 *
 * <p>Every operation is a cold publisher: nothing reaches the kernel before a subscriber requests,
 * and cancellation is a kernel operation (IORING_OP_ASYNC_CANCEL). Ops may be submitted from any
 * thread: on the loop thread they go straight into the next batch; from other threads through a
 * lock-free queue, and the loop is woken (an eventfd read armed on the ring) only if it is asleep.
 * After an iteration that delivered completions, with no op in the kernel, the loop can poll that queue
 * for a short, adaptive while before it sleeps (system property {@code reactoruring.loop.spinMicros},
 * e.g. 50; default 0, off): the caller's next op then often arrives within it and needs no wake-up.
 * With that property set, {@code block()} on a Mono of {@link #submit} also polls for its result for up
 * to that long before it parks, so a foreign thread's round trip needs no wake-up on either side.
 *
 * <p>Each iteration of the loop makes one JNI call ({@link Native#enter}) that turns the whole batch
 * into SQEs, submits it, waits for completions and copies every ready CQE out. Completions are
 * dispatched by user_data through a slot table, and subscribers are signalled <em>on the loop
 * thread</em>: keep downstream work short or {@code publishOn} elsewhere. The thread is marked
 * {@link NonBlocking}, so {@code block()} on it throws.
 *
 * <p>The loop is also a Reactor {@link Scheduler}: {@code publishOn(loop)} runs on the loop thread,
 * and delayed tasks are io_uring timeouts.
 *
 * <p>This class is the facade; the pieces live next to it: {@code LoopDriver} (the loop thread and
 * its state), {@code RingSetup} (ring creation and its native memory), {@code LoopScheduler}
 * (tasks, timers, workers), {@code LoopRegistrations} (files, buffers, buffer rings) and
 * {@code LoopMetrics} (counters).
 */
public final class UringLoop implements Scheduler, Executor {
    /** Reserved user_data values (bit 63 set; slot user_data never has it). */
    static final long WAKEUP_USER_DATA = LoopDriver.WAKEUP_USER_DATA;
    static final long IGNORED_USER_DATA = LoopDriver.IGNORED_USER_DATA;

    private final String name;
    private final RingOptions options;
    private final BufferPool bufferPool;
    private final LoopDriver driver;
    /** The spin window of callers blocking on this loop's ops ({@link SpinningBlock}); off when the loop does not spin. */
    final SpinningBlock.SpinWindow blockSpin;
    private final LoopScheduler scheduler;
    private final LoopRegistrations registrations;

    private UringLoop(String name, RingOptions options) {
        this.name = name;
        this.options = options;
        this.bufferPool = new BufferPool(options.bufferCachePerClass);
        this.driver = new LoopDriver(this, name, options);
        this.blockSpin = new SpinningBlock.SpinWindow(driver.spinNanos());
        this.bufferPool.useRegistrar(driver.fixedBuffers());
        this.scheduler = new LoopScheduler(this);
        this.registrations = new LoopRegistrations(this, driver);
    }

    /**
     * {@link #create(String, RingOptions)} with {@link RingOptions#defaults()}: blocks the caller until
     * the ring is set up on its new thread. The loop is the caller's: dispose it when done.
     */
    public static UringLoop create(String name) {
        return create(name, RingOptions.defaults());
    }

    /**
     * Creates the ring on a new daemon thread named {@code name} and waits until it is ready (do not
     * call it on a loop thread). The loop is the caller's: {@link #dispose()} or
     * {@link #disposeGracefully()} it, which also frees its native memory; an undisposed loop's thread
     * runs until the JVM exits.
     *
     * @throws UnsupportedOperationException if io_uring is unavailable ({@link Uring#unavailabilityCause()})
     * @throws IllegalStateException if the ring could not be set up (the cause names the errno)
     */
    public static UringLoop create(String name, RingOptions options) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(options, "options");
        Uring.ensureAvailable();
        UringLoop loop = new UringLoop(name, options);
        Throwable failure;
        try {
            failure = loop.driver.start(loop.registrations);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loop.dispose();
            throw new IllegalStateException("interrupted while starting " + name, e);
        }
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
        checkOwnDescriptor(op);
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
        checkOwnDescriptor(op);
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
     * cheapest way in. Each loop iteration submits at most {@link RingOptions#submissionsPerIteration}
     * new ops; beyond that the stream waits in line with other ops for the next iteration. Results and the completion signal are delivered on the loop thread. Until
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
            checkOwnDescriptor(op);
        }
        if (array.length > options.sqEntries) {
            throw new IllegalArgumentException("chain of " + array.length + " ops exceeds the ring (sq="
                    + options.sqEntries + ")");
        }
        return new ChainOp.Publisher(this, array, hard);
    }

    /** A direct descriptor is a slot of one ring's file table: rejected on any other loop. */
    void checkOwnDescriptor(Op op) {
        if (op.sharedFd != null && op.sharedFd.isDirect() && op.sharedFd.loop() != this) {
            throw new IllegalArgumentException(op + ": " + op.sharedFd + " is a direct descriptor of "
                    + op.sharedFd.loop().name() + " and cannot be used on " + name);
        }
    }

    /** Whether the kernel supports {@code opcode} (io_uring_get_probe). */
    public boolean supports(int opcode) {
        return driver.supports(opcode);
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
        return driver.ringFlags();
    }

    /** The loop's name, also its thread's name and the label of its metrics. */
    public String name() {
        return name;
    }

    /** True when called on this loop's thread. */
    public boolean inLoop() {
        return driver.inLoop();
    }

    /**
     * The counters as of the end of the last loop iteration (on the loop thread: the current ones).
     * Allocates the returned record; any thread.
     */
    public UringMetrics metrics() {
        return driver.metrics().snapshot(inLoop());
    }

    /**
     * Registers a sparse table of {@code count} direct descriptors (io_uring_register_files_sparse):
     * ops may then create fds into it ({@link Op.Builder#fileIndex}) and use them with
     * {@link Opcode#IOSQE_FIXED_FILE}. A ring has one file table: when the loop registered its own
     * ({@link RingOptions#registeredFiles}, the default), this succeeds without a syscall for
     * {@code count <= 64}, the table's first 64 slots being left for callers that name their slots
     * (IORING_FILE_INDEX_ALLOC never picks them), and fails with EBUSY above.
     */
    public Mono<Void> registerFiles(int count) {
        return registrations.registerFiles(count);
    }

    /**
     * How many direct descriptors IORING_FILE_INDEX_ALLOC may create in this ring's file table
     * ({@link RingOptions#registeredFiles}); 0 when the kernel or the options gave none. Ops on them
     * use {@link SharedFd#direct}.
     */
    public int directDescriptorSlots() {
        return registrations.directSlots();
    }

    /**
     * Registers {@code buffers} with the kernel (io_uring_register_buffers); buffer {@code i} is then
     * used by READ_FIXED/WRITE_FIXED with {@code bufIndex(i)}. The buffers must stay unreleased until
     * {@link #unregisterBuffers()} completes. The ring has one buffer table: by default the loop's own
     * (its pool's blocks, {@link RingOptions#registeredBuffers}), and this then fails with EBUSY; create
     * the loop with {@code registeredBuffers(0)} to manage the table yourself.
     */
    public Mono<Void> registerBuffers(List<PooledBuffer> buffers) {
        return registrations.registerBuffers(buffers);
    }

    /**
     * Unregisters the buffers of {@link #registerBuffers} (io_uring_unregister_buffers), on the loop thread.
     * Completes once the kernel has dropped them: only then may their owner release them. Errors with the
     * errno's exception if none were registered ({@code ENXIO}) or the loop is disposed
     * ({@link java.util.concurrent.RejectedExecutionException}).
     */
    public Mono<Void> unregisterBuffers() {
        return registrations.unregisterBuffers();
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
        return registrations.registerBufferRing(entries, bufferSize, false);
    }

    /**
     * {@link #registerBufferRing(int, int)}, asking for incremental consumption when
     * {@code incremental} ({@code IOU_PBUF_RING_INC}, Linux 6.12+): completions then use only the bytes
     * they need of a buffer, and a small message no longer takes a whole one. The ring's
     * {@link BufferRing#incremental()} says whether the kernel granted it; where it does not (an older
     * kernel, which answers {@code EINVAL}), the ring is registered as by {@link #registerBufferRing(int, int)},
     * with one DEBUG line per JVM. Completions of an incremental ring must be taken with the
     * {@code IORING_CQE_F_BUF_MORE} flag (see {@link BufferRing}); granted rings are counted in
     * {@link UringMetrics#incrementalBufferRings()}.
     *
     * @param entries     buffers in the ring, a power of two in 1..32768
     * @param bufferSize  bytes per buffer
     * @param incremental ask for incremental consumption
     * @return the registered ring, emitted on this loop's thread
     */
    public Mono<BufferRing> registerBufferRing(int entries, int bufferSize, boolean incremental) {
        return registrations.registerBufferRing(entries, bufferSize, incremental);
    }

    // ---------------------------------------------------------------- Scheduler / Executor

    /**
     * Runs {@code task} on the loop thread: at once when called there (ops use this to reach the
     * loop without a detour), otherwise queued and the loop woken. {@link #schedule(Runnable)} always
     * queues.
     *
     * @throws RejectedExecutionException if the loop is disposed
     */
    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (driver.lifecycle() == LoopDriver.TERMINATED) {
            throw new RejectedExecutionException(name + " is disposed");
        }
        driver.post(task);
    }

    /**
     * Queues {@code task} to run on the loop thread, also when called there: it never runs before
     * this returns. Disposing the returned handle before it runs skips it.
     */
    @Override
    public Disposable schedule(Runnable task) {
        return scheduler.schedule(task);
    }

    @Override
    public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        return scheduler.schedule(task, delay, unit);
    }

    /** Runs {@code task} at a fixed rate (io_uring timeouts aimed at multiples of {@code period}). */
    @Override
    public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        return scheduler.schedulePeriodically(task, initialDelay, period, unit);
    }

    @Override
    public Worker createWorker() {
        return scheduler.createWorker();
    }

    @Override
    public boolean isDisposed() {
        return driver.lifecycle() != LoopDriver.RUNNING;
    }

    /**
     * Starts shutdown without waiting: new ops are rejected, ops waiting for a slot fail, in-flight
     * ops are cancelled in the kernel and their subscribers signalled when their CQEs arrive (or
     * after {@link RingOptions#shutdownTimeout}); then the ring and all native memory are freed.
     * Idempotent.
     */
    @Override
    public void dispose() {
        driver.shutdown();
    }

    /** {@link #dispose()}, as a Mono that completes when the loop thread has finished. */
    @Override
    public Mono<Void> disposeGracefully() {
        return Mono.defer(() -> {
            dispose();
            return driver.terminated().asMono();
        });
    }

    @Override
    public String toString() {
        return "UringLoop[" + name + ", " + options + "]";
    }

    // ---------------------------------------------------------------- used by op handles

    /** The loop running the current thread, if it is a loop thread. */
    static @Nullable UringLoop current() {
        return LoopThread.current();
    }

    /**
     * Queues {@code task} for a later step of the loop, also on the loop thread ({@link #schedule}).
     *
     * @throws RejectedExecutionException if the loop is disposed
     */
    void enqueue(Runnable task) {
        if (driver.lifecycle() == LoopDriver.TERMINATED) {
            throw new RejectedExecutionException(name + " is disposed");
        }
        driver.enqueue(task);
    }

    /** Runs {@code r} on the loop: at once on the loop thread, else queued (and the loop woken). */
    void post(Runnable r) {
        driver.post(r);
    }

    /**
     * Loop thread: {@code h} holds a subscriber but is neither queued nor in the kernel (a paused
     * multishot op, results waiting for demand): the loop must end it when it shuts down. False: no longer.
     */
    void parked(OpHandle h, boolean parked) {
        driver.parked(h, parked);
    }

    /** Any thread: a read of one of this loop's files was done inline, without the ring ({@link UringMetrics#inlineReads}). */
    void countInlineRead() {
        driver.metrics().inlineReads.increment();
    }

    /** Loop thread: how many ops are {@link #parked} now. */
    int parkedOps() {
        return driver.parkedOps();
    }

    /** Loop thread: queue {@code h} for submission; false when the loop no longer takes ops. */
    boolean accept(OpHandle h) {
        return driver.accept(h);
    }

    /** Loop thread: how many spins before sleeping found new work in the inbox ({@code LoopDriver}). */
    long spinHits() {
        return driver.metrics().spinHits;
    }

    /** Any thread: how many eventfd writes other threads made to wake this loop. */
    long wakeSignals() {
        return driver.wakeSignals.get();
    }

    /** Why this loop's thread died, or null (also after a plain dispose). */
    @Nullable Throwable failure() {
        return driver.failure();
    }

    boolean isShuttingDown() {
        return driver.lifecycle() != LoopDriver.RUNNING;
    }

    Throwable rejection(Op op) {
        return new RejectedExecutionException(op + ": io_uring loop " + name + " is disposed");
    }

    Throwable error(int res, Op op) {
        if (res == -Errno.ECANCELED && isShuttingDown()) {
            return new CancellationException(op + ": cancelled because io_uring loop " + name
                    + " was disposed");
        }
        if (res == -Errno.ENOMEM && (op.opcode == Opcode.SEND_ZC || op.opcode == Opcode.SENDMSG_ZC)) {
            // Zero-copy sends pin the user's pages, charged to RLIMIT_MEMLOCK like registered buffers.
            return Errno.exception(res, op.name, op.target + Uring.memlockNoteForEnomem(op.len, "the zero-copy send"));
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
        return driver.write(b, h, member, op, extraSqeFlags);
    }

    /**
     * Loop thread: slots {@code h} may take right now without {@link #accept queueing}: none while
     * other ops wait in line for slots, unless {@code h} is being {@link OpHandle#prepare prepared}
     * (it is then the head of that line).
     */
    int freeSlots(boolean headOfLine) {
        return driver.freeSlots(headOfLine);
    }

    /** Loop thread: {@link #write} into the current batch; the caller checked {@link #freeSlots}. */
    long writeNow(OpHandle h, int member, Op op) {
        return driver.writeNow(h, member, op);
    }

    /** Loop thread: IORING_OP_ASYNC_CANCEL for the op with {@code userData}; its own CQE is ignored. */
    void cancelInKernel(long userData) {
        driver.cancelInKernel(userData);
    }

    /**
     * Loop thread: a CQE arrived for an op whose subscriber has left. An fd it created has no owner:
     * close it, as other io_uring runtimes failed to do.
     */
    /** {@link SharedFd} bookkeeping: a loop closes the fds still open when it terminates. */
    void fdOpened(SharedFd fd) {
        registrations.fdOpened(fd);
    }

    void fdClosed(SharedFd fd) {
        registrations.fdClosed(fd);
    }

    void orphaned(Op op, int res) {
        driver.orphaned(op, res);
    }
}
