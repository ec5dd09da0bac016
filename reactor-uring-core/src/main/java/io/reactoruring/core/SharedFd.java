package io.reactoruring.core;

import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
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
        if (closeClaimed.compareAndSet(false, true)) {
            closeSynchronously();
        }
    }

    private void closeSynchronously() {
        // A direct descriptor goes with its ring, which is closed or closing: nothing to close(2).
        int res = direct ? 0 : Native.close(fd);
        loop.fdClosed(this);
        if (res < 0) {
            closed.tryEmitError(Errno.exception(res, "close", description));
        } else {
            closed.tryEmitEmpty();
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
