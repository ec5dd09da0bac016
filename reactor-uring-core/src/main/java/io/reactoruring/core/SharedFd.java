package io.reactoruring.core;

import java.util.Objects;
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
 */
public final class SharedFd {
    private final int fd;
    private final UringLoop loop;
    private final String description;
    private final AtomicInteger refs = new AtomicInteger(1); // the owner's reference
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Sinks.One<Void> closed = Sinks.one();

    /** Wraps {@code fd}, which this object now owns and closes through {@code loop}. */
    public SharedFd(int fd, UringLoop loop, String description) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd must be >= 0, was " + fd);
        }
        this.fd = fd;
        this.loop = Objects.requireNonNull(loop, "loop");
        this.description = Objects.requireNonNull(description, "description");
    }

    public int fd() {
        return fd;
    }

    public UringLoop loop() {
        return loop;
    }

    /** True once {@link #close()} has been called. */
    public boolean isClosing() {
        return closing.get();
    }

    /** Takes a reference for an op; false when the fd is closed or closing. */
    public boolean tryAcquire() {
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
    public void release() {
        int r = refs.decrementAndGet();
        if (r == 0) {
            loop.submit(Op.close(fd)).subscribe(
                    res -> { },
                    e -> closed.tryEmitError(e),
                    () -> closed.tryEmitEmpty());
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

    @Override
    public String toString() {
        return description;
    }
}
