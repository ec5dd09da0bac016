package io.reactoruring.net;

import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.PooledBuffer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * An immutable TCP server configuration: every setter returns a modified copy, so a configuration
 * can be shared and specialised freely. {@link #bind()} creates the listening socket and starts a
 * multishot IORING_OP_ACCEPT; accepted connections are spread round-robin over the group's loops.
 *
 * <pre>{@code
 * UringServer server = UringTcpServer.create()
 *         .host("127.0.0.1").port(8080)
 *         .handle((in, out) -> out.sendPooled(in.receive()))   // echo
 *         .bindNow(Duration.ofSeconds(5));
 * }</pre>
 *
 * <p>The handler is called on the connection's loop thread; when the publisher it returns
 * terminates (complete or error), the connection is closed.
 *
 * <p><b>Without io_uring</b> (old kernel, seccomp, {@code -Dreactoruring.disabled=true}; see
 * {@link io.reactoruring.core.Uring#unavailabilityCause()}) the same API runs on
 * {@link java.nio.channels.AsynchronousServerSocketChannel} after logging one warning: handlers and
 * signals run on the fallback's I/O threads, the loop group, {@code receiveBufferRing} and
 * {@code zeroCopyThreshold} are not used, and errors have the same types.
 */
public final class UringTcpServer implements Cloneable {
    private static final BiFunction<UringInbound, UringOutbound, Publisher<Void>> DRAIN =
            (in, out) -> in.receive().doOnNext(PooledBuffer::release).then();

    // Set only on a fresh copy inside a setter, never after the copy is returned.
    String host = "127.0.0.1";
    int port;
    int backlog = 1024;
    SocketOptions options = SocketOptions.defaults(true);
    ConnectionSettings settings = ConnectionSettings.DEFAULTS;
    @Nullable UringLoopGroup group;
    @Nullable Transport transport;
    BiFunction<? super UringInbound, ? super UringOutbound, ? extends Publisher<Void>> handler = DRAIN;
    @Nullable Consumer<? super UringConnection> doOnConnection;
    @Nullable Duration idleTimeout;   // net-http: limits (issue 11 item 2)
    int maxConnections;               // 0 = unlimited
    @Nullable Consumer<? super UringServer> doOnBound;
    @Nullable Consumer<? super UringServer> doOnUnbound;

    private UringTcpServer() {
    }

    /**
     * Defaults: host 127.0.0.1 (loopback only: set {@code host("0.0.0.0")} to listen on every
     * interface), port 0 (ephemeral), backlog 1024, SO_REUSEADDR and TCP_NODELAY on, 16 KiB receive
     * buffers in a 16-buffer provided-buffer ring per receiving connection, the shared loop group,
     * and a handler that reads and discards until the peer closes.
     */
    public static UringTcpServer create() {
        return new UringTcpServer();
    }

    private UringTcpServer with(Consumer<UringTcpServer> change) {
        UringTcpServer copy;
        try {
            copy = (UringTcpServer) clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
        change.accept(copy);
        return copy;
    }

    /** The address to listen on: an IP literal or a name (resolved at bind time). */
    public UringTcpServer host(String host) {
        String h = SockAddr.checkHost(host);
        return with(c -> c.host = h);
    }

    /** 0..65535; 0 picks an ephemeral port, see {@link UringServer#port()}. */
    public UringTcpServer port(int port) {
        int p = SockAddr.checkPort(port, true);
        return with(c -> c.port = p);
    }

    /** listen(2) backlog, > 0. */
    public UringTcpServer backlog(int backlog) {
        if (backlog <= 0) {
            throw new IllegalArgumentException("backlog must be > 0, was " + backlog);
        }
        return with(c -> c.backlog = backlog);
    }

    /** TCP_NODELAY on accepted sockets (default true). */
    public UringTcpServer noDelay(boolean noDelay) {
        return with(c -> c.options = c.options.withNoDelay(noDelay));
    }

    /** SO_REUSEADDR on the listening socket (default true: a restarted server can rebind at once). */
    public UringTcpServer reuseAddress(boolean reuse) {
        return with(c -> c.options = c.options.withReuseAddress(reuse));
    }

    /** SO_REUSEPORT on the listening socket (default false): several servers may bind the same port. */
    public UringTcpServer reusePort(boolean reuse) {
        return with(c -> c.options = c.options.withReusePort(reuse));
    }

    /** SO_RCVBUF of the listening socket, inherited by accepted sockets; 0 (default) keeps the kernel's. */
    public UringTcpServer socketReceiveBuffer(int bytes) {
        SocketOptions o = options.withReceiveBufferSize(bytes);
        return with(c -> c.options = o);
    }

    /** SO_SNDBUF of the listening socket, inherited by accepted sockets; 0 (default) keeps the kernel's. */
    public UringTcpServer socketSendBuffer(int bytes) {
        SocketOptions o = options.withSendBufferSize(bytes);
        return with(c -> c.options = o);
    }

    /** SO_KEEPALIVE on accepted sockets (default false). */
    public UringTcpServer keepAlive(boolean keepAlive) {
        return with(c -> c.options = c.options.withKeepAlive(keepAlive));
    }

    /** Bytes per receive buffer, > 0 (plain RECVs round it up to the pool's size class). */
    public UringTcpServer receiveBufferSize(int bytes) {
        ConnectionSettings s = settings.withReceiveBufferSize(bytes);
        return with(c -> c.settings = s);
    }

    /**
     * How many buffers of its loop's shared provided-buffer ring one receiving connection may hold
     * at once (delivered and not yet released), a power of two (default 16), or 0 for one plain
     * IORING_OP_RECV per requested buffer. An idle connection holds none; the loop's ring (one per
     * buffer size, about 4 MiB) is shared by all its connections. See {@link UringInbound#receive()}.
     */
    public UringTcpServer receiveBufferRing(int entries) {
        ConnectionSettings s = settings.withReceiveRingEntries(entries);
        return with(c -> c.settings = s);
    }

    /**
     * Send buffers of at least {@code bytes} with IORING_OP_SEND_ZC (zero copy; the buffer is released
     * only after the kernel's notification) where the kernel supports it; 0 (default) never.
     */
    public UringTcpServer zeroCopyThreshold(int bytes) {
        ConnectionSettings s = settings.withZeroCopyThreshold(bytes);
        return with(c -> c.settings = s);
    }

    /** Forces a transport (tests run every behaviour on both); by default io_uring where available. */
    UringTcpServer transport(Transport t) {
        Objects.requireNonNull(t, "transport");
        return with(c -> c.transport = t);
    }

    /**
     * The loops to accept on and to spread connections over (default {@link UringLoopGroup#shared()});
     * not used on the NIO fallback.
     */
    public UringTcpServer group(UringLoopGroup group) {
        Objects.requireNonNull(group, "group");
        return with(c -> c.group = group);
    }

    /** What to do with each connection; the connection closes when the returned publisher terminates. */
    public UringTcpServer handle(BiFunction<? super UringInbound, ? super UringOutbound, ? extends Publisher<Void>> handler) {
        Objects.requireNonNull(handler, "handler");
        return with(c -> c.handler = handler);
    }

    /** Called on the accepting loop's thread for each accepted connection, before the handler. */
    public UringTcpServer doOnConnection(Consumer<? super UringConnection> callback) {
        Objects.requireNonNull(callback, "callback");
        return with(c -> c.doOnConnection = callback);
    }

    /**
     * Closes a connection once it has neither received nor sent anything for {@code timeout}
     * (Reactor Netty's {@code idleTimeout}); default: never. Checked by one ring timeout per loop,
     * not a timer per connection, so it closes between {@code timeout} and {@code 1.25 * timeout}
     * (at most one second late) after the last activity.
     */
    public UringTcpServer idleTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be > 0, was " + timeout);
        }
        return with(c -> c.idleTimeout = timeout);
    }

    /**
     * At most {@code max} connections open at once (default 0: unlimited). A connection accepted
     * while {@code max} are open is closed at once, before {@code doOnConnection} and the handler,
     * and counted in {@link UringServer#refusedConnections()}.
     */
    public UringTcpServer maxConnections(int max) {
        if (max < 0) {
            throw new IllegalArgumentException("maxConnections must be >= 0 (0 = unlimited), was " + max);
        }
        return with(c -> c.maxConnections = max);
    }

    /** Called once the socket is bound and listening, on the binding thread, before bind() emits. */
    public UringTcpServer doOnBound(Consumer<? super UringServer> callback) {
        Objects.requireNonNull(callback, "callback");
        return with(c -> c.doOnBound = callback);
    }

    /** Called once the server is disposed and every fd it owned is closed, on a loop thread. */
    public UringTcpServer doOnUnbound(Consumer<? super UringServer> callback) {
        Objects.requireNonNull(callback, "callback");
        return with(c -> c.doOnUnbound = callback);
    }

    /**
     * A cold Mono that resolves the host (an IP literal at once, a name on
     * {@code Schedulers.boundedElastic()}), creates, binds and listens on the socket (plain syscalls)
     * and starts accepting.
     * Errors with {@link java.net.UnknownHostException}, {@link java.net.BindException} (address in
     * use), or another {@link java.io.IOException} naming the errno. Cancelling it does nothing once
     * the socket is bound; dispose the server instead.
     */
    public Mono<UringServer> bind() {
        return Mono.defer(() -> SockAddr.resolveLater(host, port)).flatMap(address -> Mono.fromCallable(() -> doBind(address)));
    }

    /**
     * {@link #bind()} and wait at most {@code timeout}. I/O failures are rethrown as
     * {@link java.io.UncheckedIOException} whose cause is the {@code BindException} etc.
     */
    public UringServer bindNow(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        try {
            return Objects.requireNonNull(bind().block(timeout), "bind completed empty");
        } catch (RuntimeException e) {
            throw SockAddr.unchecked(reactor.core.Exceptions.unwrap(e));
        }
    }

    private UringServer doBind(InetSocketAddress address) throws Exception {
        Acceptor acceptor = Transport.select(transport, group) == Transport.IO_URING
                ? RingAcceptor.bind(this, group != null ? group : UringLoopGroup.shared(), address)
                : NioAcceptor.bind(this, address);
        UringServer server = new UringServer(acceptor, this);
        server.start();
        if (doOnBound != null) {
            try {
                doOnBound.accept(server);
            } catch (Throwable t) {
                server.dispose();
                throw t;
            }
        }
        return server;
    }
}
