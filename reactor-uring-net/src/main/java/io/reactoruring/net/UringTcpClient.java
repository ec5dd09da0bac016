package io.reactoruring.net;

import io.reactoruring.core.Errno;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.internal.Native;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * An immutable TCP client configuration (every setter returns a modified copy). {@link #connect()}
 * opens a socket and connects it with IORING_OP_CONNECT on the next loop of the group; without
 * io_uring, with an {@link AsynchronousSocketChannel} on the NIO fallback (see {@link UringTcpServer}).
 *
 * <p>Thread-safe: immutable; {@link #connect()} may be subscribed from any thread, including a loop
 * thread (it never blocks there). The connection it emits is the subscriber's: {@link
 * UringConnection#dispose()} it when done (the client keeps no reference to it; a connection nobody
 * disposes stays open until its loop is disposed, on the NIO fallback until the JVM exits).
 */
public final class UringTcpClient implements Cloneable {
    // Set only on a fresh copy inside a setter, never after the copy is returned.
    String host = "127.0.0.1";
    int port = -1;
    SocketOptions options = SocketOptions.defaults(false);
    ConnectionSettings settings = ConnectionSettings.DEFAULTS;
    @Nullable Duration connectTimeout;
    @Nullable UringLoopGroup group;
    @Nullable Transport transport;

    private UringTcpClient() {
    }

    /**
     * Defaults: host 127.0.0.1, no port (must be set), TCP_NODELAY on, 16 KiB receive buffers in a
     * 16-buffer provided-buffer ring, no connect timeout, the shared group.
     */
    public static UringTcpClient create() {
        return new UringTcpClient();
    }

    private UringTcpClient with(Consumer<UringTcpClient> change) {
        UringTcpClient copy;
        try {
            copy = (UringTcpClient) clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError(e);
        }
        change.accept(copy);
        return copy;
    }

    /** The host to connect to: an IP literal or a name (resolved on connect). */
    public UringTcpClient host(String host) {
        String h = SockAddr.checkHost(host);
        return with(c -> c.host = h);
    }

    /**
     * The port to connect to; required (connect fails with {@link IllegalStateException} without one).
     *
     * @throws IllegalArgumentException outside 1..65535, at call time
     */
    public UringTcpClient port(int port) {
        int p = SockAddr.checkPort(port, false);
        return with(c -> c.port = p);
    }

    /** TCP_NODELAY (default true). */
    public UringTcpClient noDelay(boolean noDelay) {
        return with(c -> c.options = c.options.withNoDelay(noDelay));
    }

    /** SO_REUSEADDR before connecting (default false). */
    public UringTcpClient reuseAddress(boolean reuse) {
        return with(c -> c.options = c.options.withReuseAddress(reuse));
    }

    /** SO_REUSEPORT before connecting (default false). */
    public UringTcpClient reusePort(boolean reuse) {
        return with(c -> c.options = c.options.withReusePort(reuse));
    }

    /** SO_RCVBUF, set before connecting; 0 (default) keeps the kernel's. */
    public UringTcpClient socketReceiveBuffer(int bytes) {
        SocketOptions o = options.withReceiveBufferSize(bytes);
        return with(c -> c.options = o);
    }

    /** SO_SNDBUF, set before connecting; 0 (default) keeps the kernel's. */
    public UringTcpClient socketSendBuffer(int bytes) {
        SocketOptions o = options.withSendBufferSize(bytes);
        return with(c -> c.options = o);
    }

    /** SO_KEEPALIVE (default false). */
    public UringTcpClient keepAlive(boolean keepAlive) {
        return with(c -> c.options = c.options.withKeepAlive(keepAlive));
    }

    /** Bytes per receive buffer, > 0. */
    public UringTcpClient receiveBufferSize(int bytes) {
        ConnectionSettings s = settings.withReceiveBufferSize(bytes);
        return with(c -> c.settings = s);
    }

    /** See {@link UringTcpServer#receiveBufferRing(int)}; 0 for plain RECVs. */
    public UringTcpClient receiveBufferRing(int entries) {
        ConnectionSettings s = settings.withReceiveRingEntries(entries);
        return with(c -> c.settings = s);
    }

    /** See {@link UringTcpServer#zeroCopyThreshold(int)}. */
    public UringTcpClient zeroCopyThreshold(int bytes) {
        ConnectionSettings s = settings.withZeroCopyThreshold(bytes);
        return with(c -> c.settings = s);
    }

    /** Fail the connect with {@link java.util.concurrent.TimeoutException} after {@code timeout} (a kernel linked timeout). */
    public UringTcpClient connectTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be > 0, was " + timeout);
        }
        return with(c -> c.connectTimeout = timeout);
    }

    /** Forces a transport (tests run every behaviour on both); by default io_uring where available. */
    UringTcpClient transport(Transport t) {
        Objects.requireNonNull(t, "transport");
        return with(c -> c.transport = t);
    }

    /** The loops connections are spread over (default {@link UringLoopGroup#shared()}); not used on the NIO fallback. */
    public UringTcpClient group(UringLoopGroup group) {
        Objects.requireNonNull(group, "group");
        return with(c -> c.group = group);
    }

    /**
     * A cold Mono: each subscription resolves the host (an IP literal at once, a name on
     * {@code Schedulers.boundedElastic()}, so connecting from a loop thread never blocks it),
     * creates a socket and connects it. Emits the connection on its loop thread, or errors with
     * {@link java.net.ConnectException} (refused), {@link java.util.concurrent.TimeoutException}
     * (connect timeout), {@link java.net.UnknownHostException}, {@link IllegalStateException} (no
     * port set), or the errno's exception for a socket option the kernel refuses. Cancelling cancels
     * the CONNECT in the kernel and closes the socket. No fd outlives a failed connect, and a
     * connection that completes as its subscriber cancels (or its timeout fires) is closed by the
     * client: it is either the subscriber's, handed to {@code onNext}, or closed, never leaked. One
     * handed to a subscriber that cancels on another thread meanwhile is still the subscriber's (an
     * operator between that drops it gives it to {@code Hooks.onNextDropped}).
     */
    public Mono<UringConnection> connect() {
        return Mono.defer(() -> {
            if (port < 0) {
                return Mono.error(new IllegalStateException("port() was not set"));
            }
            ConnectHandoff handoff = new ConnectHandoff();
            return handoff.guard(SockAddr.resolveLater(host, port).flatMap(address -> {
                String target = SockAddr.describe(address);
                return Transport.select(transport, group) == Transport.IO_URING
                        ? connectRing(address, target, handoff)
                        : connectNio(address, target, handoff);
            }));
        });
    }

    /**
     * Test hook: runs with each connection just before it is emitted (on the thread that emits it),
     * so a test can hold the handover until its subscriber has cancelled.
     */
    static volatile @Nullable Consumer<UringConnection> beforeEmitForTests;

    private static UringConnection beforeEmit(UringConnection conn) {
        Consumer<UringConnection> hook = beforeEmitForTests;
        if (hook != null) {
            hook.accept(conn);
        }
        return conn;
    }

    private Mono<UringConnection> connectRing(InetSocketAddress address, String target, ConnectHandoff handoff) {
        UringLoopGroup g = group != null ? group : UringLoopGroup.shared();
        int fd;
        SockAddr sa;
        try {
            fd = SockAddr.socket(address, target, SockAddr.SOCK_NONBLOCK | SockAddr.SOCK_CLOEXEC);
        } catch (Exception e) {
            return Mono.error(e);
        }
        UringLoop loop;
        RingConnectionIo io;
        try {
            options.applyBeforeBind(fd, target);
            sa = SockAddr.encode(address);
            loop = g.next();
        } catch (Throwable e) {
            Native.close(fd); // nothing owns the socket yet
            return Mono.error(e);
        }
        String description = "fd " + fd + " to " + target;
        try {
            io = new RingConnectionIo(fd, loop, description, settings);
        } catch (Throwable e) {
            sa.close();
            Native.close(fd);
            return Mono.error(e);
        }
        UringConnection conn = new UringConnection(io, description);
        // From here the handoff owns the socket: a subscriber that has already left (cancelled while
        // the host resolved) gets nothing, and a cancel from now on disposes it (SharedFd closes the
        // socket only once the CONNECT has completed).
        if (!handoff.offer(conn)) {
            sa.close();
            return Mono.empty();
        }
        // Freed once the kernel is done with it: after the CQE (also when cancelled), or when
        // the op never reaches the kernel.
        Op op = Op.builder(Opcode.CONNECT).fd(io.sharedFd()).addr(sa.address).offset(sa.length)
                .whenKernelDone(sa::close).name("connect").target(target).build();
        if (connectTimeout != null) {
            op = op.withTimeout(connectTimeout);
        }
        return loop.submit(op)
                .map(res -> beforeEmit(conn))
                .doOnError(e -> conn.dispose());
    }

    /**
     * The fallback: {@link AsynchronousSocketChannel#connect}; a timeout or cancel before the connect
     * completes closes the channel, and a connection that completes as its subscriber leaves is
     * closed by the handoff rather than leaked.
     */
    private Mono<UringConnection> connectNio(InetSocketAddress address, String target, ConnectHandoff handoff) {
        Mono<UringConnection> connect = Mono.create(sink -> {
            AsynchronousSocketChannel ch;
            try {
                ch = AsynchronousSocketChannel.open(Transport.nioGroup());
            } catch (IOException e) {
                sink.error(e);
                return;
            }
            // Decides who closes the channel before it is a connection: the cancel, the failure,
            // or nobody (the completion wraps it and hands it to the handoff).
            AtomicBoolean settled = new AtomicBoolean();
            sink.onCancel(() -> {
                if (settled.compareAndSet(false, true)) {
                    closeQuietly(ch);
                }
            });
            try {
                options.applyBeforeConnect(ch);
                ch.connect(address, null, new CompletionHandler<Void, Void>() {
                    @Override
                    public void completed(Void result, Void unused) {
                        if (!settled.compareAndSet(false, true)) {
                            return; // cancelled: the cancel closed the channel
                        }
                        String description = "connection to " + target;
                        UringConnection conn;
                        try {
                            conn = new UringConnection(new NioConnectionIo(ch, description, settings), description);
                        } catch (RuntimeException e) {
                            closeQuietly(ch);
                            sink.error(e);
                            return;
                        }
                        if (handoff.offer(conn)) {
                            // If the sink was cancelled meanwhile it drops the value (onDiscard or
                            // onNextDropped); the handoff still holds it and closes it.
                            sink.success(beforeEmit(conn));
                        }
                    }

                    @Override
                    public void failed(Throwable t, Void unused) {
                        if (settled.compareAndSet(false, true)) {
                            closeQuietly(ch);
                            sink.error(Transport.nioError(t, "connect", target));
                        }
                    }
                });
            } catch (IOException | RuntimeException e) {
                if (settled.compareAndSet(false, true)) { // else cancelled first: nobody to tell
                    closeQuietly(ch);
                    sink.error(Transport.nioError(e, "connect", target));
                }
            }
        });
        Duration timeout = connectTimeout;
        return timeout == null ? connect
                : connect.timeout(timeout, Mono.error(() -> Errno.exception(Errno.ETIME, "connect", target)));
    }

    private static void closeQuietly(AsynchronousSocketChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // never connected: nothing to lose
        }
    }
}
