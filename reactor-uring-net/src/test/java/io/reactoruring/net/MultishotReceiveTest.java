package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.testing.CancelStorm;
import io.reactoruring.core.testing.Fds;
import io.reactoruring.core.testing.Poll;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The multishot receive over the loop's shared incremental ring (Linux 6.17+, {@link RingReceive}):
 * an echoed request costs about one ring op (its SEND) instead of two, and a connection whose
 * subscriber stops asking for more takes no more than its cap from the ring, so fifty others still
 * echo beside it; a storm of cancelled multishot receives gives everything back.
 */
class MultishotReceiveTest {
    private static final Duration T = LoopbackFixture.T;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("multishot-receive-test", 1);

    private static UringLoop loop() {
        return net.loop();
    }

    /** What this kernel gets by default: multishot where the byte limit exists (6.17) and rings are incremental (6.12). */
    private static boolean kernelMultishot() {
        return io.reactoruring.core.internal.KernelVersion.runningAtLeast(6, 17);
    }

    private @org.jspecify.annotations.Nullable String multishotBefore;

    @BeforeEach
    void multishotOn() {
        multishotBefore = System.getProperty(RingReceive.MULTISHOT_PROPERTY);
        System.setProperty(RingReceive.MULTISHOT_PROPERTY, "true"); // the default, unless the run turned it off
    }

    @AfterEach
    void defaultMode() {
        LoopbackFixture.restoreProperty(RingReceive.MULTISHOT_PROPERTY, multishotBefore);
    }

    /** The loop's metrics read on the loop thread (off it they are as last published, an iteration behind). */
    private static UringMetrics metrics() {
        return Mono.fromCallable(() -> loop().metrics()).subscribeOn(loop()).block(T);
    }

    private static List<BufferRing> rings() {
        return Mono.fromCallable(() -> SharedReceiveRings.rings(loop())).subscribeOn(loop()).block(T);
    }

    private static void roundTrip(SocketChannel c, ByteBuffer out, ByteBuffer in) throws Exception {
        out.clear();
        while (out.hasRemaining()) {
            c.write(out);
        }
        in.clear();
        while (in.hasRemaining()) {
            if (c.read(in) < 0) {
                throw new AssertionError("the server closed the connection");
            }
        }
        in.flip();
        out.flip();
        assertThat(in).isEqualTo(out);
    }

    @ParameterizedTest(name = "multishot={0}")
    @ValueSource(booleans = {true, false})
    void twoThousandSequentialEchoesCostAboutOneRingOpEach(boolean multishot) throws Exception {
        System.setProperty(RingReceive.MULTISHOT_PROPERTY, String.valueOf(multishot));
        int requests = 2000;
        UringServer server = net.bind(net.server().port(0).handle((in, out) -> out.sendPooled(in.receive())));
        try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()))) {
            ByteBuffer out = ByteBuffer.allocate(64);
            ByteBuffer in = ByteBuffer.allocate(64);
            for (int i = 0; i < 64; i++) {
                out.put(i, (byte) (i * 7));
            }
            roundTrip(c, out, in); // the connection's receive is armed
            UringMetrics before = metrics();
            for (int i = 0; i < requests; i++) {
                out.put(0, (byte) i);
                roundTrip(c, out, in);
            }
            UringMetrics after = metrics();
            double ops = (after.submitted() - before.submitted()) / (double) requests;
            double cqes = (after.completed() - before.completed()) / (double) requests;
            if (multishot && kernelMultishot()) {
                assertThat(ops).as("ring ops per echoed request (%.3f CQEs)", cqes).isLessThanOrEqualTo(1.1);
            } else {
                // One RECV and one SEND per request: what the multishot receive saves.
                assertThat(ops).as("ring ops per echoed request, single-shot (%.3f CQEs)", cqes).isGreaterThanOrEqualTo(1.9);
            }
        }
    }

    @Test
    void aKernelThatRefusesTheMultishotRecvFallsBackToSingleRecvs() throws Exception {
        // MSG_WAITALL makes any kernel refuse a multishot RECV (EINVAL), as one without the byte limit would.
        RingReceive.testMultishotMsgFlags = RingReceive.MSG_WAITALL;
        try {
            int requests = 200;
            UringServer server = net.bind(net.server().port(0).handle((in, out) -> out.sendPooled(in.receive())));
            try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()))) {
                ByteBuffer out = ByteBuffer.allocate(64);
                ByteBuffer in = ByteBuffer.allocate(64);
                roundTrip(c, out, in);
                UringMetrics before = metrics();
                for (int i = 0; i < requests; i++) {
                    out.put(0, (byte) i);
                    roundTrip(c, out, in);
                }
                double ops = (metrics().submitted() - before.submitted()) / (double) requests;
                assertThat(RingReceive.multishotRefused()).isEqualTo(kernelMultishot());
                assertThat(ops).as("one RECV and one SEND per request").isGreaterThanOrEqualTo(1.9);
            }
        } finally {
            RingReceive.testMultishotMsgFlags = 0;
            RingReceive.resetMultishotRefused();
        }
    }

    /** Writes into a non-blocking socket until its buffers are full: the server side has data for ever. */
    private static SocketChannel flood(int port) throws Exception {
        SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        c.configureBlocking(false);
        c.write(ByteBuffer.allocate(8 * 1024 * 1024));
        return c;
    }

    @Test
    void aHoarderWithNoDemandAndAMultishotArmedStarvesNoneOfFiftyOthers() throws Exception {
        int cap = ConnectionSettings.DEFAULT_RING_ENTRIES;
        int firstAsk = 2;
        Queue<PooledBuffer> held = new ConcurrentLinkedQueue<>();
        List<BaseSubscriber<PooledBuffer>> hoarders = new ArrayList<>();
        // Asks for two buffers, keeps them, and never asks again: its multishot is armed with demand,
        // then the peer keeps sending into it.
        UringServer hoarding = net.server().port(0).handle((in, out) -> Mono.<Void>create(done ->
                in.receive().subscribe(new BaseSubscriber<PooledBuffer>() {
                    @Override
                    protected void hookOnSubscribe(Subscription s) {
                        synchronized (hoarders) {
                            hoarders.add(this);
                        }
                        s.request(firstAsk);
                    }

                    @Override
                    protected void hookOnNext(PooledBuffer pb) {
                        held.add(pb.retain());
                    }

                    @Override
                    protected void hookOnCancel() {
                        done.success(); // the handler ends: the connection closes without a grace period
                    }
                }))).bindNow(T);
        UringServer echoing = net.bind(net.server().port(0).handle((in, out) -> out.sendPooled(in.receive())));
        ExecutorService pool = Executors.newFixedThreadPool(10);
        try (SocketChannel greedy = flood(hoarding.port())) {
            assertThat(io.reactoruring.core.testing.Poll.until(() -> held.size() == firstAsk))
                    .as("the hoarder got what it asked for").isTrue();
            // Its receive keeps taking until it holds its cap, then stops: the ring keeps the rest.
            BufferRing ring = rings().get(0);
            assertThat(LoopAwait.awaitOnLoop(loop(), () -> ring.outstanding() >= firstAsk)).isTrue();
            List<Future<byte[]>> echoes = new ArrayList<>();
            List<byte[]> payloads = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                byte[] payload = LoopbackFixture.pattern(64 * 1024, i);
                payloads.add(payload);
                echoes.add(pool.submit(() -> LoopbackFixture.echo(echoing.port(), payload)));
            }
            for (int i = 0; i < 50; i++) {
                assertThat(echoes.get(i).get(60, TimeUnit.SECONDS)).as("echo %d beside the hoarder", i)
                        .isEqualTo(payloads.get(i));
            }
            assertThat(held).as("the hoarder was given nothing it did not ask for").hasSize(firstAsk);
            int outstanding = Mono.fromCallable(ring::outstanding).subscribeOn(loop()).block(T);
            // The hoarder's cap of slices, which may straddle one more buffer than the cap, and nothing else.
            assertThat(outstanding).as("ring buffers held with the hoarder stuck").isLessThanOrEqualTo(cap + 1);
        } finally {
            pool.shutdownNow();
            synchronized (hoarders) {
                hoarders.forEach(BaseSubscriber::dispose); // what it was sent and never asked for goes back
            }
            hoarding.disposeNow(T);
            PooledBuffer pb;
            while ((pb = held.poll()) != null) {
                pb.release();
            }
        }
        assertThat(io.reactoruring.core.testing.Poll.until(() -> echoing.activeConnections() == 0)).isTrue();
        assertThat(LoopAwait.awaitOnLoop(loop(), () -> SharedReceiveRings.count(loop()) == 0))
                .as("the ring is given back once every connection is gone").isTrue();
    }

    /** Native memory in use: what the library allocated, less what the pools keep free for reuse. */
    private static long nativeInUse() {
        return NativeMemory.allocatedBytes() - loop().bufferPool().cachedBytes();
    }

    /**
     * Clients whose receives run multishot are cancelled at random (harness {@link CancelStorm}): every
     * ring buffer, pooled buffer (the fixture checks), native byte and fd comes back, none released twice.
     */
    @Test
    void aCancelStormOfMultishotReceivesGivesEverythingBack() throws Exception {
        int size = 48 * 1024;
        String payload = "x".repeat(size);
        long sockets = Fds.sockets(); // the server's listening socket is closed at the end too
        UringServer server = net.server().port(0).handle((in, out) -> out.sendPooled(in.receive())).bindNow(T);
        // Warm-up: the ring and the pools' blocks are used once before the baseline.
        warmUp(server.port(), payload, size);
        assertThat(Poll.until(() -> server.activeConnections() == 0)).isTrue();
        assertThat(LoopAwait.awaitOnLoop(loop(), () -> SharedReceiveRings.count(loop()) == 0)).isTrue();
        long nativeBefore = nativeInUse();
        long doubleReleases = PooledBuffer.doubleReleases();
        AtomicInteger finished = new AtomicInteger();
        try {
            CancelStorm.run(300, 16, new SplittableRandom(5), i -> exchange(server.port(), payload, size),
                    n -> finished.incrementAndGet());
        } finally {
            assertThat(Poll.until(() -> server.activeConnections() == 0))
                    .as("every server connection closed: %d open, clients connected %d, disposed %d", server.activeConnections(),
                            CONNECTED.get(), DISPOSED.get())
                    .isTrue();
            server.disposeNow(T);
        }
        assertThat(finished.get()).as("some exchanges ran to the end").isPositive();
        assertThat(Poll.until(() -> SharedReceiveRings.count(loop()) == 0
                && nativeInUse() <= nativeBefore + 512 * 1024 && Fds.sockets() == sockets))
                .as("rings %d, native in use %d -> %d, sockets %d -> %d", SharedReceiveRings.count(loop()), nativeBefore,
                        nativeInUse(), sockets, Fds.sockets())
                .isTrue();
        assertThat(PooledBuffer.doubleReleases()).as("no buffer released twice").isEqualTo(doubleReleases);
    }

    private static void warmUp(int port, String payload, int size) {
        assertThat(exchange(port, payload, size).blockLast(T)).isEqualTo(size);
    }

    /** Connects, sends {@code payload} and receives its echo: the running byte count, until all of it. */
    private static final AtomicInteger CONNECTED = new AtomicInteger();
    private static final AtomicInteger DISPOSED = new AtomicInteger();

    private static Flux<Integer> exchange(int port, String payload, int size) {
        return Flux.usingWhen(net.client().port(port).connect().doOnNext(c -> {
                    CONNECTED.incrementAndGet();
                    c.onDispose().subscribe(null, null, DISPOSED::incrementAndGet);
                }),
                c -> c.sendString(Mono.just(payload)).then()
                        .thenMany(c.receive().map(pb -> pb.buffer().remaining()))
                        .scan(0, Integer::sum)
                        .takeUntil(n -> n >= size)
                        .filter(n -> n > 0),
                c -> Mono.fromRunnable(c::dispose));
    }
}
