package io.reactoruring.net;

import io.reactoruring.core.Errno;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * The pipe IORING_OP_SPLICE moves a file through (file → pipe → socket), grown to
 * {@value #WANTED} bytes so that a chunk of that size takes one SPLICE each way. A connection keeps
 * one between its {@code sendFile} calls ({@link Holder}): creating one (pipe2, F_SETPIPE_SZ) and
 * closing it (two CLOSEs) for every file cost as many ring operations as the splices of a small
 * file.
 */
final class SplicePipe {
    /** Bytes a pipe is grown to (Linux's default is 64 KiB; unprivileged users may go to 1 MiB). */
    static final int WANTED = 256 * 1024;
    private static final int O_CLOEXEC = 02000000;

    final SharedFd readEnd;
    final SharedFd writeEnd;
    /** Bytes the pipe holds: {@value #WANTED}, or the default 64 KiB where the kernel refused to grow it. */
    final int capacity;

    private SplicePipe(SharedFd readEnd, SharedFd writeEnd, int capacity) {
        this.readEnd = readEnd;
        this.writeEnd = writeEnd;
        this.capacity = capacity;
    }

    static SplicePipe create(UringLoop loop, String description) throws Exception {
        int[] fds = new int[2];
        int res = Native.pipe2(fds, O_CLOEXEC);
        if (res < 0) {
            throw Errno.exception(res, "pipe2", description);
        }
        // EPERM past the user's pipe quota (fs.pipe-user-pages-soft): keep the default size then.
        int size = Native.setPipeSize(fds[1], WANTED);
        return new SplicePipe(CoreAccess.adoptFd(fds[0], loop, "pipe read end of " + description),
                CoreAccess.adoptFd(fds[1], loop, "pipe write end of " + description), size > 0 ? size : FileSender.CHUNK);
    }

    /** Closes both ends once the operations using them have completed. */
    Mono<Void> close() {
        return Mono.when(readEnd.close().onErrorResume(e -> Mono.empty()), writeEnd.close().onErrorResume(e -> Mono.empty()));
    }

    /**
     * A connection's idle pipe. {@link #take()} hands it out (or a new one while it is in use by
     * another sendFile); {@link #give} takes back an empty pipe, and closes one that may still hold
     * bytes (a failed or cancelled transfer), a second one, or any after {@link #close()}.
     */
    static final class Holder {
        private final UringLoop loop;
        private final String description;
        private final AtomicReference<@Nullable SplicePipe> idle = new AtomicReference<>();
        private final AtomicBoolean closed = new AtomicBoolean();

        Holder(UringLoop loop, String description) {
            this.loop = loop;
            this.description = description;
        }

        Mono<SplicePipe> take() {
            return Mono.fromCallable(() -> {
                SplicePipe p = idle.getAndSet(null);
                return p != null ? p : create(loop, description);
            });
        }

        Mono<Void> give(SplicePipe p, boolean empty) {
            if (!empty || closed.get() || !idle.compareAndSet(null, p)) {
                return p.close();
            }
            return closed.get() ? close() : Mono.empty(); // raced with close(): it may have missed p
        }

        /** Closes the idle pipe; pipes given back later are closed at once. */
        Mono<Void> close() {
            closed.set(true);
            SplicePipe p = idle.getAndSet(null);
            return p == null ? Mono.empty() : p.close();
        }
    }
}
