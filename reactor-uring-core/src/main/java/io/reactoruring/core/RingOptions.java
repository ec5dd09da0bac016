package io.reactoruring.core;

import java.time.Duration;
import java.util.Objects;

/**
 * How a ring is set up. Immutable: every setter returns a modified copy.
 *
 * <p>Defaults: 256 SQ entries; a CQ 8 times larger (multishot ops produce many CQEs per SQE);
 * SINGLE_ISSUER + DEFER_TASKRUN + COOP_TASKRUN + SUBMIT_ALL where the kernel has them (only the
 * loop thread touches the ring); at most SQ − 1 new ops submitted per loop iteration (no bound on
 * how many stay in flight: see {@link #submissionsPerIteration}); io-wq capped at
 * 4 bounded and 16 unbounded workers per ring so blocking ops cannot spawn thousands of kernel
 * threads; no SQPOLL, no IOPOLL.
 */
public final class RingOptions {
    private static final RingOptions DEFAULTS = new RingOptions(256, 0, false, Duration.ofSeconds(1), false, true, 0,
            4, 16, Duration.ofSeconds(5), 64, 1024, 1024);

    final int sqEntries;
    final int cqEntries;
    final boolean sqPoll;
    final Duration sqPollIdle;
    final boolean ioPoll;
    final boolean singleIssuer;
    final int submissionsPerIteration;
    final int ioWqBounded;
    final int ioWqUnbounded;
    final Duration shutdownTimeout;
    final int bufferCachePerClass;
    final int registeredBuffers;
    final int registeredFiles;

    private RingOptions(int sqEntries, int cqEntries, boolean sqPoll, Duration sqPollIdle, boolean ioPoll,
                        boolean singleIssuer, int submissionsPerIteration, int ioWqBounded, int ioWqUnbounded,
                        Duration shutdownTimeout, int bufferCachePerClass, int registeredBuffers, int registeredFiles) {
        this.sqEntries = sqEntries;
        this.cqEntries = cqEntries;
        this.sqPoll = sqPoll;
        this.sqPollIdle = sqPollIdle;
        this.ioPoll = ioPoll;
        this.singleIssuer = singleIssuer;
        this.submissionsPerIteration = submissionsPerIteration;
        this.ioWqBounded = ioWqBounded;
        this.ioWqUnbounded = ioWqUnbounded;
        this.shutdownTimeout = shutdownTimeout;
        this.bufferCachePerClass = bufferCachePerClass;
        this.registeredBuffers = registeredBuffers;
        this.registeredFiles = registeredFiles;
    }

    /**
     * The defaults described above (256 SQ entries, a CQ 8 times larger, SINGLE_ISSUER and friends
     * where the kernel has them, io-wq capped at 4/16, a 5 s shutdown timeout). The same immutable
     * instance every time; any thread.
     *
     * @return the default options
     */
    public static RingOptions defaults() {
        return DEFAULTS;
    }

    /** SQ entries, a power of two in [2, 32768]. */
    public RingOptions sqEntries(int n) {
        if (n < 2 || n > 32768 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("sqEntries must be a power of two in [2, 32768], was " + n);
        }
        return new RingOptions(n, cqEntries, sqPoll, sqPollIdle, ioPoll, singleIssuer, submissionsPerIteration, ioWqBounded,
                ioWqUnbounded, shutdownTimeout, bufferCachePerClass, registeredBuffers, registeredFiles);
    }

    /** CQ entries, a power of two >= sqEntries (0 = 8 × sqEntries). */
    public RingOptions cqEntries(int n) {
        if (n != 0 && (n < 2 || n > 65536 || Integer.bitCount(n) != 1)) {
            throw new IllegalArgumentException("cqEntries must be 0 or a power of two in [2, 65536], was " + n);
        }
        return new RingOptions(sqEntries, n, sqPoll, sqPollIdle, ioPoll, singleIssuer, submissionsPerIteration, ioWqBounded,
                ioWqUnbounded, shutdownTimeout, bufferCachePerClass, registeredBuffers, registeredFiles);
    }

    /** IORING_SETUP_SQPOLL: a kernel thread polls the SQ; it sleeps after {@code idle} without work. */
    public RingOptions sqPoll(boolean enabled, Duration idle) {
        Objects.requireNonNull(idle, "idle");
        if (idle.isNegative() || idle.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("idle out of range: " + idle);
        }
        return new RingOptions(sqEntries, cqEntries, enabled, idle, ioPoll, singleIssuer, submissionsPerIteration, ioWqBounded,
                ioWqUnbounded, shutdownTimeout, bufferCachePerClass, registeredBuffers, registeredFiles);
    }

    /** IORING_SETUP_IOPOLL: busy-poll completions (O_DIRECT files on polling-capable devices only). */
    public RingOptions ioPoll(boolean enabled) {
        return new RingOptions(sqEntries, cqEntries, sqPoll, sqPollIdle, enabled, singleIssuer, submissionsPerIteration, ioWqBounded,
                ioWqUnbounded, shutdownTimeout, bufferCachePerClass, registeredBuffers, registeredFiles);
    }

    /** SINGLE_ISSUER + DEFER_TASKRUN (+ COOP_TASKRUN, SUBMIT_ALL); on by default, dropped if the kernel lacks them. */
    public RingOptions singleIssuer(boolean enabled) {
        return new RingOptions(sqEntries, cqEntries, sqPoll, sqPollIdle, ioPoll, enabled, submissionsPerIteration, ioWqBounded,
                ioWqUnbounded, shutdownTimeout, bufferCachePerClass, registeredBuffers, registeredFiles);
    }

    /**
     * How many new ops (slots) one loop iteration may submit; the rest wait in Java, in order, for the
     * next iteration, which comes at once. 0 (the default) means SQ entries − 1.
     *
     * <p>This is a budget per iteration, not a bound on ops in flight: ops that stay armed (multishot
     * accept/recv/poll/timeout, a read parked on an idle socket) hold nothing that other ops wait
     * for, so any number of them cannot starve a NOP, a close or a timer. It keeps one iteration's
     * submissions, and so roughly its completions, within the rings; when more CQEs arrive than the
     * CQ holds, IORING_FEAT_NODROP (required) keeps them in the kernel's overflow list, which the
     * loop flushes; none is lost. The slot table grows as needed.
     */
    public RingOptions submissionsPerIteration(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("submissionsPerIteration must be >= 0, was " + n);
        }
        return new RingOptions(sqEntries, cqEntries, sqPoll, sqPollIdle, ioPoll, singleIssuer, n, ioWqBounded,
                ioWqUnbounded, shutdownTimeout, bufferCachePerClass, registeredBuffers, registeredFiles);
    }

    /**
     * The old name of {@link #submissionsPerIteration}. It used to bound the ops in flight, which let
     * long-lived ops (idle connections' receives) take every slot and freeze the loop; it now sets the
     * per-iteration submission budget.
     *
     * @deprecated use {@link #submissionsPerIteration(int)}
     */
    @Deprecated
    public RingOptions maxInFlight(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("maxInFlight must be >= 0, was " + n);
        }
        return submissionsPerIteration(n);
    }

    /** io_uring_register_iowq_max_workers: caps on bounded (file) and unbounded (socket) kernel workers; 0 = kernel default. */
    public RingOptions ioWqMaxWorkers(int bounded, int unbounded) {
        if (bounded < 0 || unbounded < 0) {
            throw new IllegalArgumentException("worker caps must be >= 0");
        }
        return new RingOptions(sqEntries, cqEntries, sqPoll, sqPollIdle, ioPoll, singleIssuer, submissionsPerIteration, bounded,
                unbounded, shutdownTimeout, bufferCachePerClass, registeredBuffers, registeredFiles);
    }

    /** How long dispose waits for in-flight ops' CQEs after cancelling them. */
    public RingOptions shutdownTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative");
        }
        return new RingOptions(sqEntries, cqEntries, sqPoll, sqPollIdle, ioPoll, singleIssuer, submissionsPerIteration, ioWqBounded,
                ioWqUnbounded, timeout, bufferCachePerClass, registeredBuffers, registeredFiles);
    }

    /**
     * Slots of the ring's fixed-buffer table (default 1024; 0 turns registered buffers off, at most
     * 16384). The loop registers each block of its {@link UringLoop#bufferPool()} the first time an op
     * reads or writes through it, and from then on such reads and writes are READ_FIXED/WRITE_FIXED
     * (the kernel maps no user memory per I/O; {@link UringMetrics#fixedBufferOps()} counts them).
     * Registered blocks are pinned and charged to RLIMIT_MEMLOCK (without CAP_IPC_LOCK); when the
     * kernel refuses, the loop says so once and the pool works unregistered. A full table leaves
     * further blocks unregistered. With this on, {@link UringLoop#registerBuffers} fails with EBUSY.
     */
    public RingOptions registeredBuffers(int slots) {
        if (slots < 0 || slots > 16384) {
            throw new IllegalArgumentException("registeredBuffers must be in [0, 16384], was " + slots);
        }
        return new RingOptions(sqEntries, cqEntries, sqPoll, sqPollIdle, ioPoll, singleIssuer, submissionsPerIteration, ioWqBounded,
                ioWqUnbounded, shutdownTimeout, bufferCachePerClass, slots, registeredFiles);
    }

    /**
     * Direct descriptors the ring's registered file table holds for files opened on this loop
     * (default 1024; 0 turns direct descriptors off). Files opened by reactor-uring-file live there,
     * without a process fd (kernel 6.0+); when the table is full they get plain fds.
     */
    public RingOptions registeredFiles(int slots) {
        if (slots < 0 || slots > 65536) {
            throw new IllegalArgumentException("registeredFiles must be in [0, 65536], was " + slots);
        }
        return new RingOptions(sqEntries, cqEntries, sqPoll, sqPollIdle, ioPoll, singleIssuer, submissionsPerIteration, ioWqBounded,
                ioWqUnbounded, shutdownTimeout, bufferCachePerClass, registeredBuffers, slots);
    }

    int effectiveCqEntries() {
        return cqEntries == 0 ? Math.min(65536, sqEntries * 8) : Math.max(cqEntries, sqEntries);
    }

    /** New ops per loop iteration; SQ − 1 by default, leaving an SQE for the loop's own wakeup read. */
    int effectiveSubmissionsPerIteration() {
        if (submissionsPerIteration != 0) {
            return submissionsPerIteration;
        }
        return Math.max(1, sqEntries - 1);
    }

    @Override
    public String toString() {
        return "RingOptions[sq=" + sqEntries + ", cq=" + effectiveCqEntries() + ", submissionsPerIteration=" + effectiveSubmissionsPerIteration()
                + ", sqPoll=" + sqPoll + ", ioPoll=" + ioPoll + ", singleIssuer=" + singleIssuer
                + ", registeredBuffers=" + registeredBuffers + ", registeredFiles=" + registeredFiles + "]";
    }
}
