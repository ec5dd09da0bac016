package io.reactoruring.net;

import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.CoreAccess;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * One connected TCP socket. On io_uring ({@link #isUring()}) it is owned by one {@link UringLoop}:
 * every operation is submitted to that loop and every signal arrives on that loop's thread.
 * Receiving is a buffer-select IORING_OP_RECV over the loop's shared buffer ring (or plain RECVs), see
 * {@link #receive()}; sending gathers buffers that queue up into one SENDMSG, optionally with
 * SEND_ZC for large buffers, see {@link #send}; files go out with SPLICE, see {@link #sendFile}.
 *
 * <p>Where io_uring is unavailable the same API runs on an {@link java.nio.channels.AsynchronousSocketChannel}
 * (see {@link UringTcpServer}): signals then arrive on the fallback's I/O threads, which are
 * {@link reactor.core.scheduler.NonBlocking} like the loops, and {@link #loop()} throws.
 *
 * <p>{@link #dispose()} shuts the socket down (a receive waiting for data then completes with end
 * of stream, so {@link #receive()} completes) and closes it once no operation uses it any more;
 * {@link #onDispose()} completes when it is closed.
 *
 * <p><b>Threads.</b> Every method may be called from any thread and never blocks. {@link #receive()}
 * takes one subscriber at a time. Sends subscribed concurrently are each written in order and
 * interleave only at buffer boundaries, never inside a buffer (nor inside a piece of a file that
 * {@link #sendFile} moves at once, up to 256 KiB): the connection has one ordered write queue.
 * Cancelling a receive or a send cancels its operation in the kernel (see {@link Sending} for a
 * send whose buffers share a write with another's); buffers the connection lent or was given are released by it once the
 * kernel is done with them (see {@link UringInbound#receive()} and {@link UringOutbound#sendPooled}).
 */
public final class UringConnection implements UringInbound, UringOutbound, Disposable {
    static final int DEFAULT_RECEIVE_BUFFER = ConnectionSettings.DEFAULT_RECEIVE_BUFFER;

    private final ConnectionIo io;
    private final String description;
    private final AtomicBoolean receiving = new AtomicBoolean();
    private final AtomicBoolean disposed = new AtomicBoolean();
    private final Sinks.Empty<Void> closed = Sinks.empty();
    private final ConnectionActivity activity = new ConnectionActivity(); // idle detection (IdleTicker)
    private volatile Mono<Void> serverShutdown = Mono.never(); // set by the accepting server

    UringConnection(ConnectionIo io, String description) {
        this.io = Objects.requireNonNull(io, "io");
        this.description = description;
    }

    /** True when this connection runs on io_uring, false on the NIO fallback. */
    public boolean isUring() {
        return io.isUring();
    }

    /**
     * The loop this connection's operations run on (and its signals arrive on).
     *
     * @throws UnsupportedOperationException on the NIO fallback ({@link #isUring()} false)
     */
    public UringLoop loop() {
        return io.loop();
    }

    ConnectionIo io() {
        return io;
    }

    /** The io_uring socket; only for connections that {@link #isUring()}. */
    SharedFd sharedFd() {
        return ring().sharedFd();
    }

    private RingConnectionIo ring() {
        if (io instanceof RingConnectionIo r) {
            return r;
        }
        throw new UnsupportedOperationException(description + " runs on the NIO fallback");
    }

    // ---------------------------------------------------------------- inbound

    @Override
    public Flux<PooledBuffer> receive() {
        return Flux.defer(() -> {
            if (!receiving.compareAndSet(false, true)) {
                return Flux.error(new IllegalStateException("receive() already has a subscriber on " + description));
            }
            return new LendingReceive(io.receive().doOnNext(b -> activity.read())).doFinally(s -> receiving.set(false));
        });
    }

    @Override
    public Mono<PooledBuffer> aggregate() {
        return Mono.defer(() -> {
            Aggregate acc = new Aggregate(io.bufferPool(), description);
            return receive().doOnNext(acc::append)
                    .then(Mono.fromCallable(acc::take))
                    .doFinally(s -> acc.discard());
        });
    }

    /**
     * The buffer {@link #aggregate()} fills. Appends and the final take or discard may come from
     * different threads (a cancel races with delivery), hence the lock; each call is short.
     */
    private static final class Aggregate {
        private final BufferPool pool;
        private final String description;
        private @Nullable PooledBuffer acc;

        Aggregate(BufferPool pool, String description) {
            this.pool = pool;
            this.description = description;
            this.acc = pool.acquire(ConnectionSettings.DEFAULT_RECEIVE_BUFFER);
        }

        /** Copies {@code pb} (lent by receive(), which releases it) in, moving to a buffer twice as large when full. */
        synchronized void append(PooledBuffer pb) {
            PooledBuffer a = acc;
            if (a == null) {
                return; // discarded already
            }
            ByteBuffer src = pb.buffer();
            ByteBuffer b = a.buffer();
            if (b.remaining() < src.remaining()) {
                long needed = (long) b.position() + src.remaining();
                if (needed > Integer.MAX_VALUE - 8) {
                    throw new IllegalStateException("aggregate() exceeds 2 GiB on " + description);
                }
                PooledBuffer bigger = pool.acquire((int) Math.max(needed, Math.min(Integer.MAX_VALUE - 8, 2L * b.capacity())));
                bigger.buffer().clear();
                bigger.buffer().put(b.flip());
                a.release();
                acc = a = bigger;
            }
            a.buffer().put(src.duplicate());
        }

        /** Hands the buffer (flipped) to the caller, who then owns it. */
        synchronized PooledBuffer take() {
            PooledBuffer a = Objects.requireNonNull(acc, "discarded");
            acc = null;
            a.buffer().flip();
            return a;
        }

        /** Releases the buffer unless it was taken. */
        synchronized void discard() {
            if (acc != null) {
                acc.release();
                acc = null;
            }
        }
    }

    @Override
    public Flux<String> receiveString() {
        return Flux.defer(() -> {
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE);
            ByteBuffer[] carry = {ByteBuffer.allocate(0)};
            return receive().map(pb -> decode(decoder, carry, pb.buffer(), false)).concatWith(Mono.fromCallable(() -> decode(decoder, carry, ByteBuffer.allocate(0), true)))
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
    public BufferPool alloc() {
        return io.bufferPool();
    }

    @Override
    public Sending send(Publisher<? extends ByteBuffer> data) {
        Objects.requireNonNull(data, "data");
        return new Sending(this, io.send(Flux.from(data).doOnNext(b -> activity.wrote())));
    }

    @Override
    public Sending sendString(Publisher<String> data) {
        Objects.requireNonNull(data, "data");
        return sendPooled(Flux.from(data).map(s -> copy(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)))));
    }

    @Override
    public Sending sendByteArray(Publisher<byte[]> data) {
        Objects.requireNonNull(data, "data");
        return sendPooled(Flux.from(data).map(a -> copy(ByteBuffer.wrap(a))));
    }

    /** {@code src}'s bytes in a pooled buffer (position 0, limit = length). */
    private PooledBuffer copy(ByteBuffer src) {
        PooledBuffer pb = io.bufferPool().acquire(Math.max(1, src.remaining()));
        pb.buffer().clear().put(src).flip();
        return pb;
    }

    @Override
    public Sending sendPooled(Publisher<PooledBuffer> data) {
        Objects.requireNonNull(data, "data");
        // adopt(): a buffer receive() is lending right now becomes this send's (see receive()).
        return new Sending(this, io.sendPooled(Flux.from(data).map(CoreAccess::adopt).doOnNext(b -> activity.wrote())));
    }

    @Override
    public Sending sendFile(Path file, long position, long count) {
        FileSender.check(file, position, count);
        return new Sending(this, wrote(io.sendFile(file, position, count)));
    }

    @Override
    public Sending sendFile(SharedFd file, long position, long count) {
        Objects.requireNonNull(file, "file");
        FileSender.check(position, count);
        return new Sending(this, wrote(io.sendFile(file, position, count)));
    }

    /** {@link #sendFile(Path, long, long)} on io_uring, choosing the path: SPLICE, or read-and-send. */
    Mono<Void> sendFile(Path file, long position, long count, boolean splice) {
        FileSender.check(file, position, count);
        return ring().sendFile(file, position, count, splice);
    }

    @Override
    public Mono<Void> shutdownOutput() {
        return io.shutdownOutput();
    }

    private Mono<Void> wrote(Mono<Void> send) {
        return send.doOnSubscribe(s -> activity.wrote()).doOnSuccess(v -> activity.wrote());
    }

    // ---------------------------------------------------------------- idle (Reactor Netty's onReadIdle/onWriteIdle)

    /**
     * Runs {@code onReadIdle} when nothing was received for {@code idleTimeout} (and again after
     * each further {@code idleTimeout} without data), on the connection's loop (on the NIO fallback
     * on a {@code Schedulers.parallel()} thread); replaces a
     * previous read-idle callback. Nothing received means no buffer emitted by {@link #receive()}.
     * One per-loop ring timeout checks all connections (see {@code IdleTicker}); no timer per
     * connection. Typical use: {@code c.onReadIdle(Duration.ofSeconds(60), c::dispose)}.
     */
    public UringConnection onReadIdle(java.time.Duration idleTimeout, Runnable onReadIdle) {
        activity.watch(io, IdleTicker.Kind.READ, checkIdle(idleTimeout), Objects.requireNonNull(onReadIdle, "onReadIdle"));
        return this;
    }

    /** {@link #onReadIdle(java.time.Duration, Runnable)} in milliseconds, as in Reactor Netty. */
    public UringConnection onReadIdle(long idleTimeoutMillis, Runnable onReadIdle) {
        return onReadIdle(java.time.Duration.ofMillis(idleTimeoutMillis), onReadIdle);
    }

    /**
     * Runs {@code onWriteIdle} when nothing was handed to a send for {@code idleTimeout} (and again
     * after each further period), like {@link #onReadIdle(java.time.Duration, Runnable)}.
     */
    public UringConnection onWriteIdle(java.time.Duration idleTimeout, Runnable onWriteIdle) {
        activity.watch(io, IdleTicker.Kind.WRITE, checkIdle(idleTimeout), Objects.requireNonNull(onWriteIdle, "onWriteIdle"));
        return this;
    }

    /** {@link #onWriteIdle(java.time.Duration, Runnable)} in milliseconds, as in Reactor Netty. */
    public UringConnection onWriteIdle(long idleTimeoutMillis, Runnable onWriteIdle) {
        return onWriteIdle(java.time.Duration.ofMillis(idleTimeoutMillis), onWriteIdle);
    }

    /** Closes the connection once it neither received nor sent for {@code idleTimeout}. */
    void closeWhenIdle(java.time.Duration idleTimeout) {
        activity.watch(io, IdleTicker.Kind.ANY, checkIdle(idleTimeout), this::dispose);
    }

    private static java.time.Duration checkIdle(java.time.Duration d) {
        Objects.requireNonNull(d, "idleTimeout");
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be > 0, was " + d);
        }
        return d;
    }

    // ---------------------------------------------------------------- lifecycle

    /**
     * Closes the connection (idempotent, non-blocking): shuts the socket down both ways, so that a
     * receive waiting for data completes with end of stream, then closes it once every operation
     * in progress on it has completed (on io_uring: SHUTDOWN, then IORING_OP_CLOSE).
     */
    @Override
    public void dispose() {
        if (!disposed.compareAndSet(false, true)) {
            return;
        }
        activity.close();
        io.close().subscribe(null, e -> closed.tryEmitError(e), () -> closed.tryEmitEmpty());
    }

    @Override
    public boolean isDisposed() {
        return disposed.get();
    }

    /** Completes once the socket is closed (on io_uring, on a loop thread); errors if closing failed. */
    public Mono<Void> onDispose() {
        return closed.asMono();
    }

    /**
     * Completes when the server that accepted this connection starts shutting down
     * ({@link UringServer#dispose()}, {@link UringServer#disposeLater(Duration)},
     * {@link UringServer#disposeNow(Duration)}), on the thread that called it; never for a client
     * connection. A handler that serves requests one after another (HTTP keep-alive) closes the
     * connection here if it is between requests, and after the current response otherwise, so a
     * graceful shutdown does not wait its whole grace period for idle kept-alive connections (as
     * Reactor Netty's HTTP server does).
     */
    public Mono<Void> onServerShutdown() {
        return serverShutdown;
    }

    void serverShutdown(Mono<Void> signal) {
        this.serverShutdown = signal;
    }

    @Override
    public String toString() {
        return "UringConnection[" + description + "]";
    }
}
