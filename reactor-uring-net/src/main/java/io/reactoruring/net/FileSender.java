package io.reactoruring.net;

import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.Native;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * {@link UringOutbound#sendFile}: the file is opened with IORING_OP_OPENAT and sized with
 * IORING_OP_STATX (no dependency on reactor-uring-file), then moved with IORING_OP_SPLICE file →
 * pipe → socket, a pipe's capacity ({@value SplicePipe#WANTED} bytes) at a time, without copying
 * through user space. Where the kernel has no SPLICE, each {@value #CHUNK}-byte chunk is read into
 * a pooled buffer and sent.
 *
 * <p>Every fd is a {@link SharedFd}, closed only after the last operation using it has completed:
 * the file's when the transfer ends, whatever the signal; the pipe's is the connection's
 * ({@link SplicePipe.Holder}), reused after a transfer that completed, closed after one that did not
 * (it may still hold bytes).
 */
final class FileSender {
    static final int CHUNK = 64 * 1024; // read-and-send chunks; also the default pipe capacity
    private static final int AT_FDCWD = -100;
    private static final int O_CLOEXEC = 02000000;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int STATX_SIZE = 0x200;
    private static final int STATX_BUF = 256;
    private static final int STX_SIZE_OFFSET = 40;
    private static final long NO_OFFSET = -1L; // "use and update the fd's position" (pipes, sockets)

    private final UringLoop loop;
    private final Function<PooledBuffer, Mono<Void>> sendPooled;
    /** Pipe → socket through the connection's write queue ({@link RingWrites}: POLLOUT-linked SPLICE). */
    private final java.util.function.BiFunction<SharedFd, Integer, Mono<Void>> sendPipe;
    private final SplicePipe.Holder pipes;

    FileSender(UringLoop loop, Function<PooledBuffer, Mono<Void>> sendPooled,
            java.util.function.BiFunction<SharedFd, Integer, Mono<Void>> sendPipe, SplicePipe.Holder pipes) {
        this.loop = loop;
        this.sendPooled = sendPooled;
        this.sendPipe = sendPipe;
        this.pipes = pipes;
    }

    static void check(Path file, long position, long count) {
        java.util.Objects.requireNonNull(file, "file");
        check(position, count);
    }

    static void check(long position, long count) {
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, was " + count);
        }
    }

    Mono<Void> send(Path file, long position, long count, boolean splice) {
        check(file, position, count);
        String target = file.toString();
        return Mono.usingWhen(open(loop, file, target),
                fd -> size(fd, target).flatMap(size -> {
                    if (position + count > size) {
                        return Mono.error(new EOFException(target + ": cannot send " + count + " bytes from position "
                                + position + ", the file has " + size));
                    }
                    return splice ? spliceAll(fd, position, count, target) : copyAll(fd, position, count, target);
                }),
                FileSender::close, (fd, e) -> close(fd), FileSender::close);
    }

    /**
     * {@code count} bytes of a file the caller has open (on any loop) from {@code position}: no
     * OPENAT, STATX or CLOSE. Each operation holds a reference to the fd while it runs; the caller
     * keeps owning it. A file shorter than {@code position + count} fails with EOFException when its
     * end is reached, after the bytes before it were sent.
     */
    Mono<Void> send(SharedFd file, long position, long count, boolean splice) {
        java.util.Objects.requireNonNull(file, "file");
        check(position, count);
        String target = file.toString();
        return Mono.defer(() -> file.isClosing() ? Mono.error(new java.nio.channels.ClosedChannelException())
                : splice ? spliceAll(file, position, count, target) : copyAll(file, position, count, target));
    }

    private static Mono<Void> close(SharedFd fd) {
        return fd.close().onErrorResume(e -> Mono.empty());
    }

    /** OPENAT read-only on {@code loop}; the SharedFd is the caller's to close. */
    static Mono<SharedFd> open(UringLoop loop, Path file, String target) {
        return Mono.defer(() -> {
            byte[] bytes = file.toString().getBytes(StandardCharsets.UTF_8);
            long size = bytes.length + 1L;
            long path = NativeMemory.allocate(size, 8);
            Native.wrap(path, (int) size).put(bytes).put((byte) 0);
            Op op = Op.builder(Opcode.OPENAT).fd(AT_FDCWD).addr(path).opFlags(O_CLOEXEC) // O_RDONLY
                    .closesOrphanedFd(true).whenKernelDone(() -> NativeMemory.free(path, size))
                    .name("openat").target(target).build();
            return loop.submit(op).map(fd -> CoreAccess.adoptFd(fd, loop, "file " + target));
        });
    }

    private Mono<Long> size(SharedFd fd, String target) {
        return Mono.defer(() -> {
            long mem = NativeMemory.allocate(STATX_BUF + 8, 8); // statx buffer, then an empty path
            Op op = Op.builder(Opcode.STATX).fd(fd).addr(mem + STATX_BUF).length(STATX_SIZE).opFlags(AT_EMPTY_PATH)
                    .offset(mem).whenKernelDone(() -> NativeMemory.free(mem, STATX_BUF + 8))
                    .name("statx").target(target).build();
            return loop.submit(op).map(r -> Native.wrap(mem, STATX_BUF).order(ByteOrder.nativeOrder()).getLong(STX_SIZE_OFFSET));
        });
    }

    private Mono<Void> spliceAll(SharedFd file, long position, long count, String target) {
        if (count == 0) {
            return Mono.empty();
        }
        // A transfer that completes leaves the pipe empty: it goes back for the next sendFile.
        return Mono.usingWhen(pipes.take(), p -> spliceFrom(file, p, position, count, target),
                p -> pipes.give(p, true), (p, e) -> pipes.give(p, false), p -> pipes.give(p, false));
    }

    /** One chunk (the pipe's capacity) file → pipe, then all of it pipe → socket, then the rest. */
    private Mono<Void> spliceFrom(SharedFd file, SplicePipe pipe, long position, long left, String target) {
        int len = (int) Math.min(pipe.capacity, left);
        return splice(file, position, pipe.writeEnd, len, target)
                .flatMap(n -> {
                    if (n == 0) {
                        return Mono.error(new EOFException(target + " ended at " + position + " while sending"));
                    }
                    Mono<Void> drained = sendPipe.apply(pipe.readEnd, n);
                    return left - n == 0 ? drained
                            : drained.then(Mono.defer(() -> spliceFrom(file, pipe, position + n, left - n, target)));
                });
    }

    /**
     * IORING_OP_SPLICE as liburing's io_uring_prep_splice lays it out: fd = fd_out, off = off_out,
     * addr = off_in (splice_off_in), file_index = fd_in (splice_fd_in), len = bytes. The input fd
     * is held by a reference until the op's CQE, as the output fd is by the op itself.
     */
    private Mono<Integer> splice(SharedFd in, long offIn, SharedFd out, int len, String target) {
        return Mono.defer(() -> {
            if (!CoreAccess.tryAcquire(in)) {
                return Mono.error(new java.nio.channels.ClosedChannelException());
            }
            Op op = Op.builder(Opcode.SPLICE).fd(out).offset(NO_OFFSET).addr(offIn).fileIndex(in.fd()).length(len)
                    .whenKernelDone(() -> CoreAccess.release(in)).name("splice").target(target).build();
            return loop.submit(op);
        });
    }

    /** The fallback: READ a chunk into a pooled buffer, send it, repeat. */
    private Mono<Void> copyAll(SharedFd file, long position, long left, String target) {
        if (left == 0) {
            return Mono.empty();
        }
        return Mono.defer(() -> {
            int len = (int) Math.min(CHUNK, left);
            PooledBuffer pb = loop.bufferPool().acquire(len);
            pb.retain(); // the kernel's reference, dropped by the hook
            Op read = Op.builder(Opcode.READ).fd(file).addr(pb.address()).length(len).offset(position)
                    .whenKernelDone(pb::release).name("read").target(target).build();
            // Our reference, dropped once: handed to sendPooled, released at EOF, or on error/cancel.
            // A cancel can come after the value (flatMap cancels its source when the inner fails
            // inside onNext), so the release must check that the reference is still ours.
            java.util.concurrent.atomic.AtomicBoolean ours = new java.util.concurrent.atomic.AtomicBoolean(true);
            Runnable dropOurs = () -> {
                if (ours.compareAndSet(true, false)) {
                    pb.release();
                }
            };
            return loop.submit(read)
                    .doOnError(e -> dropOurs.run())
                    .doOnCancel(dropOurs)
                    .flatMap(n -> {
                        if (!ours.compareAndSet(true, false)) {
                            return Mono.<Void>empty(); // cancelled as the value came: released already
                        }
                        if (n == 0) {
                            pb.release();
                            return Mono.error(new EOFException(target + " ended at " + position + " while sending"));
                        }
                        ByteBuffer b = pb.buffer();
                        b.clear().limit(n);
                        return sendPooled.apply(pb) // takes over our reference
                                .then(Mono.defer(() -> copyAll(file, position + n, left - n, target)));
                    });
        });
    }
}
