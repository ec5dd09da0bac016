package io.reactoruring.net;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * A bound, listening TCP server (from {@link UringTcpServer#bind()}). On io_uring one multishot
 * IORING_OP_ACCEPT runs on one loop of the group, and each accepted socket goes to the next loop,
 * round-robin, where its handler runs. On the NIO fallback an
 * {@link java.nio.channels.AsynchronousServerSocketChannel} accepts, and handlers run on the
 * fallback's I/O threads.
 *
 * <p>{@link #dispose()} stops accepting (cancelling the accept in the kernel), closes the
 * listening socket and every open connection at once. {@link #disposeLater(Duration)} and
 * {@link #disposeNow(Duration)} shut down gracefully: they stop accepting at once, give open
 * connections a grace period to finish, then close what is left. {@link #onDispose()} completes (on
 * io_uring, on a loop thread) when all of those sockets are closed and {@code doOnUnbound} has run.
 *
 * <p>Thread-safe: every method may be called from any thread; only {@link #disposeNow(Duration)}
 * blocks, and on a loop thread (a {@code NonBlocking} one) it fails with {@link IllegalStateException}
 * as {@code block()} does.
 */
public final class UringServer implements Disposable {
    private static final Logger LOG = Loggers.getLogger(UringServer.class);
    /** After a failed accept (EMFILE, ENFILE, ENOBUFS...), wait this long before accepting again. */
    private static final Duration ACCEPT_RETRY = Duration.ofMillis(100);
    /** How long {@link #disposeNow(Duration)} waits for fds to close after the grace period. */
    private static final Duration CLOSE_MARGIN = Duration.ofSeconds(5);

    private final InetSocketAddress address;
    private final UringTcpServer config;
    private final Acceptor acceptor;
    private final String target;
    private final Set<UringConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean disposed = new AtomicBoolean();
    private final Sinks.Empty<Void> terminated = Sinks.empty();
    private final Sinks.Empty<Void> shuttingDown = Sinks.empty(); // each connection's onServerShutdown
    private final java.util.concurrent.atomic.LongAdder refused = new java.util.concurrent.atomic.LongAdder();
    private volatile Disposable accepting = reactor.core.Disposables.single();

    UringServer(Acceptor acceptor, UringTcpServer config) {
        this.acceptor = acceptor;
        this.address = acceptor.address();
        this.config = config;
        this.target = SockAddr.describe(address);
    }

    void start() {
        accepting = acceptor.start(this::onAccept, this::onAcceptError);
        if (disposed.get()) {
            accepting.dispose(); // raced with dispose()
        }
    }

    private void onAccept(UringConnection conn) {
        if (disposed.get()) {
            conn.dispose();
            return;
        }
        if (config.maxConnections > 0 && connections.size() >= config.maxConnections) {
            refused.increment(); // maxConnections: closed at accept, the handler never sees it
            conn.dispose();
            return;
        }
        conn.serverShutdown(shuttingDown.asMono());
        connections.add(conn);
        conn.onDispose().subscribe(null, e -> connections.remove(conn), () -> connections.remove(conn));
        if (disposed.get()) { // raced with dispose(): it may have missed this connection
            conn.dispose();
            return;
        }
        try {
            if (config.idleTimeout != null) {
                conn.closeWhenIdle(config.idleTimeout);
            }
            if (config.doOnConnection != null) {
                config.doOnConnection.accept(conn);
            }
            conn.io().execute(() -> runHandler(conn));
        } catch (RuntimeException e) {
            LOG.warn("connection callback failed on {}: {}", conn, e.toString());
            conn.dispose();
        }
    }

    private void runHandler(UringConnection conn) {
        Publisher<Void> p;
        try {
            p = Objects.requireNonNull(config.handler.apply(conn, conn), "handler returned null");
        } catch (Throwable t) {
            LOG.warn("handler failed on " + conn, t);
            conn.dispose();
            return;
        }
        Flux.from(p).subscribe(null, e -> {
            LOG.debug("handler on {} ended with {}", conn, e.toString());
            conn.dispose();
        }, conn::dispose);
    }

    private void onAcceptError(Throwable e) {
        if (disposed.get()) {
            return;
        }
        LOG.warn("accept on " + target + " failed, retrying in " + ACCEPT_RETRY, e);
        // Retrying at once would spin on EMFILE; a short pause on the acceptor's timer instead.
        acceptor.timer().schedule(() -> {
            if (!disposed.get()) {
                start();
            }
        }, ACCEPT_RETRY.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return address.getPort();
    }

    /** The bound address. */
    public InetSocketAddress address() {
        return address;
    }

    /** Connections currently open (accepted and not yet closed). */
    public int activeConnections() {
        return connections.size();
    }

    /** Connections closed at accept because {@link UringTcpServer#maxConnections(int)} were open. */
    public long refusedConnections() {
        return refused.sum();
    }

    /** Stops accepting and closes the listening socket and all connections; non-blocking, idempotent. */
    @Override
    public void dispose() {
        stopAccepting();
        connections.forEach(UringConnection::dispose);
    }

    /**
     * Graceful shutdown as a cold Mono: stops accepting and closes the listening socket at once, lets
     * the open connections finish (their handlers complete, or their peers close) for up to
     * {@code gracePeriod}, then closes those still open. Completes, on a loop thread, once every fd
     * is closed. {@code Duration.ZERO} closes everything at once, like {@link #dispose()}.
     */
    public Mono<Void> disposeLater(Duration gracePeriod) {
        Objects.requireNonNull(gracePeriod, "gracePeriod");
        if (gracePeriod.isNegative()) {
            throw new IllegalArgumentException("gracePeriod must not be negative: " + gracePeriod);
        }
        return Mono.defer(() -> {
            stopAccepting();
            if (gracePeriod.isZero()) {
                dispose();
                return terminated.asMono();
            }
            return allConnectionsClosed()
                    .timeout(gracePeriod, Mono.fromRunnable(this::dispose), acceptor.timer())
                    .then(terminated.asMono());
        });
    }

    /** {@link #disposeLater(Duration)} with a 10 second grace period. */
    public Mono<Void> disposeLater() {
        return disposeLater(Duration.ofSeconds(10));
    }

    /** Graceful shutdown with a 10 second grace period, waiting for it. */
    public void disposeNow() {
        disposeNow(Duration.ofSeconds(10));
    }

    /**
     * Graceful shutdown ({@link #disposeLater(Duration)}) with {@code timeout} as the grace period:
     * waits until every fd is closed (connections still open at the deadline are closed then). Must
     * not be called on a loop thread.
     */
    public void disposeNow(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        disposeLater(timeout).block(timeout.plus(CLOSE_MARGIN));
    }

    /** Completes once the listening socket is closed; only meaningful after dispose started. */
    Mono<Void> listenSocketClosed() {
        return disposed.get() ? acceptor.close() : Mono.error(new IllegalStateException("not disposed"));
    }

    private void stopAccepting() {
        if (!disposed.compareAndSet(false, true)) {
            return;
        }
        shuttingDown.tryEmitEmpty();
        accepting.dispose();
        Mono<Void> listenClosed = acceptor.close(); // on io_uring, after the cancelled accept's final CQE
        Mono.when(listenClosed, allConnectionsClosed())
                .doFinally(s -> {
                    if (config.doOnUnbound != null) {
                        try {
                            config.doOnUnbound.accept(this);
                        } catch (RuntimeException e) {
                            LOG.warn("doOnUnbound callback failed on " + this, e);
                        }
                    }
                })
                .subscribe(null, e -> terminated.tryEmitError(e), () -> terminated.tryEmitEmpty());
    }

    /**
     * Completes when every connection open now is closed; connections accepted after dispose are
     * closed at once by {@link #onAccept}.
     */
    private Mono<Void> allConnectionsClosed() {
        List<Mono<Void>> closing = new ArrayList<>();
        for (UringConnection c : connections) {
            closing.add(c.onDispose().onErrorResume(e -> Mono.empty()));
        }
        return Mono.when(closing);
    }

    @Override
    public boolean isDisposed() {
        return disposed.get();
    }

    /** Completes once the listening socket and every connection are closed. */
    public Mono<Void> onDispose() {
        return terminated.asMono();
    }

    @Override
    public String toString() {
        return "UringServer[" + target + "]";
    }
}
