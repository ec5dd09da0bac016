package io.reactoruring.net;

import io.reactoruring.core.Errno;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.internal.Native;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** struct sockaddr_in / sockaddr_in6 in native memory, and the validation done before the kernel. */
final class SockAddr implements AutoCloseable {
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_STREAM = 1;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int IPPROTO_TCP = 6;
    static final int TCP_NODELAY = 1;
    static final int SOCK_CLOEXEC = 02000000;
    /**
     * O_NONBLOCK on a connection's socket. io_uring's own SEND/RECV/CONNECT mostly ignore it (they
     * pass MSG_DONTWAIT themselves and wait with internal polls), but IORING_OP_SPLICE runs on an io-wq
     * worker and would park it on a full blocking socket; on a non-blocking one it answers -EAGAIN
     * and {@link FileSender} waits for POLLOUT instead. A SEND the kernel gives up polling for and
     * retries from a worker also answers -EAGAIN: {@link RingWrites} then waits for POLLOUT too.
     */
    static final int SOCK_NONBLOCK = 04000;
    /** poll(2)'s POLLOUT: room to write (IORING_OP_POLL_ADD's mask). */
    static final int POLLOUT = 4;

    private static final int SIZE = 32; // >= sizeof(sockaddr_in6) == 28
    private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    final long address;
    final int length;
    private boolean freed;

    private SockAddr(long address, int length) {
        this.address = address;
        this.length = length;
    }

    static int checkPort(int port, boolean allowZero) {
        if (port < (allowZero ? 0 : 1) || port > 65535) {
            throw new IllegalArgumentException("port must be in " + (allowZero ? "0" : "1") + "..65535, was " + port);
        }
        return port;
    }

    static String checkHost(String host) {
        java.util.Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        return host;
    }

    /** Resolves {@code host} on the calling thread (may block on DNS for names that are not literals). */
    static InetSocketAddress resolve(String host, int port) throws UnknownHostException {
        InetAddress a = InetAddress.getByName(host);
        return new InetSocketAddress(a, port);
    }

    /**
     * Resolves {@code host}: an IP literal at once on the subscribing thread, a name on
     * {@code Schedulers.boundedElastic()} (the lookup may read files or wait for DNS, which must not
     * happen on a loop thread). Errors with {@link UnknownHostException}.
     */
    static reactor.core.publisher.Mono<InetSocketAddress> resolveLater(String host, int port) {
        reactor.core.publisher.Mono<InetSocketAddress> lookup = reactor.core.publisher.Mono.fromCallable(() -> resolve(host, port));
        return isLiteral(host) ? lookup : lookup.subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic());
    }

    /**
     * An IPv6 literal (or a malformed one: InetAddress rejects a string with a colon without a
     * lookup) or a dotted-quad IPv4 literal; anything else may need a lookup.
     */
    static boolean isLiteral(String host) {
        return host.indexOf(':') >= 0 || IPV4.matcher(host).matches();
    }


    static int domain(InetSocketAddress a) {
        return a.getAddress() instanceof Inet6Address ? AF_INET6 : AF_INET;
    }

    static String describe(InetSocketAddress a) {
        String h = a.getAddress().getHostAddress();
        return (a.getAddress() instanceof Inet6Address ? "[" + h + "]" : h) + ":" + a.getPort();
    }

    /** Encodes {@code a}; the caller owns the memory and must {@link #close()} it after the op's CQE. */
    static SockAddr encode(InetSocketAddress a) {
        long mem = NativeMemory.allocate(SIZE, 8);
        ByteBuffer b = Native.wrap(mem, SIZE);
        for (int i = 0; i < SIZE; i++) {
            b.put(i, (byte) 0);
        }
        byte[] ip = a.getAddress().getAddress(); // network byte order already
        b.order(ByteOrder.nativeOrder()).putShort(0, (short) domain(a));
        b.order(ByteOrder.BIG_ENDIAN).putShort(2, (short) a.getPort());
        int len;
        if (ip.length == 4) {
            b.position(4);
            b.put(ip);
            len = 16;
        } else {
            b.position(8); // after family, port and flowinfo
            b.put(ip);
            b.order(ByteOrder.nativeOrder()).putInt(24, ((Inet6Address) a.getAddress()).getScopeId());
            len = 28;
        }
        return new SockAddr(mem, len);
    }

    /** The port a socket is bound to (getsockname). */
    static int localPort(int fd, String target) throws Exception {
        long mem = NativeMemory.allocate(128, 8);
        try {
            int res = Native.getsockname(fd, mem, 128);
            if (res < 0) {
                throw Errno.exception(res, "getsockname", target);
            }
            return Short.toUnsignedInt(Native.wrap(mem, 128).order(ByteOrder.BIG_ENDIAN).getShort(2));
        } finally {
            NativeMemory.free(mem, 128);
        }
    }

    /** socket(2) for {@code a}'s family. */
    static int socket(InetSocketAddress a, String target) throws Exception {
        return socket(a, target, 0);
    }

    /** socket(2) for {@code a}'s family with {@code typeFlags} ({@link #SOCK_NONBLOCK}, {@link #SOCK_CLOEXEC}). */
    static int socket(InetSocketAddress a, String target, int typeFlags) throws Exception {
        int fd = Native.socket(domain(a), SOCK_STREAM | typeFlags, 0);
        if (fd < 0) {
            throw Errno.exception(fd, "socket", target);
        }
        return fd;
    }

    static void setOption(int fd, int level, int option, int value, String name, String target) throws Exception {
        int res = Native.setsockoptInt(fd, level, option, value);
        if (res < 0) {
            throw Errno.exception(res, "setsockopt(" + name + ")", target);
        }
    }

    /** Rethrows checked exceptions from {@link Errno#exception} unchanged (they are IOExceptions). */
    static RuntimeException unchecked(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof IOException io) {
            return new java.io.UncheckedIOException(io.getMessage(), io);
        }
        return new IllegalStateException(t.getMessage(), t);
    }

    @Override
    public synchronized void close() {
        if (!freed) {
            freed = true;
            NativeMemory.free(address, SIZE);
        }
    }
}
