package io.reactoruring.net;

import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.internal.Native;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * An immutable TCP client configuration (every setter returns a copy). {@link #connect()} opens a
 * socket and connects it with IORING_OP_CONNECT on the next loop of the group.
 */
public final class UringTcpClient {
    final String host;
    final int port;
    final boolean noDelay;
    final int receiveBufferSize;
    final @Nullable Duration connectTimeout;
    final @Nullable UringLoopGroup group;

    private UringTcpClient(String host, int port, boolean noDelay, int receiveBufferSize,
            @Nullable Duration connectTimeout, @Nullable UringLoopGroup group) {
        this.host = host;
        this.port = port;
        this.noDelay = noDelay;
        this.receiveBufferSize = receiveBufferSize;
        this.connectTimeout = connectTimeout;
        this.group = group;
    }

    /** Defaults: host 127.0.0.1, no port (must be set), TCP_NODELAY on, no connect timeout, shared group. */
    public static UringTcpClient create() {
        return new UringTcpClient("127.0.0.1", -1, true, UringConnection.DEFAULT_RECEIVE_BUFFER, null, null);
    }

    /** The host to connect to: an IP literal or a name (resolved on connect). */
    public UringTcpClient host(String host) {
        return new UringTcpClient(SockAddr.checkHost(host), port, noDelay, receiveBufferSize, connectTimeout, group);
    }

    /** 1..65535. */
    public UringTcpClient port(int port) {
        return new UringTcpClient(host, SockAddr.checkPort(port, false), noDelay, receiveBufferSize, connectTimeout, group);
    }

    public UringTcpClient noDelay(boolean noDelay) {
        return new UringTcpClient(host, port, noDelay, receiveBufferSize, connectTimeout, group);
    }

    /** Bytes per RECV, > 0. */
    public UringTcpClient receiveBufferSize(int bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("receiveBufferSize must be > 0, was " + bytes);
        }
        return new UringTcpClient(host, port, noDelay, bytes, connectTimeout, group);
    }

    /** Fail the connect with {@link java.util.concurrent.TimeoutException} after {@code timeout} (a kernel linked timeout). */
    public UringTcpClient connectTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be > 0, was " + timeout);
        }
        return new UringTcpClient(host, port, noDelay, receiveBufferSize, timeout, group);
    }

    public UringTcpClient group(UringLoopGroup group) {
        return new UringTcpClient(host, port, noDelay, receiveBufferSize, connectTimeout, Objects.requireNonNull(group, "group"));
    }

    /**
     * A cold Mono: each subscription resolves the host (on the subscribing thread; names may block),
     * creates a socket and connects it. Emits the connection on its loop thread, or errors with
     * {@link java.net.ConnectException} (refused), {@link java.util.concurrent.TimeoutException}
     * (connect timeout), {@link java.net.UnknownHostException}, {@link IllegalStateException} (no
     * port set). Cancelling cancels the CONNECT in the kernel and closes the socket.
     */
    public Mono<UringConnection> connect() {
        return Mono.defer(() -> {
            if (port < 0) {
                return Mono.error(new IllegalStateException("port() was not set"));
            }
            UringLoopGroup g = group != null ? group : UringLoopGroup.shared();
            InetSocketAddress address;
            int fd;
            String target;
            try {
                address = SockAddr.resolve(host, port);
                target = SockAddr.describe(address);
                fd = SockAddr.socket(address, target);
            } catch (Exception e) {
                return Mono.error(e);
            }
            if (noDelay) {
                Native.setsockoptInt(fd, SockAddr.IPPROTO_TCP, SockAddr.TCP_NODELAY, 1); // best effort
            }
            UringLoop loop = g.next();
            UringConnection conn;
            SockAddr sa;
            try {
                conn = new UringConnection(fd, loop, "fd " + fd + " to " + target, receiveBufferSize);
            } catch (RuntimeException e) {
                Native.close(fd);
                return Mono.error(e);
            }
            sa = SockAddr.encode(address);
            // Freed once the kernel is done with it: after the CQE (also when cancelled), or when
            // the op never reaches the kernel.
            Op op = Op.builder(Opcode.CONNECT).fd(conn.sharedFd()).addr(sa.address).offset(sa.length)
                    .whenKernelDone(sa::close).name("connect").target(target).build();
            if (connectTimeout != null) {
                op = op.withTimeout(connectTimeout);
            }
            AtomicBoolean delivered = new AtomicBoolean();
            return loop.submit(op)
                    .map(res -> conn)
                    .doOnNext(c -> delivered.set(true))
                    .doOnError(e -> conn.dispose())
                    .doFinally(signal -> {
                        if (signal == SignalType.CANCEL && !delivered.get()) {
                            // The CQE may still come: the hook frees the sockaddr after it, and
                            // SharedFd closes the socket only once the CONNECT has completed.
                            conn.dispose();
                        }
                    });
        });
    }
}
