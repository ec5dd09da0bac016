package io.reactoruring.net;

import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.CoreAccess;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A connection on io_uring: a socket fd owned by one {@link UringLoop}, on whose thread every
 * operation is submitted and every signal arrives. Receiving is a buffer-select IORING_OP_RECV over the
 * loop's shared provided-buffer ring ({@link RingReceive}) or plain RECVs; sending goes through
 * the connection's {@link WriteQueue} and {@link RingWrites} (SEND, SENDMSG, SEND_ZC); files through {@link FileSender} (SPLICE).
 */
final class RingConnectionIo implements ConnectionIo {
    /** Completes when {@link #close()} starts. */
    private final reactor.core.publisher.Sinks.Empty<Void> closing = reactor.core.publisher.Sinks.empty();

    private static final int SHUT_WR = 1;
    private static final int SHUT_RDWR = 2;

    private final SharedFd fd;
    private final UringLoop loop;
    private final String description;
    private final ConnectionSettings settings;
    private final SplicePipe.Holder pipes;
    private final RingWrites writes;
    private final WriteQueue writeQueue;

    /** Takes ownership of {@code fd}, a socket. */
    RingConnectionIo(int fd, UringLoop loop, String description, ConnectionSettings settings) {
        this.loop = loop;
        this.description = description;
        this.fd = CoreAccess.adoptFd(fd, loop, description);
        this.settings = settings;
        this.pipes = new SplicePipe.Holder(loop, description);
        this.writes = new RingWrites(loop, this.fd, description, settings.zeroCopyThreshold());
        this.writeQueue = new WriteQueue(writes);
    }

    @Override
    public boolean isUring() {
        return true;
    }

    @Override
    public UringLoop loop() {
        return loop;
    }

    SharedFd sharedFd() {
        return fd;
    }

    @Override
    public BufferPool bufferPool() {
        return loop.bufferPool();
    }

    @Override
    public void execute(Runnable task) {
        loop.execute(task);
    }

    @Override
    public Flux<PooledBuffer> receive() {
        // Multishot RECV came with Linux 6.0, as SEND_ZC did: the probe has no flag for the former.
        boolean multishot = settings.receiveRingEntries() > 0 && loop.supports(Opcode.SEND_ZC);
        return multishot
                ? RingReceive.receive(loop, fd, description, settings.receiveRingEntries(), settings.receiveBufferSize(),
                        closing.asMono(), this::receiveSingle)
                : receiveSingle();
    }

    /**
     * One plain RECV per requested buffer: repeat() resubscribes only when the previous RECV
     * completed and the Mono is requested only with downstream demand, so exactly one RECV is in
     * flight per requested buffer.
     */
    private Flux<PooledBuffer> receiveSingle() {
        return receiveOne().repeat()
                .takeWhile(Optional::isPresent)
                .map(Optional::get);
    }

    /** One RECV into a fresh pooled buffer; empty Optional at end of stream. */
    private Mono<Optional<PooledBuffer>> receiveOne() {
        return Mono.defer(() -> {
            PooledBuffer buf = loop.bufferPool().acquire(settings.receiveBufferSize());
            // One reference, with one owner decided atomically: handed downstream with the CQE's
            // result (the op's signal comes before its whenKernelDone hook), or else released by the
            // hook once the kernel is done with the memory (after the CQE, also when the subscriber
            // cancelled, or when the op never reached the kernel). So a delivered buffer holds no
            // other reference: receive() can lend it and sendPooled adopt it.
            AtomicBoolean ours = new AtomicBoolean(true);
            Op op = Op.builder(Opcode.RECV).fd(fd).addr(buf.address()).length(buf.capacity())
                    .whenKernelDone(() -> {
                        if (ours.compareAndSet(true, false)) {
                            buf.release();
                        }
                    })
                    .name("recv").target(description).build();
            return loop.submit(op)
                    .<Optional<PooledBuffer>>map(n -> {
                        if (!ours.compareAndSet(true, false)) {
                            return Optional.empty(); // unreachable in practice: cancelled yet signalled
                        }
                        if (n == 0) {
                            buf.release();
                            return Optional.empty();
                        }
                        buf.buffer().clear().limit(n);
                        return Optional.of(buf);
                    });
        });
    }

    @Override
    public Mono<Void> send(Publisher<? extends ByteBuffer> data) {
        return writeQueue.send(data, writes::chunk);
    }

    @Override
    public Mono<Void> sendPooled(Publisher<PooledBuffer> data) {
        return writeQueue.sendPooled(data);
    }

    @Override
    public Mono<Void> sendFile(Path file, long position, long count) {
        return sendFile(file, position, count, loop.supports(Opcode.SPLICE));
    }

    /** {@link #sendFile(Path, long, long)} choosing the path: SPLICE, or read-and-send. */
    Mono<Void> sendFile(Path file, long position, long count, boolean splice) {
        return fileSender().send(file, position, count, splice);
    }

    @Override
    public Mono<Void> sendFile(SharedFd file, long position, long count) {
        return sendFile(file, position, count, loop.supports(Opcode.SPLICE));
    }

    /** {@link #sendFile(SharedFd, long, long)} choosing the path: SPLICE, or read-and-send. */
    Mono<Void> sendFile(SharedFd file, long position, long count, boolean splice) {
        return fileSender().send(file, position, count, splice);
    }

    FileSender fileSender() {
        return new FileSender(loop, pb -> sendPooled(Mono.just(pb)), this::sendPipe, pipes);
    }

    /**
     * {@code bytes} from the pipe {@code readEnd} into the socket, in the write queue's order: the
     * region holds a reference to the pipe until it is written or dropped.
     */
    private Mono<Void> sendPipe(SharedFd readEnd, int bytes) {
        return writeQueue.sendRegion(() -> {
            if (!CoreAccess.tryAcquire(readEnd)) {
                throw new java.nio.channels.ClosedChannelException();
            }
            return WriteQueue.Chunk.region(readEnd, bytes, () -> CoreAccess.release(readEnd));
        });
    }

    @Override
    public Mono<Void> shutdownOutput() {
        return loop.submit(Op.builder(Opcode.SHUTDOWN).fd(fd).length(SHUT_WR).name("shutdown").target(description).build())
                .then();
    }

    /**
     * shutdown(SHUT_RDWR), so that a RECV waiting in the kernel completes with end of stream instead
     * of keeping the fd open forever, then IORING_OP_CLOSE of the idle splice pipe and, once every
     * in-flight op on it has completed, of the socket.
     */
    @Override
    public Mono<Void> close() {
        closing.tryEmitEmpty(); // receives with no RECV in the kernel end now (RingReceive)
        Mono<Integer> shutdown;
        try {
            shutdown = loop.submit(Op.builder(Opcode.SHUTDOWN).fd(fd).length(SHUT_RDWR).name("shutdown")
                    .target(description).build());
        } catch (RuntimeException e) {
            shutdown = Mono.empty();
        }
        return shutdown.onErrorResume(e -> Mono.empty()) // ENOTCONN when the peer already left: closing is what matters
                .then(Mono.defer(pipes::close))
                .then(Mono.defer(fd::close));
    }
}
