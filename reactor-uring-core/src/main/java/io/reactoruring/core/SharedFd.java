package io.reactoruring.core;

import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * A file descriptor shared by the operations that use it. Each op built with
 * {@link Op.Builder#fd(SharedFd)} holds a reference from submission to its terminal CQE;
 * {@link #close()} drops the owner's reference and the fd is closed (IORING_OP_CLOSE on its loop)
 * only when the last in-flight op has completed. After close starts, new ops using it fail with
 * a {@link java.nio.channels.ClosedChannelException} before reaching the kernel.
 *
 * <p>Whatever happens to the loop, the fd is closed exactly once: by IORING_OP_CLOSE; by close(2)
 * when the loop no longer takes operations; or by the loop itself when it terminates with the fd
 * still open (its owner never closed it, or ops still held it).
 *
 * <p>A {@linkplain #isDirect() direct descriptor} may also get a <em>shadow</em>: a process fd for
 * the same open file, installed (IORING_OP_FIXED_FD_INSTALL) on the first page-cached read tried
 * off the loop thread ({@link CoreAccess#readNowait}), used only for those reads, and closed (close(2))
 * with the descriptor; ops keep using the slot.
 */
public final class SharedFd {
    /** A process fd, or the slot of a direct descriptor ({@link #direct}). */
    private final int fd;
    private final boolean direct;
    private final UringLoop loop;
    private final String description;
    private final AtomicInteger refs = new AtomicInteger(1); // the owner's reference
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Sinks.One<Void> closed = Sinks.one();
    /** Set by whichever path closes the fd (the CLOSE op, close(2) here, the loop's termination): only one may. */
    private final AtomicBoolean closeClaimed = new AtomicBoolean();

    // The shadow's states; a value >= 0 is the installed process fd.
    private static final int SHADOW_NONE = -1;
    private static final int SHADOW_PENDING = -2;
    private static final int SHADOW_FAILED = -3;
    private static final int SHADOW_CLOSED = -4;
    private static final AtomicIntegerFieldUpdater<SharedFd> SHADOW =
            AtomicIntegerFieldUpdater.newUpdater(SharedFd.class, "shadow");
    private static final AtomicIntegerFieldUpdater<SharedFd> SHADOW_READERS =
            AtomicIntegerFieldUpdater.newUpdater(SharedFd.class, "shadowReaders");
    private static final AtomicIntegerFieldUpdater<SharedFd> DOOMED_SHADOW =
            AtomicIntegerFieldUpdater.newUpdater(SharedFd.class, "doomedShadow");
    /**
     * NONE, PENDING (an install is in flight), FAILED (never retried), CLOSED (final), or the fd. Only
     * the install's result moves PENDING to an fd (CAS); every path that closes this SharedFd moves
     * it to CLOSED with getAndSet, so exactly one party owns, and closes, an installed fd.
     */
    private volatile int shadow = SHADOW_NONE;
    /**
     * Inline reads between their look at {@link #shadow} and the end of their preadv2. Not the refs:
     * the loop's termination ({@link #closeNow}) closes an fd that ops still hold, and a shadow must
     * never be closed (its number reused by another file) under a read.
     */
    private volatile int shadowReaders;
    /** A shadow taken out of {@link #shadow} while readers were in: the last of them closes it. */
    private volatile int doomedShadow = -1;

    static {
        CoreAccess.register(new CoreAccess.Fds() {
            @Override
            public SharedFd adopt(int fd, UringLoop loop, String description) {
                return new SharedFd(fd, loop, description);
            }

            @Override
            public SharedFd adoptDirect(int index, UringLoop loop, String description) {
                return new SharedFd(index, true, loop, description);
            }

            @Override
            public boolean tryAcquire(SharedFd fd) {
                return fd.tryAcquire();
            }

            @Override
            public void release(SharedFd fd) {
                fd.release();
            }

            @Override
            public int readNowait(SharedFd fd, long addr, int len, long position) {
                return fd.readNowait(addr, len, position);
            }
        });
    }

    /**
     * Wraps {@code fd}, which this object now owns and closes through {@code loop}. Not public: the
     * file and net modules adopt fds through {@link CoreAccess#adoptFd}.
     */
    SharedFd(int fd, UringLoop loop, String description) {
        this(fd, false, loop, description);
    }

    private SharedFd(int fd, boolean direct, UringLoop loop, String description) {
        if (fd < 0) {
            throw new IllegalArgumentException((direct ? "slot" : "fd") + " must be >= 0, was " + fd);
        }
        this.fd = fd;
        this.direct = direct;
        this.loop = Objects.requireNonNull(loop, "loop");
        this.description = Objects.requireNonNull(description, "description");
        loop.fdOpened(this);
    }

    /**
     * The raw file descriptor number. Valid only while the fd is open: after {@link #close()} completes the number may be reused by the process for another file; never close it directly.
     *
     * @throws IllegalStateException for a {@linkplain #isDirect() direct descriptor}, which has none
     */
    public int fd() {
        if (direct) {
            throw new IllegalStateException(description + " is a direct descriptor (slot " + fd + " of "
                    + loop.name() + "'s file table) and has no process fd");
        }
        return fd;
    }

    /** True for a descriptor that lives only in its loop's registered file table ({@link CoreAccess#adoptDirectFd}). */
    public boolean isDirect() {
        return direct;
    }

    /** The slot of a {@linkplain #isDirect() direct descriptor} in its loop's file table, else -1. */
    public int directIndex() {
        return direct ? fd : -1;
    }

    /** What the SQE's fd field gets: the fd, or the slot (with IOSQE_FIXED_FILE). */
    int sqeFd() {
        return fd;
    }

    /** The loop whose ops use this fd and which closes it. */
    public UringLoop loop() {
        return loop;
    }

    /** True once {@link #close()} has been called. */
    public boolean isClosing() {
        return closing.get();
    }

    /** Takes a reference for an op; false when the fd is closed or closing. */
    boolean tryAcquire() {
        if (closing.get()) {
            return false;
        }
        for (;;) {
            int r = refs.get();
            if (r == 0) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one closes the fd. */
    void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            closeShadow();
            if (!closeClaimed.compareAndSet(false, true)) {
                return; // the loop terminated and closed it
            }
            Op close = direct ? Op.builder(Opcode.CLOSE).fd(0).fileIndex(fd + 1).name("close").target(description).build()
                    : Op.close(fd);
            loop.submit(close).subscribe(
                    res -> { },
                    e -> {
                        if (e instanceof RejectedExecutionException) {
                            closeSynchronously(); // never reached the kernel: the loop is gone or going
                        } else {
                            loop.fdClosed(this);
                            closed.tryEmitError(e);
                        }
                    },
                    () -> {
                        loop.fdClosed(this);
                        closed.tryEmitEmpty();
                    });
        } else if (r < 0) {
            throw new IllegalStateException("SharedFd released more often than acquired: " + this);
        }
    }

    /**
     * Starts closing (idempotent) and returns a Mono that completes once the fd is closed, i.e.
     * after every op that was using it has completed.
     */
    public Mono<Void> close() {
        if (closing.compareAndSet(false, true)) {
            release();
        }
        return closed.asMono();
    }

    /** The loop has terminated (its ring is closed): close(2) now, unless a close already ran. */
    void closeNow() {
        closeShadow();
        if (closeClaimed.compareAndSet(false, true)) {
            closeSynchronously();
        }
    }

    private void closeSynchronously() {
        closeShadow();
        // A direct descriptor goes with its ring, which is closed or closing: nothing to close(2).
        int res = direct ? 0 : Native.close(fd);
        loop.fdClosed(this);
        if (res < 0) {
            closed.tryEmitError(Errno.exception(res, "close", description));
        } else {
            closed.tryEmitEmpty();
        }
    }

    /**
     * {@link CoreAccess#readNowait}: preadv2(RWF_NOWAIT) on the calling thread, on the process fd or, for
     * a direct descriptor, on its shadow; a read done here is counted in {@link UringMetrics#inlineReads}.
     */
    int readNowait(long addr, int len, long position) {
        int res;
        if (direct) {
            res = readShadow(addr, len, position);
        } else if (!tryAcquire()) {
            return -Errno.EBADF;
        } else {
            try {
                res = Native.preadv2(fd, addr, len, position, Native.RWF_NOWAIT);
            } finally {
                release();
            }
        }
        if (res >= 0) {
            loop.countInlineRead();
        }
        return res;
    }

    /**
     * A direct descriptor's {@link #readNowait}: on the shadow once it is installed; before that, asks
     * for it and returns -EAGAIN (the caller takes the ring).
     */
    private int readShadow(long addr, int len, long position) {
        int s = shadow;
        if (s < 0) {
            if (s == SHADOW_NONE) {
                requestShadow();
                return -Errno.EAGAIN;
            }
            return s == SHADOW_PENDING ? -Errno.EAGAIN : s == SHADOW_FAILED ? -Errno.EOPNOTSUPP : -Errno.EBADF;
        }
        if (closing.get()) {
            return -Errno.EBADF; // as for a process fd: a read that starts after close() fails through the ring
        }
        s = enterShadow();
        try {
            return s < 0 ? -Errno.EBADF : Native.preadv2(s, addr, len, position, Native.RWF_NOWAIT);
        } finally {
            exitShadow();
        }
    }

    /**
     * A read of the shadow begins: returns it (or a negative state), and nobody closes that fd before
     * the matching {@link #exitShadow}. Any thread.
     */
    int enterShadow() {
        SHADOW_READERS.incrementAndGet(this);
        return shadow; // read after the increment: a closer that took it out sees this reader
    }

    /** The read that {@link #enterShadow} began is done: the last one out closes a shadow the close left to it. */
    void exitShadow() {
        if (SHADOW_READERS.decrementAndGet(this) == 0 && doomedShadow >= 0) {
            closeDoomedShadow();
        }
    }

    /**
     * NONE to PENDING, then IORING_OP_FIXED_FD_INSTALL of the slot on the loop (from any thread: it
     * joins the loop's queue). The install holds its own reference while in flight; the one taken
     * here only keeps the descriptor from closing before the op is handed over.
     */
    private void requestShadow() {
        if (!direct || !SHADOW.compareAndSet(this, SHADOW_NONE, SHADOW_PENDING)) {
            return;
        }
        if (!tryAcquire()) {
            SHADOW.compareAndSet(this, SHADOW_PENDING, SHADOW_FAILED); // closing: CLOSED follows, or already won
            return;
        }
        try {
            Op install = Op.builder(Opcode.FIXED_FD_INSTALL).fd(this).closesOrphanedFd(true).name("fixed_fd_install")
                    .target(description).build();
            loop.submit(install).subscribe(this::shadowInstalled,
                    e -> SHADOW.compareAndSet(this, SHADOW_PENDING, SHADOW_FAILED));
        } catch (RuntimeException e) { // the loop refused it outright
            SHADOW.compareAndSet(this, SHADOW_PENDING, SHADOW_FAILED);
        } finally {
            release();
        }
    }

    /** The install's result, on the loop thread: the shadow's, unless this SharedFd closed meanwhile. */
    private void shadowInstalled(int installed) {
        if (!SHADOW.compareAndSet(this, SHADOW_PENDING, installed)) {
            Native.close(installed); // CLOSED already: the closing path saw PENDING and left it to us
        }
    }

    /** Every path that closes this SharedFd: the shadow is CLOSED from now on, and closed once no read is inside. */
    private void closeShadow() {
        int s = SHADOW.getAndSet(this, SHADOW_CLOSED);
        if (s >= 0) {
            doomedShadow = s;
            // Volatile write then read, against the readers' decrement then read: one side sees the other.
            if (shadowReaders == 0) {
                closeDoomedShadow();
            }
        }
    }

    private void closeDoomedShadow() {
        int d = DOOMED_SHADOW.getAndSet(this, -1);
        if (d >= 0) {
            Native.close(d);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
