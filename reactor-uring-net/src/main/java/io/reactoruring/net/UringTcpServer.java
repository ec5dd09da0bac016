package io.reactoruring.net;

import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.Native;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * An immutable TCP server configuration: every setter returns a copy, so a configuration can be
 * shared and specialised freely. {@link #bind()} creates the listening socket and starts a
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
 */
public final class UringTcpServer {
    private static final BiFunction<UringInbound, UringOutbound, Publisher<Void>> DRAIN =
            (in, out) -> in.receive().doOnNext(PooledBuffer::release).then();

    final String host;
    final int port;
    final int backlog;
    final boolean noDelay;
    final int receiveBufferSize;
    final @Nullable UringLoopGroup group;
    final BiFunction<? super UringInbound, ? super UringOutbound, ? extends Publisher<Void>> handler;
    final @Nullable Consumer<? super UringConnection> doOnConnection;

    private UringTcpServer(String host, int port, int backlog, boolean noDelay, int receiveBufferSize,
            @Nullable UringLoopGroup group,
            BiFunction<? super UringInbound, ? super UringOutbound, ? extends Publisher<Void>> handler,
            @Nullable Consumer<? super UringConnection> doOnConnection) {
        this.host = host;
        this.port = port;
        this.backlog = backlog;
        this.noDelay = noDelay;
        this.receiveBufferSize = receiveBufferSize;
        this.group = group;
        this.handler = handler;
        this.doOnConnection = doOnConnection;
    }

    /**
     * Defaults: host 127.0.0.1 (loopback only: set {@code host("0.0.0.0")} to listen on every
     * interface), port 0 (ephemeral), backlog 1024, TCP_NODELAY on, 16 KiB receive buffers, the
     * shared loop group, and a handler that reads and discards until the peer closes.
     */
    public static UringTcpServer create() {
        return new UringTcpServer("127.0.0.1", 0, 1024, true, UringConnection.DEFAULT_RECEIVE_BUFFER, null, DRAIN, null);
    }

    /** The address to listen on: an IP literal or a name (resolved at bind time). */
    public UringTcpServer host(String host) {
        return new UringTcpServer(SockAddr.checkHost(host), port, backlog, noDelay, receiveBufferSize, group, handler, doOnConnection);
    }

    /** 0..65535; 0 picks an ephemeral port, see {@link UringServer#port()}. */
    public UringTcpServer port(int port) {
        return new UringTcpServer(host, SockAddr.checkPort(port, true), backlog, noDelay, receiveBufferSize, group, handler, doOnConnection);
    }

    /** listen(2) backlog, > 0. */
    public UringTcpServer backlog(int backlog) {
        if (backlog <= 0) {
            throw new IllegalArgumentException("backlog must be > 0, was " + backlog);
        }
        return new UringTcpServer(host, port, backlog, noDelay, receiveBufferSize, group, handler, doOnConnection);
    }

    /** TCP_NODELAY on accepted sockets (default true). */
    public UringTcpServer noDelay(boolean noDelay) {
        return new UringTcpServer(host, port, backlog, noDelay, receiveBufferSize, group, handler, doOnConnection);
    }

    /** Bytes per RECV (rounded up to the pool's size class), > 0. */
    public UringTcpServer receiveBufferSize(int bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("receiveBufferSize must be > 0, was " + bytes);
        }
        return new UringTcpServer(host, port, backlog, noDelay, bytes, group, handler, doOnConnection);
    }

    /** The loops to accept on and to spread connections over (default {@link UringLoopGroup#shared()}). */
    public UringTcpServer group(UringLoopGroup group) {
        return new UringTcpServer(host, port, backlog, noDelay, receiveBufferSize, Objects.requireNonNull(group, "group"), handler, doOnConnection);
    }

    /** What to do with each connection; the connection closes when the returned publisher terminates. */
    public UringTcpServer handle(BiFunction<? super UringInbound, ? super UringOutbound, ? extends Publisher<Void>> handler) {
        return new UringTcpServer(host, port, backlog, noDelay, receiveBufferSize, group, Objects.requireNonNull(handler, "handler"), doOnConnection);
    }

    /** Called on the accepting loop's thread for each accepted connection, before the handler. */
    public UringTcpServer doOnConnection(Consumer<? super UringConnection> callback) {
        return new UringTcpServer(host, port, backlog, noDelay, receiveBufferSize, group, handler, Objects.requireNonNull(callback, "callback"));
    }

    /**
     * A cold Mono that resolves the host, creates, binds and listens on the socket (plain
     * syscalls, on the subscribing thread: name resolution may block) and starts accepting.
     * Errors with {@link java.net.UnknownHostException}, {@link java.net.BindException} (address in
     * use), or another {@link java.io.IOException} naming the errno. Cancelling it does nothing once
     * the socket is bound; dispose the server instead.
     */
    public Mono<UringServer> bind() {
        return Mono.fromCallable(this::doBind);
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

    private UringServer doBind() throws Exception {
        UringLoopGroup g = group != null ? group : UringLoopGroup.shared();
        InetSocketAddress address = SockAddr.resolve(host, port);
        String target = SockAddr.describe(address);
        int fd = SockAddr.socket(address, target);
        try {
            // Lets a restarted server rebind while old connections sit in TIME_WAIT.
            SockAddr.setOption(fd, SockAddr.SOL_SOCKET, SockAddr.SO_REUSEADDR, 1, "SO_REUSEADDR", target);
            try (SockAddr sa = SockAddr.encode(address)) {
                int res = Native.bind(fd, sa.address, sa.length);
                if (res < 0) {
                    throw io.reactoruring.core.Errno.exception(res, "bind", target);
                }
            }
            int res = Native.listen(fd, backlog);
            if (res < 0) {
                throw io.reactoruring.core.Errno.exception(res, "listen", target);
            }
            int bound = SockAddr.localPort(fd, target);
            InetSocketAddress local = new InetSocketAddress(address.getAddress(), bound);
            UringServer server = new UringServer(fd, local, g, this);
            server.start();
            return server;
        } catch (Throwable t) {
            Native.close(fd);
            throw t;
        }
    }
}
