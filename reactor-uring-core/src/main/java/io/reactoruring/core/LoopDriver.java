package io.reactoruring.core;

import io.reactoruring.core.internal.Native;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Operators;
import reactor.core.publisher.Sinks;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.context.Context;

/**
 * The loop of one {@link UringLoop}: its thread's body and all loop-thread state. Each iteration
 * runs the inbox, moves waiting ops into the submission batch, then makes ONE JNI call
 * ({@link Native#enter}) that submits the batch, waits if there is nothing else to do, and copies
 * the ready CQEs out; the CQEs are then dispatched by user_data through the slot table (ops that a
 * long burst of them starts are submitted while it is dispatched: {@link #EARLY_SUBMIT_PROPERTY}).
 * Other threads reach the loop only through {@link #post} (a lock-free inbox, plus an eventfd write
 * if the loop sleeps) and the lifecycle.
 */
final class LoopDriver {
    private static final Logger LOG = Loggers.getLogger(UringLoop.class);

    /** Reserved user_data values (bit 63 set; slot user_data never has it). */
    static final long WAKEUP_USER_DATA = Long.MIN_VALUE | 1;
    static final long IGNORED_USER_DATA = Long.MIN_VALUE | 2;

    private static final int AWAKE = 0;
    private static final int SLEEPING = 1;
    private static final int CLOSED = 2;
    private static final AtomicIntegerFieldUpdater<LoopDriver> WAKE =
            AtomicIntegerFieldUpdater.newUpdater(LoopDriver.class, "wakeState");

    private static final Throwable CANCELLED_BEFORE_SUBMISSION = new CancellationException("cancelled before submission");
    static final int RUNNING = 0;
    static final int SHUTTING_DOWN = 1;
    static final int TERMINATED = 2;
    private static final AtomicIntegerFieldUpdater<LoopDriver> LIFECYCLE =
            AtomicIntegerFieldUpdater.newUpdater(LoopDriver.class, "lifecycle");

    /** Inbox tasks run per iteration at most. */
    static final int INBOX_BATCH = 4096;

    /**
     * How long the loop polls its inbox before going to sleep in the kernel, after an iteration
     * that delivered completions: the work those completions started (a completion handler that
     * starts the next read, a {@code block()}ing caller's next op) usually comes back within
     * microseconds, and finding it in the inbox saves the poster an eventfd write and the loop a
     * sleep and wake-up. System property {@code reactoruring.loop.spinMicros} (default 0: off; 50 is
     * what was measured), read when a loop is created. Off by default: on a loaded machine (or a
     * container's CPU quota) a spinning loop is preempted and the measured gain did not hold up. An idle loop never spins: only an iteration that dispatched
     * completions leads to one, and only while no op is in the kernel (whose completion the spin would
     * delay; so loops with armed multishot ops never spin). The window adapts
     * ({@link #nextSpinWindow}): each spin that finds nothing halves it, down to 1/16 of the
     * property, and a spin that finds work restores it, so a loop whose callers do not come back
     * quickly burns little CPU.
     */
    static final String SPIN_PROPERTY = "reactoruring.loop.spinMicros";

    /**
     * Whether file reads, writes and syncs ({@link Opcode#startsDeviceIo}) that completion handlers
     * start are handed to the kernel while the loop is still dispatching a burst of completions (after
     * the burst's 1st, 2nd, 4th, 8th... completion: at most log2(burst) more io_uring_enter calls),
     * rather than all at the end of the iteration. A device that completed a burst is idle until new
     * requests arrive; it should not wait for the whole burst's Java side (O_DIRECT random reads at
     * qd 32 on a virtio disk: 0.82 x fio without it, 0.95 x with it, medians). Network ops are left
     * to the end: on loopback a send does its work inside the enter, so an early enter only adds a
     * system call (the echo benchmark lost 5-10 % per request with every op submitted early).
     * File ops the kernel completes inside the submission (page-cached reads and writes) gain nothing
     * from it either: when every op of an early enter completed inline, the loop backs off and skips
     * early submission for the next 1, 2, 4... up to 64 bursts, probing again after each pause
     * (sequential page-cached {@code readChunks}: 0.87 x FileChannel with every burst submitting early).
     * System property {@code reactoruring.loop.earlySubmit} (default true; false turns it off), read
     * when a loop is created.
     */
    static final String EARLY_SUBMIT_PROPERTY = "reactoruring.loop.earlySubmit";

    /** Ops the kernel never completed before a shutdown timeout: their memory must never be reused. */
    private static final List<OpHandle> ABANDONED = new ArrayList<>();

    private final UringLoop loop;
    private final String name;
    private final RingOptions options;
    private final LoopThread thread;
    private final ConcurrentLinkedQueue<Runnable> inbox = new ConcurrentLinkedQueue<>();
    private final Sinks.Empty<Void> terminated = Sinks.empty();
    private final CountDownLatch started = new CountDownLatch(1);
    private final byte[] supported = new byte[Opcode.LAST_KNOWN];
    private final RateLimitedWarning overflowWarning;
    private final LoopMetrics metrics;
    private final FixedBuffers fixedBuffers;
    private @Nullable LoopRegistrations registrations;
    private volatile int wakeState = AWAKE;
    private final AtomicInteger wakeWriters = new AtomicInteger();
    /** Eventfd writes that woke the loop (any thread). */
    final java.util.concurrent.atomic.AtomicLong wakeSignals = new java.util.concurrent.atomic.AtomicLong();
    private volatile int lifecycle = RUNNING;
    private volatile @Nullable Throwable startFailure;
    /** Why the loop died, if it did (not set by a dispose). */
    private volatile @Nullable Throwable failure;
    private volatile int ringFlags;

    // Loop-thread state.
    private RingSetup ring;
    private OpSlots slots;
    private SubmissionBatch batch;
    private boolean wakeArmed;
    private final ArrayDeque<OpHandle> waiting = new ArrayDeque<>();
    /** Ops with a subscriber that are neither waiting nor in the kernel (paused multishot ops): ended at shutdown. */
    private final java.util.Set<OpHandle> parked = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    private long deadline;
    private boolean slotsAbandoned;
    private boolean moreReady;
    /** Completions the last iteration dispatched to ops (a spin before sleeping pays off after them). */
    private int lastDispatched;
    /** New slots this iteration may still take ({@link RingOptions#submissionsPerIteration}). */
    private int budget;
    private final int budgetPerIteration;
    /** {@link #SPIN_PROPERTY} in ns, read when the loop is created. */
    private final long spinNanos = Math.max(0, Long.getLong(SPIN_PROPERTY, 0)) * 1000;
    /** Loop thread: an op that starts device work ({@link OpHandle#startsDeviceIo}) waits, or is in the batch, since the last enter. */
    private boolean deviceIoWaiting;
    /** Loop thread: bursts still to dispatch without early submission, and the length of the last such pause. */
    private int earlySkip;
    private int earlyBackoff;
    /** {@link #EARLY_SUBMIT_PROPERTY}, read when the loop is created. */
    private final boolean earlySubmit = !"false".equalsIgnoreCase(System.getProperty(EARLY_SUBMIT_PROPERTY, "true").trim());
    /** The current spin window (loop thread), between spinNanos / 16 and spinNanos. */
    private long spinWindow = spinNanos;

    LoopDriver(UringLoop loop, String name, RingOptions options) {
        this.loop = loop;
        this.name = name;
        this.options = options;
        this.overflowWarning = new RateLimitedWarning(LOG, Duration.ofSeconds(10));
        this.metrics = new LoopMetrics(this);
        this.fixedBuffers = new FixedBuffers(this, options.registeredBuffers);
        this.budgetPerIteration = options.effectiveSubmissionsPerIteration();
        this.thread = new LoopThread(loop, this::run, name);
    }

    /** Starts the thread and waits until the ring is set up; the failure, or null. */
    @Nullable Throwable start(LoopRegistrations registrations) throws InterruptedException {
        this.registrations = registrations;
        thread.start();
        started.await();
        return startFailure;
    }

    // ---------------------------------------------------------------- any thread

    boolean inLoop() {
        return Thread.currentThread() == thread;
    }

    boolean supports(int opcode) {
        return opcode >= 0 && opcode < supported.length && supported[opcode] != 0;
    }

    int ringFlags() {
        return ringFlags;
    }

    RingOptions options() {
        return options;
    }

    LoopMetrics metrics() {
        return metrics;
    }

    String name() {
        return name;
    }

    FixedBuffers fixedBuffers() {
        return fixedBuffers;
    }

    int lifecycle() {
        return lifecycle;
    }

    @Nullable Throwable failure() {
        return failure;
    }

    Sinks.Empty<Void> terminated() {
        return terminated;
    }

    /** RUNNING → SHUTTING_DOWN, then wake the loop; idempotent. */
    void shutdown() {
        if (LIFECYCLE.compareAndSet(this, RUNNING, SHUTTING_DOWN)) {
            wakeup();
        }
    }

    /** Runs {@code r} on the loop: at once on the loop thread, else through the inbox. */
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

    /**
     * Queues {@code task} for a later iteration even on the loop thread (the Scheduler contract:
     * {@code schedule} never runs the task before returning).
     *
     * @throws RejectedExecutionException if the loop has terminated
     */
    void enqueue(Runnable task) {
        inbox.offer(task);
        if (lifecycle == TERMINATED && inbox.remove(task)) {
            throw new RejectedExecutionException("io_uring loop " + name + " is disposed");
        }
        if (!inLoop()) {
            wakeup();
        } // on the loop thread: the next iteration sees a non-empty inbox and does not block
    }

    private void wakeup() {
        if (wakeState == SLEEPING && WAKE.compareAndSet(this, SLEEPING, AWAKE)) {
            // Counted so close() never closes the eventfd under a writer (its number could be reused).
            wakeWriters.incrementAndGet();
            try {
                if (wakeState != CLOSED) {
                    wakeSignals.incrementAndGet();
                    Native.eventfdWrite(ring.eventFd);
                }
            } finally {
                wakeWriters.decrementAndGet();
            }
        }
    }

    // ---------------------------------------------------------------- loop thread, for op handles

    /** The ring handle for io_uring_register calls. */
    long ring() {
        return ring.ring;
    }

    @Nullable OpSlots slots() {
        return slots;
    }

    int waitingCount() {
        return waiting.size();
    }

    int budgetPerIteration() {
        return budgetPerIteration;
    }

    boolean accept(OpHandle h) {
        if (lifecycle != RUNNING) {
            return false;
        }
        waiting.add(h);
        if (earlySubmit && !deviceIoWaiting && h.startsDeviceIo()) {
            deviceIoWaiting = true;
        }
        return true;
    }

    long write(SubmissionBatch b, OpHandle h, int member, Op op, int extraSqeFlags) {
        long userData = slots.acquire(h, member);
        budget--;
        int fd = op.fd;
        int flags = op.sqeFlags | extraSqeFlags;
        if (op.sharedFd != null) {
            fd = op.sharedFd.sqeFd();
            if (op.sharedFd.isDirect()) {
                flags |= Opcode.IOSQE_FIXED_FILE;
                metrics.fixedFileOps++;
            }
        }
        long addr = op.addr;
        if (op.timespecNanos >= 0) {
            addr = slots.writeTimespec(userData, 0, op.timespecNanos);
        }
        int opcode = op.opcode;
        int bufIndex = op.bufIndex;
        if (op.buffer != null && (opcode == Opcode.READ || opcode == Opcode.WRITE)
                && (flags & Opcode.IOSQE_BUFFER_SELECT) == 0) {
            int index = loop.bufferPool().fixedIndex(op.buffer, addr, op.len);
            if (index >= 0) {
                opcode = opcode == Opcode.READ ? Opcode.READ_FIXED : Opcode.WRITE_FIXED;
                bufIndex = index;
                metrics.fixedBufferOps++;
            }
        }
        if (op.linkTimeoutNanos >= 0) {
            b.add(op, opcode, bufIndex, fd, addr, flags | Opcode.IOSQE_IO_LINK, userData);
            long ts = slots.writeTimespec(userData, 1, op.linkTimeoutNanos);
            b.addRaw(Opcode.LINK_TIMEOUT, -1, ts, 1, 0, 0, 0, IGNORED_USER_DATA);
        } else {
            b.add(op, opcode, bufIndex, fd, addr, flags, userData);
        }
        metrics.submitted++;
        return userData;
    }

    int freeSlots(boolean headOfLine) {
        return headOfLine || waiting.isEmpty() ? Math.max(0, budget) : 0;
    }

    long writeNow(OpHandle h, int member, Op op) {
        if (earlySubmit && Opcode.startsDeviceIo(op.opcode)) {
            deviceIoWaiting = true; // written straight into the batch (submitAll): early submission takes it too
        }
        return write(batch, h, member, op, 0);
    }

    void cancelInKernel(long userData) {
        if (lifecycle == TERMINATED) {
            return; // no iteration will submit it, and the batch is freed or about to be
        }
        batch.addRaw(Opcode.ASYNC_CANCEL, -1, userData, 0, 0, 0, 0, IGNORED_USER_DATA);
    }

    void orphaned(Op op, int res) {
        if (!op.closesOrphanedFd || res < 0) {
            return;
        }
        if (lifecycle == TERMINATED) {
            // An op aborted after the loop ended (its subscriber cancelled later, on any thread): no
            // iteration will submit a CLOSE. A process fd is closed here; a direct one went with the ring.
            if (op.fileIndex == 0) {
                Native.close(res);
            }
            return;
        }
        if (op.fileIndex == 0) {
            batch.addRaw(Opcode.CLOSE, res, 0, 0, 0, 0, 0, IGNORED_USER_DATA);
        } else if (op.fileIndex == Opcode.IORING_FILE_INDEX_ALLOC) {
            batch.addRawFileIndex(Opcode.CLOSE, res + 1, IGNORED_USER_DATA); // the slot the kernel picked
        } // a slot the caller named is the caller's to close
    }

    // ---------------------------------------------------------------- the loop

    private void run() {
        try {
            ring = RingSetup.open(name, options, supported);
            ringFlags = ring.flags;
            fixedBuffers.setUp(ring.ring, name);
            if (registrations != null) {
                registrations.setUpFileTable(ring.ring, options.registeredFiles);
            }
            slots = new OpSlots(options.effectiveCqEntries());
            batch = new SubmissionBatch(options.sqEntries * 2);
            metrics.publish();
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
            failure = t;
            LOG.error("io_uring loop " + name + " failed", t);
        } finally {
            close(fatal);
        }
    }

    private void loop() {
        RingSetup r = ring;
        while (true) {
            budget = budgetPerIteration;
            metrics.iterations++;
            drainInbox();
            if (lifecycle != RUNNING && deadline == 0) {
                beginShutdown();
            }
            int rearm = 0;
            if (!wakeArmed && lifecycle == RUNNING) {
                batch.addRaw(Opcode.READ, r.eventFd, r.wakeBuffer, 8, 0, 0, 0, WAKEUP_USER_DATA);
                wakeArmed = true;
                rearm = 1; // may wait for a spin: no poster writes the eventfd while the loop is awake
            }
            fillBatch();
            if (deadline != 0 && slots.used() == 0 && !wakeArmed && batch.isEmpty()) {
                return; // shutdown: every in-flight op has its CQE
            }
            long timeout = -1;
            // Ops left waiting get the next iteration's budget at once: never block on them.
            boolean block = !moreReady && inbox.isEmpty() && waiting.isEmpty();
            if (deadline != 0) {
                timeout = Math.max(0, deadline - System.nanoTime());
                if (timeout == 0) {
                    abandonInFlight();
                    return;
                }
            }
            if (block && lastDispatched > 0 && spinNanos > 0 && batch.count() == rearm && slots.used() == 0 && deadline == 0) {
                if (spinForInbox()) {
                    // The next op arrived without a wake-up: it goes into this iteration's enter.
                    drainInbox();
                    fillBatch();
                    block = !moreReady && inbox.isEmpty() && waiting.isEmpty();
                }
            }
            // The pool's idle memory is trimmed from here: the wait ends when a trim is due (no timer op).
            long trimAt = loop.bufferPool().trimTick();
            if (block && trimAt != Long.MAX_VALUE) {
                long untilTrim = Math.max(0, trimAt - System.nanoTime());
                timeout = timeout < 0 ? untilTrim : Math.min(timeout, untilTrim);
            }
            if (block) {
                wakeState = SLEEPING;
                // A dispose that came after this iteration's check saw the loop awake and wrote no wake-up.
                if (!inbox.isEmpty() || lifecycle != RUNNING && deadline == 0) {
                    block = false;
                }
            }
            int n = Native.enter(r.ring, batch.address(), batch.count(), r.cqeAddress, r.cqeCapacity,
                    block ? 1 : 0, timeout, r.statsAddress());
            if (block) {
                metrics.wakeups++;
            }
            wakeState = AWAKE;
            if (n < 0) {
                throw new IllegalStateException("io_uring_enter failed: " + Errno.name(n) + " (" + Errno.description(n) + ")");
            }
            afterEnter(r);
            moreReady = r.stat(Native.STAT_MORE_READY) > 0;
            lastDispatched = dispatch(r.cqes, n);
            metrics.publish();
        }
    }

    /** Loop thread: books what the last {@link Native#enter} reported, and drops the SQEs it took from the batch. */
    private void afterEnter(RingSetup r) {
        // The batch went in. Ops the budget left waiting go at the start of the next iteration anyway.
        deviceIoWaiting = false;
        batch.consumed((int) r.stat(Native.STAT_CONSUMED));
        metrics.enterCalls += r.stat(Native.STAT_ENTERS);
        long flushes = r.stat(Native.STAT_OVERFLOW_FLUSHES);
        if (flushes > 0) {
            metrics.cqOverflows += flushes;
            overflowWarning.record(flushes, name, r.cqeCapacity);
        }
        metrics.submitBusy += r.stat(Native.STAT_BUSY);
        metrics.sqFullWaits += r.stat(Native.STAT_SQ_FULL);
    }

    /**
     * Loop thread, in the middle of dispatching a burst of completions: hands the kernel the ops the
     * completions dispatched so far started, without waiting and without reaping (the CQEs they
     * produce are copied by the next iteration). See {@link #EARLY_SUBMIT_PROPERTY}.
     *
     * @return false when every op it submitted completed inline (a CQE for each of its SQEs was in the
     *         CQ when the submit returned): early submission then pauses for the next 1, 2, 4... 64 bursts
     */
    private boolean submitEarly() {
        fillBatch();
        if (batch.isEmpty()) {
            return true;
        }
        RingSetup r = ring;
        // waitNr -1: a plain submit that counts which of its ops completed inside it (STAT_INLINE).
        int rc = Native.enter(r.ring, batch.address(), batch.count(), r.cqeAddress, 0, -1, -1, r.statsAddress());
        if (rc < 0) {
            throw new IllegalStateException("io_uring_enter failed: " + Errno.name(rc) + " (" + Errno.description(rc) + ")");
        }
        afterEnter(r);
        long consumed = r.stat(Native.STAT_CONSUMED);
        if (consumed > 0 && r.stat(Native.STAT_INLINE) >= consumed) {
            earlyBackoff = Math.min(64, Math.max(1, earlyBackoff * 2));
            earlySkip = earlyBackoff;
            return false;
        }
        earlyBackoff = 0;
        return true;
    }

    /** {@link #SPIN_PROPERTY} in nanoseconds, as read when the loop was created (0: no spin). */
    long spinNanos() {
        return spinNanos;
    }

    /** Loop thread: see {@link UringLoop#parked}. */
    void parked(OpHandle h, boolean isParked) {
        if (isParked) {
            parked.add(h);
        } else if (!parked.isEmpty()) {
            parked.remove(h);
        }
    }

    /** Loop thread: how many ops are parked (tests). */
    int parkedOps() {
        return parked.size();
    }

    /** Loop thread: ends every parked op with {@code error} (its subscriber needs no demand for it). */
    private void abortParked(Throwable error) {
        if (parked.isEmpty()) {
            return;
        }
        List<OpHandle> ops = new ArrayList<>(parked);
        parked.clear();
        for (OpHandle h : ops) {
            h.abort(error);
        }
    }

    /** Polls the inbox for up to the current spin window; true when something arrived. */
    private boolean spinForInbox() {
        long end = System.nanoTime() + spinWindow;
        boolean found = false;
        outer:
        do {
            for (int i = 0; i < 64; i++) {
                if (!inbox.isEmpty()) {
                    found = true;
                    break outer;
                }
                Thread.onSpinWait();
            }
        } while (System.nanoTime() - end < 0 && lifecycle == RUNNING);
        found = found || !inbox.isEmpty();
        if (found) {
            metrics.spinHits++;
        }
        spinWindow = nextSpinWindow(spinWindow, spinNanos, found);
        return found;
    }

    /** The spin window after a spin of {@code window}: {@code max} after a hit, halved (not below max / 16) after a miss. */
    static long nextSpinWindow(long window, long max, boolean hit) {
        return hit ? max : Math.max(max / 16, window / 2);
    }

    /**
     * Runs the inbox's tasks, at most {@link #INBOX_BATCH} of them: a task that queues another one
     * (a periodic or self-rescheduling task) cannot keep the loop from reaching the kernel. What is
     * left runs in the next iteration, which does not block while the inbox holds anything.
     */
    private void drainInbox() {
        Runnable r;
        for (int i = 0; i < INBOX_BATCH && (r = inbox.poll()) != null; i++) {
            try {
                r.run();
            } catch (Throwable t) {
                Operators.onErrorDropped(t, Context.empty());
            }
        }
    }

    /**
     * Moves waiting ops into the batch while this iteration's submission budget lasts; the rest keep
     * waiting, in order, for the next iteration, which does not block while any op waits. Ops already
     * in the kernel, however many and however long-lived, take nothing from the budget, so they
     * cannot starve new ones. A batch may hold more SQEs than the SQ: the native side then submits
     * each full SQ before filling it again. Completions beyond the CQ wait in the kernel's overflow
     * list (IORING_FEAT_NODROP) and are flushed; none is lost.
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
            if (budget < need && budget < budgetPerIteration) {
                // The next iteration has the whole budget; a chain longer than that goes alone.
                metrics.inFlightLimitWaits++;
                return;
            }
            waiting.poll();
            h.prepare(batch);
        }
    }

    /** Dispatches the {@code n} CQEs in {@code c}; how many were for ops. */
    private int dispatch(ByteBuffer c, int n) {
        int delivered = 0;
        boolean early = earlySubmit && n > 1;
        if (early && earlySkip > 0) {
            earlySkip--;
            early = false;
        }
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
                metrics.stale++;
                continue;
            }
            int member = slots.member(userData);
            boolean terminal = (flags & Opcode.IORING_CQE_F_MORE) == 0;
            if (terminal) {
                slots.release(userData);
            }
            metrics.completed++;
            delivered++;
            try {
                h.onCqe(member, res, flags, terminal);
            } catch (Throwable t) {
                Operators.onErrorDropped(t, Context.empty());
            }
            // After the 1st, 2nd, 4th, 8th... completion of a burst: at most log2(n) extra enters.
            if (early && deviceIoWaiting && (delivered & (delivered - 1)) == 0 && i + 1 < n) {
                early = submitEarly();
            }
        }
        return delivered;
    }

    private void beginShutdown() {
        deadline = System.nanoTime() + Math.max(1, options.shutdownTimeout.toNanos());
        Throwable error = new RejectedExecutionException("io_uring loop " + name + " is disposed");
        OpHandle h;
        while ((h = waiting.poll()) != null) {
            h.abort(error);
        }
        abortParked(error);
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
        abortParked(error);
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
        ring.closeRing();
        fixedBuffers.ringClosed(); // the kernel dropped the registrations: pending frees run now
        if (registrations != null) {
            registrations.closeAfterRing();
        }
        wakeState = CLOSED;
        while (wakeWriters.get() != 0) {
            Thread.onSpinWait();
        }
        Native.close(ring.eventFd);
        if (!slotsAbandoned) {
            slots.close();
        }
        batch.close();
        ring.freeMemory();
        loop.bufferPool().close();
        metrics.publish();
        terminated.tryEmitEmpty();
    }
}
