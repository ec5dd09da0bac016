package io.reactoruring.net;

import io.reactoruring.core.Completion;
import io.reactoruring.core.Errno;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringError;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import io.reactoruring.core.internal.NativeMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * The io_uring side of a connection's {@link WriteQueue}: a lone chunk goes in one IORING_OP_SEND,
 * several in one SENDMSG (gather write), and with a {@code zeroCopyThreshold} a chunk at least that
 * large alone in SEND_ZC: the kernel posts the byte count (F_MORE) and later a notification (F_NOTIF)
 * when it no longer reads the memory, and the write's {@code kernelDone} waits for it. A pipe
 * region ({@code sendFile}) goes with a POLLOUT-linked SPLICE.
 *
 * <p>-EAGAIN: the socket is non-blocking ({@link SockAddr#SOCK_NONBLOCK}), and a send io_uring had
 * to retry from a worker thread sees that and answers -EAGAIN (seen with a peer that never reads):
 * nothing was sent, so the same bytes go again once an IORING_OP_POLL_ADD(POLLOUT) says there is room.
 *
 * <p>SEND_ZC failing with ENOMEM (pinned pages count against RLIMIT_MEMLOCK) is retried as a plain
 * SEND, and the connection sends without zero copy from then on. Confined to the loop thread.
 */
final class RingWrites implements WriteQueue.Transport {
    static final int MSG_NOSIGNAL = 0x4000;
    private static final int MSG_DONTWAIT = 0x40;
    private static final long NO_OFFSET = -1L; // SPLICE: "use and update the fd's position" (pipes, sockets)
    private static final int MSGHDR = 56; // struct msghdr on LP64: name, namelen, iov, iovlen, control, controllen, flags
    private static final Logger LOG = Loggers.getLogger(UringConnection.class);
    private static final AtomicBoolean ENOMEM_WARNED = new AtomicBoolean();
    /** Test hook: this many SEND_ZCs fail with ENOMEM as the kernel's would, without reaching it. */
    static final AtomicInteger ZERO_COPY_ENOMEM_FAULTS = new AtomicInteger();
    /**
     * Test hook: SEND/SENDMSG carry MSG_DONTWAIT, so the kernel answers a full socket with -EAGAIN
     * at once, as it does (rarely) for a send it had to retry from a worker thread.
     */
    static volatile boolean dontWaitForTests;
    /** Sends that met -EAGAIN and waited for POLLOUT, over all connections: for tests. */
    static final AtomicLong WRITABLE_WAITS = new AtomicLong();

    private final UringLoop loop;
    private final SharedFd fd;
    private final String description;
    private final int zeroCopyThreshold;
    private boolean zeroCopyOff;

    RingWrites(UringLoop loop, SharedFd fd, String description, int zeroCopyThreshold) {
        this.loop = loop;
        this.fd = fd;
        this.description = description;
        this.zeroCopyThreshold = zeroCopyThreshold > 0 && loop.supports(Opcode.SEND_ZC) ? zeroCopyThreshold : 0;
    }

    /** A direct buffer is sent in place (the caller must not modify it until the send completes); a heap one is copied. */
    WriteQueue.Chunk chunk(ByteBuffer b) {
        if (b.isDirect()) {
            return WriteQueue.Chunk.inPlace(b, Native.addressOf(b));
        }
        PooledBuffer pb = loop.bufferPool().acquire(Math.max(1, b.remaining()));
        pb.buffer().clear().put(b.duplicate()).flip();
        return WriteQueue.Chunk.of(pb);
    }

    @Override
    public boolean inIoThread() {
        return loop.inLoop();
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public boolean alone(WriteQueue.Chunk c) {
        return zeroCopyThreshold > 0 && !zeroCopyOff && c.remaining() >= zeroCopyThreshold;
    }

    @Override
    public Disposable write(List<WriteQueue.Chunk> batch, WriteQueue.Write w) {
        RingWrite rw = new RingWrite(batch, w);
        rw.start();
        return rw;
    }

    private static int sendFlags() {
        return dontWaitForTests ? MSG_NOSIGNAL | MSG_DONTWAIT : MSG_NOSIGNAL;
    }

    /** One write of the queue: one op, or several after -EAGAIN or a zero-copy ENOMEM. */
    private final class RingWrite implements Disposable {
        private final List<WriteQueue.Chunk> batch;
        private final WriteQueue.Write w;
        private @Nullable Disposable op;
        /** Ops whose memory the kernel may still read (their whenKernelDone hooks have not run). */
        private int opsOpen;
        private boolean ended;
        private boolean disposed;
        private boolean doneReported;

        RingWrite(List<WriteQueue.Chunk> batch, WriteQueue.Write w) {
            this.batch = batch;
            this.w = w;
        }

        void start() {
            if (batch.get(0).region() instanceof SharedFd pipe) {
                splice(batch.get(0), pipe);
            } else if (batch.size() == 1 && alone(batch.get(0))) {
                sendZeroCopy(batch.get(0));
            } else {
                send();
            }
        }

        /** One SEND (a single chunk) or SENDMSG (several); the op keeps the chunks reachable. */
        private void send() {
            Op op;
            if (batch.size() == 1) {
                WriteQueue.Chunk c = batch.get(0);
                op = Op.builder(Opcode.SEND).fd(fd).addr(c.cursor()).length(c.remaining()).opFlags(sendFlags())
                        .acceptedErrno(Errno.EAGAIN).keepAlive(batch).whenKernelDone(this::opDone)
                        .name("send").target(description).build();
            } else {
                long size = MSGHDR + 16L * batch.size();
                long mem = NativeMemory.allocate(size, 16);
                ByteBuffer m = Native.wrap(mem, (int) size).order(ByteOrder.nativeOrder());
                long iov = mem + MSGHDR;
                m.putLong(16, iov);
                m.putLong(24, batch.size());
                for (int i = 0; i < batch.size(); i++) {
                    WriteQueue.Chunk c = batch.get(i);
                    m.putLong(MSGHDR + 16 * i, c.cursor());
                    m.putLong(MSGHDR + 16 * i + 8, c.remaining());
                }
                op = Op.builder(Opcode.SENDMSG).fd(fd).addr(mem).length(1).opFlags(sendFlags()).keepAlive(batch)
                        .acceptedErrno(Errno.EAGAIN)
                        .whenKernelDone(() -> {
                            NativeMemory.free(mem, size);
                            opDone();
                        })
                        .name("sendmsg").target(description).build();
            }
            opsOpen++;
            this.op = loop.submit(op).subscribe(n -> {
                if (n == 0) { // -EAGAIN, an accepted errno, arrives as 0: TCP sends no 0 bytes of a non-empty batch
                    awaitWritable();
                } else {
                    w.written(n);
                    end();
                }
            }, this::fail);
        }

        private void awaitWritable() {
            if (disposed) {
                return;
            }
            WRITABLE_WAITS.incrementAndGet();
            Op poll = Op.builder(Opcode.POLL_ADD).fd(fd).opFlags(SockAddr.POLLOUT).name("poll").target(description).build();
            op = loop.submit(poll).subscribe(events -> {
                if (!disposed) {
                    send();
                }
            }, this::fail);
        }

        /**
         * A pipe's bytes into the socket: IORING_OP_POLL_ADD(POLLOUT) linked to a SPLICE, one
         * submission. The socket is non-blocking ({@link SockAddr#SOCK_NONBLOCK}), so the splice,
         * which always runs on an io-wq worker, moves what fits and returns instead of parking the
         * worker while a peer does not read; -EAGAIN (the room went elsewhere) polls again. The poll
         * waits in the kernel without a thread. The op holds its own reference to the pipe.
         */
        private void splice(WriteQueue.Chunk c, SharedFd pipe) {
            if (!CoreAccess.tryAcquire(pipe)) {
                fail(new java.nio.channels.ClosedChannelException());
                return;
            }
            opsOpen++;
            Op poll = Op.builder(Opcode.POLL_ADD).fd(fd).opFlags(SockAddr.POLLOUT).name("poll").target(description).build();
            Op splice = Op.builder(Opcode.SPLICE).fd(fd).offset(NO_OFFSET).addr(NO_OFFSET).fileIndex(pipe.fd())
                    .length(c.remaining()).acceptedErrno(Errno.EAGAIN)
                    .whenKernelDone(() -> {
                        CoreAccess.release(pipe);
                        opDone();
                    })
                    .name("splice").target(description).build();
            op = loop.submitLinked(List.of(poll, splice)).subscribe(r -> {
                int n = r.result(1);
                if (n > 0) {
                    w.written(n);
                    end();
                } else if (n == 0) {
                    fail(new java.io.EOFException("socket " + description + " accepted no more bytes"));
                } else if (!disposed) { // -EAGAIN: nothing moved
                    splice(c, pipe);
                }
            }, this::fail);
        }

        /** SEND_ZC of one chunk: written after the byte count, kernel done after the notification. */
        private void sendZeroCopy(WriteQueue.Chunk c) {
            opsOpen++;
            Flux<Completion> cqes;
            if (ZERO_COPY_ENOMEM_FAULTS.get() > 0 && ZERO_COPY_ENOMEM_FAULTS.getAndDecrement() > 0) {
                cqes = Flux.<Completion>error(Errno.exception(-Errno.ENOMEM, "send_zc", description))
                        .doFinally(s -> opDone());
            } else {
                Op op = Op.builder(Opcode.SEND_ZC).fd(fd).addr(c.cursor()).length(c.remaining()).opFlags(MSG_NOSIGNAL)
                        .keepAlive(c).whenKernelDone(this::opDone).name("send_zc").target(description).build();
                cqes = loop.submitMultishot(op);
            }
            op = cqes.subscribe((Completion cqe) -> {
                if ((cqe.flags() & Opcode.IORING_CQE_F_NOTIF) == 0) {
                    w.written(cqe.res());
                    end();
                }
            }, this::zeroCopyFailed);
        }

        /**
         * ENOMEM: pinning the pages would exceed RLIMIT_MEMLOCK; nothing was sent. The chunk goes
         * again as a plain SEND, and the connection stops using zero copy. Any other error fails.
         */
        private void zeroCopyFailed(Throwable e) {
            if (disposed || !(e instanceof UringError u) || u.errno() != Errno.ENOMEM) {
                fail(e);
                return;
            }
            zeroCopyOff = true;
            if (ENOMEM_WARNED.compareAndSet(false, true)) {
                LOG.warn("SEND_ZC failed with ENOMEM on {} (pinned pages count against RLIMIT_MEMLOCK, now {} bytes): "
                        + "sending without zero copy on this connection; raise the limit or the zeroCopyThreshold",
                        description, Native.memlockLimit());
            } else {
                LOG.debug("SEND_ZC failed with ENOMEM on {}: sending without zero copy", description);
            }
            send();
        }

        private void fail(Throwable e) {
            w.failed(e);
            end();
        }

        /** No further op will be started (after the result was reported: kernelDone comes last). */
        private void end() {
            ended = true;
            reportDone();
        }

        private void opDone() {
            opsOpen--;
            reportDone();
        }

        private void reportDone() {
            if (ended && opsOpen == 0 && !doneReported) {
                doneReported = true;
                w.kernelDone();
            }
        }

        /** Withdraws the write: the op in flight is cancelled in the kernel; kernelDone follows its final CQE. */
        @Override
        public void dispose() {
            if (disposed) {
                return;
            }
            disposed = true;
            Disposable d = op;
            op = null;
            if (d != null) {
                d.dispose();
            }
            end();
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }
}
