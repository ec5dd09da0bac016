package io.reactoruring.net;

import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One connected TCP socket, owned by one {@link UringLoop}: every operation on it is submitted to
 * that loop and every signal arrives on that loop's thread.
 *
 * <p>Receiving is a multishot IORING_OP_RECV over a provided-buffer ring (or plain RECVs), see
 * {@link #receive()}; sending gathers buffers that queue up into one SENDMSG, optionally with
 * SEND_ZC for large buffers, see {@link #send}; files go out with SPLICE, see {@link #sendFile}.
 *
 * <p>{@link #dispose()} shuts the socket down (a RECV waiting in the kernel then completes with end
 * of stream, so {@link #receive()} completes) and closes the fd once no operation uses it any more;
 * {@link #onDispose()} completes when the fd is closed.
 */
public final class UringConnection implements UringInbound, UringOutbound, Disposable {
    static final int DEFAULT_RECEIVE_BUFFER = ConnectionSettings.DEFAULT_RECEIVE_BUFFER;
    private static final int SHUT_WR = 1;
    private static final int SHUT_RDWR = 2;

    private final SharedFd fd;
    private final UringLoop loop;
    private final String description;
    private final int receiveBufferSize;
    private final ConnectionSettings settings;
    private final AtomicBoolean receiving = new AtomicBoolean();
    private final AtomicBoolean disposed = new AtomicBoolean();
    private final Sinks.Empty<Void> closed = Sinks.empty();

    /** Takes ownership of {@code fd}, a connected socket. */
    UringConnection(int fd, UringLoop loop, String description, ConnectionSettings settings) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.description = description;
        this.fd = new SharedFd(fd, loop, description);
        this.settings = settings;
        this.receiveBufferSize = settings.receiveBufferSize();
    }

    /** The loop this connection's operations run on (and its signals arrive on). */
    public UringLoop loop() {
        return loop;
    }

    SharedFd sharedFd() {
        return fd;
    }

    // ---------------------------------------------------------------- inbound

    @Override
    public Flux<PooledBuffer> receive() {
        return Flux.defer(() -> {
            if (!receiving.compareAndSet(false, true)) {
                return Flux.error(new IllegalStateException("receive() already has a subscriber on " + description));
            }
            // Multishot RECV came with Linux 6.0, as SEND_ZC did: the probe has no flag for the former.
            boolean multishot = settings.receiveRingEntries() > 0 && loop.supports(Opcode.SEND_ZC);
            Flux<PooledBuffer> buffers = multishot
                    ? RingReceive.receive(loop, fd, description, settings.receiveRingEntries(), receiveBufferSize,
                            this::receiveSingle)
                    : receiveSingle();
            return buffers.doFinally(s -> receiving.set(false));
        });
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
            PooledBuffer buf = loop.bufferPool().acquire(receiveBufferSize);
            // Two references: ours (handed downstream, or dropped on cancel/error/EOF) and the
            // kernel's, dropped by the op's whenKernelDone hook once the kernel is done with the
            // memory (after the CQE, also when the subscriber cancelled, or when the op never
            // reached the kernel).
            buf.retain();
            AtomicBoolean ours = new AtomicBoolean(true);
            Op op = Op.builder(Opcode.RECV).fd(fd).addr(buf.address()).length(buf.capacity())
                    .whenKernelDone(buf::release).name("recv").target(description).build();
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
                    })
                    .doOnError(e -> {
                        if (ours.compareAndSet(true, false)) {
                            buf.release();
                        }
                    })
                    .doOnCancel(() -> {
                        // The kernel's reference stays until the op's whenKernelDone hook.
                        if (ours.compareAndSet(true, false)) {
                            buf.release();
                        }
                    });
        });
    }

    @Override
    public Mono<PooledBuffer> aggregate() {
        return Mono.defer(() -> {
            // Touched only on the loop thread: receive() signals there, and the release is posted there.
            PooledBuffer[] acc = {loop.bufferPool().acquire(receiveBufferSize)};
            boolean[] gone = {false};
            AtomicBoolean delivered = new AtomicBoolean();
            return receive().doOnNext(pb -> {
                try {
                    if (!gone[0]) {
                        acc[0] = append(acc[0], pb.buffer());
                    }
                } finally {
                    pb.release();
                }
            }).then(Mono.fromCallable(() -> {
                delivered.set(true);
                acc[0].buffer().flip();
                return acc[0];
            })).doFinally(s -> {
                if (!delivered.get()) {
                    loop.execute(() -> {
                        gone[0] = true;
                        acc[0].release();
                    });
                }
            });
        });
    }

    /** Appends {@code src} to {@code acc}, moving to a buffer twice as large when full. */
    private PooledBuffer append(PooledBuffer acc, ByteBuffer src) {
        ByteBuffer a = acc.buffer();
        if (a.remaining() < src.remaining()) {
            long needed = (long) a.position() + src.remaining();
            if (needed > Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("aggregate() exceeds 2 GiB on " + description);
            }
            PooledBuffer bigger = loop.bufferPool().acquire((int) Math.max(needed, Math.min(Integer.MAX_VALUE - 8, 2L * a.capacity())));
            bigger.buffer().clear();
            bigger.buffer().put(a.flip());
            acc.release();
            acc = bigger;
        }
        acc.buffer().put(src);
        return acc;
    }

    @Override
    public Flux<String> receiveString() {
        return Flux.defer(() -> {
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE);
            ByteBuffer[] carry = {ByteBuffer.allocate(0)};
            return receive().map(pb -> {
                try {
                    return decode(decoder, carry, pb.buffer(), false);
                } finally {
                    pb.release();
                }
            }).concatWith(Mono.fromCallable(() -> decode(decoder, carry, ByteBuffer.allocate(0), true)))
                    .filter(s -> !s.isEmpty());
        });
    }

    private static String decode(CharsetDecoder decoder, ByteBuffer[] carry, ByteBuffer src, boolean end) {
        ByteBuffer in = ByteBuffer.allocate(carry[0].remaining() + src.remaining());
        in.put(carry[0]).put(src.duplicate()).flip();
        // UTF-8 never yields more chars than bytes (replacement chars included).
        CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
        decoder.decode(in, out, end);
        if (end) {
            decoder.flush(out);
        }
        carry[0] = in.slice(); // an incomplete character waits for the next read
        return out.flip().toString();
    }

    // ---------------------------------------------------------------- outbound

    @Override
    public Mono<Void> send(Publisher<? extends ByteBuffer> data) {
        Objects.requireNonNull(data, "data");
        return write(Flux.from(data).map(b -> OutboundWriter.Chunk.of(b, loop)));
    }

    @Override
    public Mono<Void> sendString(Publisher<String> data) {
        Objects.requireNonNull(data, "data");
        return write(Flux.from(data).map(s -> OutboundWriter.Chunk.copy(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)), loop)));
    }

    @Override
    public Mono<Void> sendByteArray(Publisher<byte[]> data) {
        Objects.requireNonNull(data, "data");
        return write(Flux.from(data).map(a -> OutboundWriter.Chunk.copy(ByteBuffer.wrap(a), loop)));
    }

    @Override
    public Mono<Void> sendPooled(Publisher<PooledBuffer> data) {
        Objects.requireNonNull(data, "data");
        // Buffers emitted after the send was cancelled or failed are released by the writer; a
        // source that discards prefetched buffers releases them here.
        return write(Flux.from(data).map(OutboundWriter.Chunk::of))
                .doOnDiscard(PooledBuffer.class, PooledBuffer::release);
    }

    @Override
    public Mono<Void> sendFile(java.nio.file.Path file, long position, long count) {
        return sendFile(file, position, count, loop.supports(Opcode.SPLICE));
    }

    /** {@link #sendFile(java.nio.file.Path, long, long)} choosing the path: SPLICE, or read-and-send. */
    Mono<Void> sendFile(java.nio.file.Path file, long position, long count, boolean splice) {
        FileSender.check(file, position, count);
        return new FileSender(loop, fd, description, pb -> sendPooled(Mono.just(pb)))
                .send(file, position, count, splice);
    }

    private Mono<Void> write(Flux<OutboundWriter.Chunk> chunks) {
        return new OutboundWriter(loop, fd, description, settings.zeroCopyThreshold(),
                chunks.doOnDiscard(OutboundWriter.Chunk.class, OutboundWriter.Chunk::release));
    }

    @Override
    public Mono<Void> shutdownOutput() {
        return loop.submit(Op.builder(Opcode.SHUTDOWN).fd(fd).length(SHUT_WR).name("shutdown").target(description).build())
                .then();
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Closes the connection (idempotent, non-blocking): shutdown(SHUT_RDWR) so that a RECV waiting
     * in the kernel completes with end of stream instead of keeping the fd open forever, then
     * IORING_OP_CLOSE once every in-flight op on the fd has completed.
     */
    @Override
    public void dispose() {
        if (!disposed.compareAndSet(false, true)) {
            return;
        }
        Mono<Integer> shutdown;
        try {
            shutdown = loop.submit(Op.builder(Opcode.SHUTDOWN).fd(fd).length(SHUT_RDWR).name("shutdown")
                    .target(description).build());
        } catch (RuntimeException e) {
            shutdown = Mono.empty();
        }
        shutdown.onErrorResume(e -> Mono.empty()) // ENOTCONN when the peer already left: closing is what matters
                .then(Mono.defer(fd::close))
                .subscribe(null, e -> closed.tryEmitError(e), () -> closed.tryEmitEmpty());
    }

    @Override
    public boolean isDisposed() {
        return disposed.get();
    }

    /** Completes (on a loop thread) once the socket's fd is closed; errors if closing failed. */
    public Mono<Void> onDispose() {
        return closed.asMono();
    }

    @Override
    public String toString() {
        return "UringConnection[" + description + "]";
    }
}
