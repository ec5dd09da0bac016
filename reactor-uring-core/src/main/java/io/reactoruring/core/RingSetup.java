package io.reactoruring.core;

import io.reactoruring.core.internal.Native;
import io.reactoruring.core.internal.NativeMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The native resources of one ring, created on the loop thread: the ring itself (with the setup
 * flags the kernel accepted), the wakeup eventfd, the CQE array {@link Native#enter} copies into and
 * the per-call statistics block. Loop thread only; {@link #close} releases everything once.
 */
final class RingSetup {
    private static final Logger LOG = Loggers.getLogger(UringLoop.class);

    private static final int SETUP_IOPOLL = 1;
    private static final int SETUP_SQPOLL = 1 << 1;
    private static final int SETUP_SUBMIT_ALL = 1 << 7;
    private static final int SETUP_COOP_TASKRUN = 1 << 8;
    private static final int SETUP_SINGLE_ISSUER = 1 << 12;
    private static final int SETUP_DEFER_TASKRUN = 1 << 13;

    final long ring;
    final int flags;
    final int cqEntries;
    final int eventFd;
    /** Room for twice the CQ: an overflowed CQ is flushed in the same call. */
    final int cqeCapacity;
    final long cqeAddress;
    final ByteBuffer cqes;
    private final long statsAddress;
    private final ByteBuffer stats;
    /** The eventfd read's 8-byte target. */
    final long wakeBuffer;

    private RingSetup(long ring, int flags, int cqEntries, int eventFd) {
        this.ring = ring;
        this.flags = flags;
        this.cqEntries = cqEntries;
        this.eventFd = eventFd;
        this.cqeCapacity = 2 * cqEntries;
        this.cqeAddress = NativeMemory.allocate((long) cqeCapacity * Native.CQE_SIZE, 64);
        this.cqes = Native.wrap(cqeAddress, cqeCapacity * Native.CQE_SIZE).order(ByteOrder.nativeOrder());
        this.statsAddress = NativeMemory.allocate(8L * Native.STAT_COUNT + 8, 64);
        this.stats = Native.wrap(statsAddress, 8 * Native.STAT_COUNT).order(ByteOrder.nativeOrder());
        this.wakeBuffer = statsAddress + 8L * Native.STAT_COUNT;
    }

    /**
     * Sets up the ring (dropping the optional single-issuer flags on kernels that refuse them),
     * requires IORING_FEAT_NODROP, fills {@code supported} from the opcode probe and creates the
     * wakeup eventfd.
     *
     * @throws IllegalStateException naming the errno when the kernel refuses
     */
    static RingSetup open(String name, RingOptions options, byte[] supported) {
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
            throw new IllegalStateException(Uring.explainSetupFailure((int) -r, Uring.ringBytes(options.sqEntries, cq)));
        }
        long ring = r;
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
        return new RingSetup(ring, out[Native.OPEN_FLAGS], out[Native.OPEN_CQ_ENTRIES], efd);
    }

    /** The last {@link Native#enter} call's statistic {@code index} ({@code Native.STAT_*}). */
    long stat(int index) {
        return stats.getLong(8 * index);
    }

    long statsAddress() {
        return statsAddress;
    }

    /** Closes the ring (the kernel unregisters everything registered with it). */
    void closeRing() {
        Native.ringClose(ring);
    }

    /** Frees the CQE array and the statistics block; after {@link #closeRing} and the eventfd's close. */
    void freeMemory() {
        NativeMemory.free(cqeAddress, (long) cqeCapacity * Native.CQE_SIZE);
        NativeMemory.free(statsAddress, 8L * Native.STAT_COUNT + 8);
    }
}
