package io.reactoruring.net;

import io.reactoruring.core.Errno;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.BufferPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.scheduler.NonBlocking;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Which implementation a server or client runs on: io_uring, or the NIO fallback
 * ({@link java.nio.channels.AsynchronousSocketChannel}) where io_uring is unavailable. The fallback's
 * shared resources live here for the life of the JVM: one {@link AsynchronousChannelGroup} whose
 * daemon threads are {@link NonBlocking} (as the loops are), and one {@link BufferPool}.
 */
enum Transport {
    IO_URING,
    NIO;

    private static final Logger LOG = Loggers.getLogger(Transport.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();
    private static final Object LOCK = new Object();
    private static @Nullable AsynchronousChannelGroup nioGroup;

    /** The fallback's own pool: there is no loop to own one. */
    static final BufferPool NIO_POOL = new BufferPool(16).trimOn(reactor.core.scheduler.Schedulers.parallel());

    /**
     * {@code forced}; else io_uring when the caller gave its own {@code group} or the shared group is
     * usable ({@link UringLoopGroup#sharedIfUsable()}: io_uring available, the shared rings created
     * and alive); else NIO, logging once why ({@link UringLoopGroup#sharedUnavailabilityCause()}).
     */
    static Transport select(@Nullable Transport forced, @Nullable UringLoopGroup group) {
        if (forced != null) {
            return forced;
        }
        if (group != null || UringLoopGroup.sharedIfUsable() != null) {
            return IO_URING;
        }
        if (WARNED.compareAndSet(false, true)) {
            Throwable cause = UringLoopGroup.sharedUnavailabilityCause();
            LOG.warn("io_uring is unavailable ({}); reactor-uring-net falls back to AsynchronousSocketChannel",
                    cause == null ? "unknown cause" : cause.getMessage());
        }
        return NIO;
    }

    /** The fallback's channel group, created on first use: one thread per core, at least two. */
    static AsynchronousChannelGroup nioGroup() {
        synchronized (LOCK) {
            if (nioGroup == null) {
                int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
                AtomicInteger n = new AtomicInteger();
                try {
                    nioGroup = AsynchronousChannelGroup.withFixedThreadPool(threads,
                            r -> new NioThread(r, "reactor-uring-nio-" + n.incrementAndGet()));
                } catch (IOException e) {
                    throw new UncheckedIOException("creating the NIO fallback's channel group", e);
                }
            }
            return nioGroup;
        }
    }

    /** A fallback I/O thread: like a loop thread, {@code block()} on it throws. */
    private static final class NioThread extends Thread implements NonBlocking {
        NioThread(Runnable r, String name) {
            super(r, name);
            setDaemon(true);
        }
    }

    private static final int[] SOCKET_ERRNOS = {Errno.ECONNRESET, Errno.EPIPE, Errno.ECONNREFUSED, Errno.ETIMEDOUT,
            Errno.ECONNABORTED, Errno.ENOTCONN, Errno.EADDRINUSE, Errno.EADDRNOTAVAIL, Errno.ENETUNREACH,
            Errno.EHOSTUNREACH};

    /**
     * A NIO failure as the exception io_uring gives for the same errno: the JDK reports socket
     * errors as plain {@link IOException}s whose message is strerror's text (or, for a reset, its
     * own "Connection reset"), which is matched back to its errno so that both transports fail with the same types ({@code SocketException} with
     * ECONNRESET, {@code ConnectException} naming the target, ...). Closed-channel and unknown
     * errors are returned unchanged.
     */
    static Throwable nioError(Throwable t, String operation, String target) {
        if (!(t instanceof IOException) || t instanceof ClosedChannelException) {
            return t;
        }
        String message = t.getMessage();
        if (message == null) {
            return t;
        }
        int errno = "Connection reset".equals(message) ? Errno.ECONNRESET : 0; // the JDK's own wording
        for (int i = 0; i < SOCKET_ERRNOS.length && errno == 0; i++) {
            if (message.equals(Errno.description(SOCKET_ERRNOS[i]))) {
                errno = SOCKET_ERRNOS[i];
            }
        }
        if (errno == 0) {
            return t;
        }
        Exception e = Errno.exception(errno, operation, target);
        e.initCause(t);
        return e;
    }
}
