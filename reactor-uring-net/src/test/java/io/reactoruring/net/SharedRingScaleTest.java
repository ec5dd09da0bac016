package io.reactoruring.net;

import static io.reactoruring.net.LoopAwait.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;

/**
 * The loop's shared receive ring at scale and under hostile peers: thousands of idle connections
 * (their client ends in a child JVM) cost the server almost no native memory and give all of it
 * back; a connection that never releases its buffers keeps only its cap; connections that empty
 * the ring are counted and everyone recovers when buffers come back.
 */
class SharedRingScaleTest {
    private static final Duration T = LoopbackFixture.T;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("shared-ring-test", 1);

    private static UringLoop loop() {
        return net.loop();
    }

    @Test
    void thousandsOfIdleConnectionsCostLittleNativeMemoryAndAllOfItComesBack() throws Exception {
        int connections = 4000;
        UringServer server = net.bind(net.server().port(0).handle((in, out) -> out.sendPooled(in.receive())));
        // Warm-up: the shared ring is registered, used and given back once, so the pool holds its blocks.
        byte[] small = LoopbackFixture.pattern(1000, 1);
        assertThat(LoopbackFixture.echo(server.port(), small)).isEqualTo(small);
        assertThat(awaitOnLoop(loop(), () -> server.activeConnections() == 0 && SharedReceiveRings.count(loop()) == 0))
                .isTrue();
        long nativeBefore = NativeMemory.allocatedBytes();
        long pooledBefore = loop().bufferPool().outstanding();

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                IdleClientsMain.class.getName(), String.valueOf(server.port()), String.valueOf(connections))
                .redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("open " + connections);
            assertThat(awaitOnLoop(loop(), () -> server.activeConnections() == connections)).isTrue();
            // Each connection's receive is armed on the loop (its handler subscribed at accept).
            long perConnection = (NativeMemory.allocatedBytes() - nativeBefore) / connections;
            assertThat(perConnection).as("library native bytes per idle connection, the shared ring included")
                    .isLessThanOrEqualTo(2 * 1024);

            // With all of them open, a new connection still echoes, intact.
            byte[] payload = LoopbackFixture.pattern(256 * 1024, 7);
            assertThat(LoopbackFixture.echo(server.port(), payload)).isEqualTo(payload);

            OutputStream stdin = child.getOutputStream();
            stdin.write('\n');
            stdin.flush();
            assertThat(out.readLine()).isEqualTo("closed");
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(awaitOnLoop(loop(), () -> server.activeConnections() == 0)).isTrue();
        // Back to the baseline, give or take what does not scale with connections: a pool size class
        // first used by the 256 KiB echo, the loop's completion array grown by the burst of accepts.
        assertThat(awaitOnLoop(loop(), () -> SharedReceiveRings.count(loop()) == 0
                        && loop().bufferPool().outstanding() == pooledBefore
                        && NativeMemory.allocatedBytes() <= nativeBefore + 512 * 1024))
                .as("native %d -> %d, pooled %d -> %d", nativeBefore, NativeMemory.allocatedBytes(), pooledBefore,
                        loop().bufferPool().outstanding())
                .isTrue();
    }

    /** A server whose connections take every buffer and never release one until {@code held} is drained. */
    private static UringServer hoarder(int bufferSize, int cap, Queue<PooledBuffer> held, AtomicInteger maxPerConnection) {
        return net.server().port(0).receiveBufferSize(bufferSize).receiveBufferRing(cap)
                .handle((in, out) -> {
                    AtomicInteger mine = new AtomicInteger();
                    return in.receive().doOnNext(pb -> {
                        maxPerConnection.accumulateAndGet(mine.incrementAndGet(), Math::max);
                        held.add(pb.retain()); // kept past onNext
                    }).then();
                })
                .bindNow(T);
    }

    private static void releaseAll(Queue<PooledBuffer> held) {
        PooledBuffer pb;
        while ((pb = held.poll()) != null) {
            pb.release();
        }
    }

    /** Writes into a non-blocking socket until its buffers are full: the server side has data for ever. */
    private static SocketChannel flood(int port) throws Exception {
        SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
        c.configureBlocking(false);
        ByteBuffer b = ByteBuffer.allocate(4 * 1024 * 1024);
        c.write(b);
        return c;
    }

    @Test
    void aConnectionThatNeverReleasesKeepsOnlyItsCapAndOthersEcho() throws Exception {
        int bufferSize = 16 * 1024;
        int cap = 4;
        Queue<PooledBuffer> held = new ConcurrentLinkedQueue<>();
        AtomicInteger maxPerConnection = new AtomicInteger();
        UringServer hoarding = hoarder(bufferSize, cap, held, maxPerConnection);
        UringServer echoing = net.bind(net.server().port(0).receiveBufferSize(bufferSize).receiveBufferRing(cap)
                .handle((in, out) -> out.sendPooled(in.receive())));
        try (SocketChannel greedy = flood(hoarding.port())) {
            assertThat(awaitOnLoop(loop(), () -> held.size() == cap)).as("the hoarder reached its cap").isTrue();
            for (int i = 0; i < 20; i++) {
                byte[] payload = LoopbackFixture.pattern(200 * 1024, i);
                assertThat(LoopbackFixture.echo(echoing.port(), payload)).as("echo %d beside the hoarder", i).isEqualTo(payload);
            }
            assertThat(held).as("the hoarder took nothing more meanwhile").hasSize(cap);
        } finally {
            hoarding.disposeNow(Duration.ZERO); // its handler never ends by itself: close its connections at once
            releaseAll(held);
        }
        assertThat(maxPerConnection.get()).isEqualTo(cap);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "multishot={0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {false, true})
    void aReceiveAtItsCapEndsWhenItsConnectionIsDisposed(boolean multishot) throws Exception {
        String multishotBefore = System.getProperty(RingReceive.MULTISHOT_PROPERTY);
        System.setProperty(RingReceive.MULTISHOT_PROPERTY, String.valueOf(multishot));
        int cap = 2;
        Queue<PooledBuffer> held = new ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicReference<UringConnection> connection = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean ended = new java.util.concurrent.atomic.AtomicBoolean();
        UringServer server = net.server().port(0).receiveBufferSize(16 * 1024).receiveBufferRing(cap)
                .doOnConnection(connection::set)
                .handle((in, out) -> in.receive().doOnNext(pb -> held.add(pb.retain()))
                        .doFinally(signal -> ended.set(true)).then())
                .bindNow(T);
        try (SocketChannel greedy = flood(server.port())) {
            // At its cap the receive has no RECV in the kernel: nothing there can tell it of the close.
            assertThat(awaitOnLoop(loop(), () -> held.size() == cap)).as("the receive reached its cap").isTrue();
            connection.get().dispose();
            assertThat(awaitOnLoop(loop(), ended::get))
                    .as("the receive ended with its connection, before any buffer was released").isTrue();
            assertThat(held).as("nothing delivered after the close").hasSize(cap);
        } finally {
            LoopbackFixture.restoreProperty(RingReceive.MULTISHOT_PROPERTY, multishotBefore);
            releaseAll(held);
            server.disposeNow(T);
        }
    }

    @Test
    void hoardersThatEmptyTheRingAreCountedAndEveryoneRecovers() throws Exception {
        // Whole buffers: with incremental consumption, hoarders at their cap may hold slices of buffers
        // the kernel is still filling, and the ring is not empty (IncrementalReceiveTest covers that).
        String incrementalBefore = System.getProperty(SharedReceiveRings.INCREMENTAL_PROPERTY);
        System.setProperty(SharedReceiveRings.INCREMENTAL_PROPERTY, "false");
        try {
            hoardersEmptyTheRing();
        } finally {
            LoopbackFixture.restoreProperty(SharedReceiveRings.INCREMENTAL_PROPERTY, incrementalBefore);
        }
    }

    private void hoardersEmptyTheRing() throws Exception {
        int bufferSize = 64 * 1024;
        int cap = 4;
        int ringEntries = SharedReceiveRings.entriesFor(bufferSize, cap);
        int hoarders = ringEntries / cap; // together they hold the whole ring
        Queue<PooledBuffer> held = new ConcurrentLinkedQueue<>();
        AtomicInteger maxPerConnection = new AtomicInteger();
        UringServer hoarding = hoarder(bufferSize, cap, held, maxPerConnection);
        UringServer echoing = net.bind(net.server().port(0).receiveBufferSize(bufferSize).receiveBufferRing(cap)
                .handle((in, out) -> out.sendPooled(in.receive())));
        List<SocketChannel> greedy = new ArrayList<>();
        try {
            for (int i = 0; i < hoarders; i++) {
                greedy.add(flood(hoarding.port()));
            }
            assertThat(awaitOnLoop(loop(), () -> held.size() == ringEntries)).as("the ring is held by the hoarders")
                    .isTrue();
            long exhaustedBefore = loop().metrics().bufferRingExhaustions();
            byte[] payload = LoopbackFixture.pattern(300 * 1024, 3);
            CompletableFuture<byte[]> echoed = CompletableFuture.supplyAsync(() -> {
                try {
                    return LoopbackFixture.echo(echoing.port(), payload);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertThat(awaitOnLoop(loop(), () -> loop().metrics().bufferRingExhaustions() > exhaustedBefore))
                    .as("the echo connection found the ring empty, and it shows").isTrue();
            // The hoarders let go (disposing their connections): the waiting echo gets buffers and finishes.
            hoarding.disposeNow(Duration.ZERO); // its handler never ends by itself: close its connections at once
            releaseAll(held);
            assertThat(Arrays.equals(echoed.get(30, TimeUnit.SECONDS), payload)).isTrue();
        } finally {
            for (SocketChannel c : greedy) {
                c.close();
            }
            hoarding.disposeNow(Duration.ZERO); // its handler never ends by itself: close its connections at once
            releaseAll(held);
        }
        assertThat(maxPerConnection.get()).isLessThanOrEqualTo(cap);
        assertThat(awaitOnLoop(loop(), () -> SharedReceiveRings.count(loop()) == 0)).as("the ring both servers shared is gone")
                .isTrue();
        Mono.fromRunnable(() -> { }).subscribeOn(loop()).block(T);
    }
}
