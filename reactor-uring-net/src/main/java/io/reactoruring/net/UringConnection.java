package io.reactoruring.net;

import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One connected TCP socket, owned by one {@link UringLoop}: every operation on it is submitted to
 * that loop and every signal arrives on that loop's thread.
 *
 * <p>{@link #dispose()} shuts the socket down (a RECV waiting in the kernel then completes with end
 * of stream, so {@link #receive()} completes) and closes the fd once no operation uses it any more;
 * {@link #onDispose()} completes when the fd is closed.
 */
public final class UringConnection implements UringInbound, UringOutbound, Disposable {
    static final int DEFAULT_RECEIVE_BUFFER = 16 * 1024;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final int SHUT_WR = 1;
    private static final int SHUT_RDWR = 2;

    private final SharedFd fd;
    private final UringLoop loop;
    private final String description;
    private final int receiveBufferSize;
    private final AtomicBoolean receiving = new AtomicBoolean();
    private final AtomicBoolean disposed = new AtomicBoolean();
    private final Sinks.Empty<Void> closed = Sinks.empty();

    /** Takes ownership of {@code fd}, a connected socket. */
    UringConnection(int fd, UringLoop loop, String description, int receiveBufferSize) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.description = description;
        this.fd = new SharedFd(fd, loop, description);
        this.receiveBufferSize = receiveBufferSize;
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
            // repeat() resubscribes only when the previous RECV completed and the Mono is requested
            // only with downstream demand, so exactly one RECV is in flight per requested buffer.
            return receiveOne().repeat()
                    .takeWhile(Optional::isPresent)
                    .map(Optional::get)
                    .doFinally(s -> receiving.set(false));
        });
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
        return Flux.from(data).concatMap(this::writeBuffer, 1).then();
    }

    @Override
    public Mono<Void> sendString(Publisher<String> data) {
        Objects.requireNonNull(data, "data");
        return send(Flux.from(data).map(s -> ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8))));
    }

    @Override
    public Mono<Void> sendPooled(Publisher<PooledBuffer> data) {
        Objects.requireNonNull(data, "data");
        return Flux.from(data)
                .concatMap(pb -> {
                    ByteBuffer b = pb.buffer();
                    if (!b.hasRemaining()) {
                        pb.release();
                        return Mono.<Void>empty();
                    }
                    // Takes over the caller's reference.
                    return writeFully(pb, pb.address() + b.position(), b.remaining());
                }, 1)
                // Buffers prefetched by concatMap but never written are released here.
                .doOnDiscard(PooledBuffer.class, PooledBuffer::release)
                .then();
    }

    private Mono<Void> writeBuffer(ByteBuffer b) {
        if (!b.hasRemaining()) {
            return Mono.empty();
        }
        if (b.isDirect()) {
            // The ByteBuffer object itself keeps its memory alive until the CQE.
            return sendRange(b, null, Native.addressOf(b) + b.position(), b.remaining());
        }
        return Mono.defer(() -> {
            PooledBuffer pb = loop.bufferPool().acquire(b.remaining());
            pb.buffer().clear();
            pb.buffer().put(b.duplicate());
            return writeFully(pb, pb.address(), b.remaining());
        });
    }

    /**
     * Sends {@code pb}'s bytes, owning one reference to it: that reference is dropped when the
     * write ends (any signal), and every SEND holds its own reference, dropped by its
     * whenKernelDone hook, so the memory goes back to the pool only once the kernel is done too.
     */
    private Mono<Void> writeFully(PooledBuffer pb, long addr, int len) {
        return sendRange(null, pb, addr, len).doFinally(s -> pb.release());
    }

    private Mono<Void> sendRange(@Nullable Object keep, @Nullable PooledBuffer pb, long addr, int len) {
        return Mono.defer(() -> {
            Op.Builder b = Op.builder(Opcode.SEND).fd(fd).addr(addr).length(len).opFlags(MSG_NOSIGNAL)
                    .keepAlive(keep).name("send").target(description);
            if (pb != null) {
                pb.retain(); // the kernel's reference, per subscription: freed by the hook
                b.whenKernelDone(pb::release);
            }
            return loop.submit(b.build());
        }).flatMap(n -> {
            if (n >= len) {
                return Mono.<Void>empty();
            }
            if (n <= 0) {
                return Mono.error(new IOException("send wrote 0 of " + len + " bytes to " + description));
            }
            return sendRange(keep, pb, addr + n, len - n); // partial send: the rest, in order
        });
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
