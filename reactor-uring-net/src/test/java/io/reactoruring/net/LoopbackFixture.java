package io.reactoruring.net;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Test fixture for loopback tests: one loop group per test class (created before its tests, disposed
 * after them) and the server the running test bound through {@link #bind}, disposed at once (no grace
 * period) after that test. Register it as
 * {@code @RegisterExtension static final LoopbackFixture net = new LoopbackFixture("name", 1);}.
 *
 * <p>The transport comes from the test class: io_uring, or the NIO fallback for classes that
 * implement {@link OnNio} (a subclass {@code class NioEchoTest extends EchoTest implements OnNio}
 * runs every test of EchoTest again on NIO). Servers and clients made through {@link #server()}
 * and {@link #client()} use it, and {@link #outstanding()} / {@link #await} look where its buffers are.
 */
final class LoopbackFixture implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    static final Duration T = Duration.ofSeconds(10);
    private final String name;
    private final int loops;
    private UringLoopGroup group;
    private UringServer server;
    private Transport transport = Transport.IO_URING;
    private long outstandingBefore;
    private final java.util.Queue<Throwable> dropped = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /** Marks a test class whose tests run on the NIO fallback. */
    interface OnNio {
    }

    LoopbackFixture(String name, int loops) {
        this.name = name;
        this.loops = loops;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        transport = OnNio.class.isAssignableFrom(context.getRequiredTestClass()) ? Transport.NIO : Transport.IO_URING;
        group = UringLoopGroup.create(name, loops, RingOptions.defaults());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        group.disposeLater().block(T);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        outstandingBefore = outstanding();
        dropped.clear();
        reactor.core.publisher.Hooks.onErrorDropped(dropped::add);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        stopServer();
        reactor.core.publisher.Hooks.resetOnErrorDropped();
        // An error nobody could receive (a double release, say) is a bug, not noise.
        if (context.getExecutionException().isEmpty() && !dropped.isEmpty()) {
            AssertionError e = new AssertionError(context.getDisplayName() + " dropped " + dropped.size() + " error(s)");
            dropped.forEach(e::addSuppressed);
            throw e;
        }
        // Each test returns what it took, so a leak fails the test that made it, not a later one.
        if (context.getExecutionException().isEmpty() && !await(() -> outstanding() == outstandingBefore)) {
            throw new AssertionError(context.getDisplayName() + " left " + (outstanding() - outstandingBefore)
                    + " pooled buffers out");
        }
    }

    /**
     * Puts a system property back as it was: {@code before} ({@code System.getProperty} read when the
     * test changed it), or none. Clearing it instead would undo a value the whole run was started
     * with (e.g. {@code -DargLine=-Dreactoruring.net.multishotReceive=true}) for every later class.
     */
    static void restoreProperty(String key, @org.jspecify.annotations.Nullable String before) {
        if (before == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, before);
        }
    }

    UringLoopGroup group() {
        return group;
    }

    /** The group's first loop. */
    UringLoop loop() {
        return group.loops().get(0);
    }

    Transport transport() {
        return transport;
    }

    boolean nio() {
        return transport == Transport.NIO;
    }

    /** A server builder on this class's transport (and group). */
    UringTcpServer server() {
        return UringTcpServer.create().group(group).transport(transport);
    }

    /** A client builder on this class's transport (and group), no port yet. */
    UringTcpClient client() {
        return UringTcpClient.create().group(group).transport(transport);
    }

    /** Pooled buffers out of this transport's pools: every loop's, or the NIO fallback's. */
    long outstanding() {
        if (nio()) {
            return Transport.NIO_POOL.outstanding();
        }
        return group.loops().stream().mapToLong(l -> l.bufferPool().outstanding()).sum();
    }

    /** The pool a test may take buffers to send from: the first loop's, or the NIO fallback's. */
    io.reactoruring.core.buffer.BufferPool pool() {
        return nio() ? Transport.NIO_POOL : loop().bufferPool();
    }

    /**
     * Waits for {@code condition}, which the transport's threads make true: on io_uring with round
     * trips on each loop (release hooks run there just after signals), on NIO by re-checking for
     * up to {@link #T} (its threads have no task queue to go round).
     */
    boolean await(java.util.function.BooleanSupplier condition) {
        if (!nio()) {
            for (UringLoop l : group.loops()) {
                if (!LoopAwait.awaitOnLoop(l, condition)) {
                    return false;
                }
            }
            return true;
        }
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
        }
        return true;
    }

    /**
     * Lets the transport's threads run a little: one round trip on the first loop, or on NIO one
     * through another thread (the fallback's threads take no tasks).
     */
    void roundTrip() {
        Mono.fromRunnable(() -> { }).subscribeOn(nio() ? reactor.core.scheduler.Schedulers.parallel() : loop()).block(T);
    }

    /**
     * True once {@code count} stays the same for 100 consecutive {@link #roundTrip}s (within 20,000):
     * a sender that stalled (a peer that reads nothing) stops moving it.
     */
    boolean stalls(java.util.function.LongSupplier count) {
        long last = -1;
        int still = 0;
        for (int i = 0; i < 20_000 && still < 100; i++) {
            long now = count.getAsLong();
            still = now == last ? still + 1 : 0;
            last = now;
            roundTrip();
        }
        return still == 100;
    }

    /** An int or boolean (1/0) socket option as the kernel has it on {@code c}'s socket. */
    static int option(UringConnection c, java.net.SocketOption<?> option) {
        if (c.io() instanceof NioConnectionIo nio) {
            try {
                Object v = nio.channel().getOption(option);
                if (v instanceof Boolean b) {
                    return b ? 1 : 0;
                }
                // On Linux the JDK halves the buffer sizes getsockopt reports (the kernel doubles the
                // requested size for its bookkeeping), so the kernel's figure is twice this.
                return 2 * (Integer) v;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        int[] where = option == java.net.StandardSocketOptions.TCP_NODELAY ? new int[] {SockAddr.IPPROTO_TCP, SockAddr.TCP_NODELAY}
                : option == java.net.StandardSocketOptions.SO_KEEPALIVE ? new int[] {SockAddr.SOL_SOCKET, SocketOptions.SO_KEEPALIVE}
                : option == java.net.StandardSocketOptions.SO_RCVBUF ? new int[] {SockAddr.SOL_SOCKET, SocketOptions.SO_RCVBUF}
                : option == java.net.StandardSocketOptions.SO_SNDBUF ? new int[] {SockAddr.SOL_SOCKET, SocketOptions.SO_SNDBUF}
                : null;
        if (where == null) {
            throw new IllegalArgumentException("no getsockopt mapping for " + option);
        }
        return io.reactoruring.core.internal.Native.getsockoptInt(c.sharedFd().fd(), where[0], where[1]);
    }

    /** True on the thread a connection's signals arrive on: its loop, or a NIO fallback thread. */
    boolean onIoThread(UringConnection c) {
        return nio() ? Thread.currentThread().getName().startsWith("reactor-uring-nio-")
                && reactor.core.scheduler.Schedulers.isInNonBlockingThread() : c.loop().inLoop();
    }

    /** Binds {@code server} on this group; it is disposed after the running test (or by {@link #stopServer}). */
    UringServer bind(UringTcpServer server) {
        this.server = server.group(group).transport(transport).bindNow(T);
        return this.server;
    }

    /** Disposes the server bound last, with no grace period; nothing if it is already gone. */
    void stopServer() {
        if (server != null) {
            server.disposeLater(Duration.ZERO).block(T);
            server = null;
        }
    }

    /** A client of {@code server} on this group. */
    UringTcpClient client(UringServer server) {
        return client().port(server.port());
    }

    /** Binds a server (any port) that collects what a connection sends until the peer closes, into {@code received}. */
    UringServer collectingServer(Sinks.One<byte[]> received) {
        return bind(UringTcpServer.create().port(0)
                .handle((in, out) -> collect(in.receive()).doOnNext(received::tryEmitValue).then()));
    }

    /** The bytes of {@code buffers} (lent by receive(), which releases them) in order. */
    static Mono<byte[]> collect(Flux<PooledBuffer> buffers) {
        return buffers.reduce(new ByteArrayOutputStream(), (acc, pb) -> {
            byte[] chunk = new byte[pb.buffer().remaining()];
            pb.buffer().duplicate().get(chunk);
            acc.write(chunk, 0, chunk.length);
            return acc;
        }).map(ByteArrayOutputStream::toByteArray);
    }

    /** {@code size} bytes of a pattern that differs per {@code seed} and does not repeat every 256 bytes. */
    static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + seed + (i >>> 9));
        }
        return b;
    }

    /** Echoes {@code payload} over a new blocking connection to {@code port}; the echo, byte for byte. */
    static byte[] echo(int port, byte[] payload) throws Exception {
        try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(
                new java.net.InetSocketAddress("127.0.0.1", port))) {
            java.util.concurrent.CompletableFuture<Void> writing = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    c.write(java.nio.ByteBuffer.wrap(payload));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(payload.length);
            while (in.hasRemaining() && c.read(in) >= 0) {
                // blocking reads until the whole echo is back
            }
            writing.get(30, java.util.concurrent.TimeUnit.SECONDS);
            return in.array();
        }
    }
}
