package io.reactoruring.net;

import static io.reactoruring.net.LoopAwait.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.testing.Fds;
import io.reactoruring.core.testing.Poll;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;

/**
 * receive() over the loop's shared ring with incremental consumption (IOU_PBUF_RING_INC) and without
 * it ({@value SharedReceiveRings#INCREMENTAL_PROPERTY}{@code =false}, and what a kernel before 6.12
 * gets): every test runs both ways. With it, small held messages share ring buffers; either way the
 * bytes arrive intact and in order, and every buffer, pool block, native byte and fd comes back.
 */
class IncrementalReceiveTest {
    private static final Duration T = LoopbackFixture.T;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("incremental-receive-test", 1);

    private static UringLoop loop() {
        return net.loop();
    }

    /** As the run was started (tests here set the property per test). */
    private static final @org.jspecify.annotations.Nullable String INCREMENTAL_AT_START =
            System.getProperty(SharedReceiveRings.INCREMENTAL_PROPERTY);

    @AfterEach
    void defaultMode() {
        LoopbackFixture.restoreProperty(SharedReceiveRings.INCREMENTAL_PROPERTY, INCREMENTAL_AT_START);
    }

    /** Asks for incremental rings or not (read when a loop's ring is registered). */
    private static void incremental(boolean on) {
        System.setProperty(SharedReceiveRings.INCREMENTAL_PROPERTY, String.valueOf(on));
    }

    /** What the ring must be: incremental when asked for and the kernel (6.12+) has it. */
    private static boolean expectIncremental(boolean asked) {
        String[] v = System.getProperty("os.version").split("[.-]");
        int major = Integer.parseInt(v[0]);
        int minor = Integer.parseInt(v[1]);
        return asked && (major > 6 || major == 6 && minor >= 12);
    }

    /** The loop's one shared receive ring (registered while a receiving connection exists). */
    private static BufferRing theRing() {
        List<BufferRing> rings = Mono.fromCallable(() -> SharedReceiveRings.rings(loop())).subscribeOn(loop()).block(T);
        assertThat(rings).hasSize(1);
        return rings.get(0);
    }

    private static void releaseShuffled(Queue<PooledBuffer> held, Random random) {
        List<PooledBuffer> all = new ArrayList<>();
        PooledBuffer pb;
        while ((pb = held.poll()) != null) {
            all.add(pb);
        }
        Collections.shuffle(all, random);
        all.forEach(PooledBuffer::release);
    }

    /**
     * Native memory in use: what the library allocated, less the loop pool's free lists (a ring
     * registered while another of its shape still had a held slice takes a second block, which the
     * pool keeps for the next ring and frees at its next trim).
     */
    private static long nativeInUse() {
        return NativeMemory.allocatedBytes() - loop().bufferPool().cachedBytes();
    }

    /** The baseline a test must come back to: rings, native memory and sockets (pooled buffers: the fixture). */
    private record Baseline(long nativeBytes, long sockets, long doubleReleases) {
        static Baseline now() {
            return new Baseline(nativeInUse(), Fds.sockets(), PooledBuffer.doubleReleases());
        }

        void assertBack() throws InterruptedException {
            // Give or take what does not scale with the test: the loop's slot and completion tables grown
            // by bursts of accepts.
            assertThat(Poll.until(() -> SharedReceiveRings.count(loop()) == 0
                    && nativeInUse() <= nativeBytes + 512 * 1024 && Fds.sockets() == sockets))
                    .as("rings %d, native in use %d -> %d, sockets %d -> %d", SharedReceiveRings.count(loop()), nativeBytes,
                            nativeInUse(), sockets, Fds.sockets())
                    .isTrue();
            assertThat(loop().metrics().incrementalBufferRings()).as("no incremental ring left registered").isZero();
            assertThat(PooledBuffer.doubleReleases()).isEqualTo(doubleReleases);
        }
    }

    /** Registers (and gives back) the loop's ring once, so its pool holds the blocks before a baseline. */
    private static void warmUp(int bufferSize, int cap) throws Exception {
        long pooled = Mono.fromCallable(() -> loop().bufferPool().outstanding()).subscribeOn(loop()).block(T);
        UringServer echo = UringTcpServer.create().group(net.group()).port(0).receiveBufferSize(bufferSize)
                .receiveBufferRing(cap).handle((in, out) -> out.sendPooled(in.receive())).bindNow(T);
        try {
            try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", echo.port()))) {
                c.write(ByteBuffer.wrap(new byte[100]));
                ByteBuffer back = ByteBuffer.allocate(100);
                while (back.hasRemaining() && c.read(back) >= 0) {
                    // the echo
                }
            }
            // Bounded by a deadline, not a number of loop round trips: the close needs the kernel.
            assertThat(Poll.until(() -> echo.activeConnections() == 0)).as("the warm-up connection closed").isTrue();
        } finally {
            echo.disposeNow(T);
        }
        // The ring's memory back in the pool, which keeps it for the next ring of this shape.
        assertThat(Poll.until(() -> SharedReceiveRings.count(loop()) == 0
                && loop().bufferPool().outstanding() == pooled))
                .as("rings %d, pooled %d -> %d", SharedReceiveRings.count(loop()), pooled, loop().bufferPool().outstanding())
                .isTrue();
    }

    @ParameterizedTest(name = "incremental={0}")
    @ValueSource(booleans = {true, false})
    void aThousandHeldTenByteMessagesShareABufferIncrementallyAndEmptyTheRingWithout(boolean asked) throws Exception {
        incremental(asked);
        int connections = 1000;
        int bufferSize = 16 * 1024;
        int cap = 16;
        warmUp(bufferSize, cap);
        Baseline baseline = Baseline.now();
        int entries = SharedReceiveRings.entriesFor(bufferSize, cap);
        assertThat(entries).as("fewer ring buffers than connections").isLessThan(connections);
        Queue<PooledBuffer> held = new ConcurrentLinkedQueue<>();
        AtomicInteger received = new AtomicInteger();
        AtomicInteger wrong = new AtomicInteger();
        UringServer server = net.bind(net.server().port(0).receiveBufferSize(bufferSize).receiveBufferRing(cap)
                .handle((in, out) -> in.receive().doOnNext(pb -> {
                    if (!StandardCharsets.US_ASCII.decode(pb.buffer().duplicate()).toString().equals("0123456789")) {
                        wrong.incrementAndGet();
                    }
                    held.add(pb.retain()); // every message kept past onNext
                    received.incrementAndGet();
                }).then()));
        long exhaustedBefore = loop().metrics().bufferRingExhaustions();
        List<SocketChannel> clients = new ArrayList<>();
        Random random = new Random(11);
        try {
            for (int i = 0; i < connections; i++) {
                SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()));
                clients.add(c);
                c.write(ByteBuffer.wrap("0123456789".getBytes(StandardCharsets.US_ASCII)));
            }
            assertThat(awaitOnLoop(loop(), () -> server.activeConnections() == connections)).isTrue();
            BufferRing ring = theRing();
            assertThat(ring.entries()).isEqualTo(entries);
            assertThat(ring.incremental()).isEqualTo(expectIncremental(asked));
            if (ring.incremental()) {
                assertThat(loop().metrics().incrementalBufferRings()).isEqualTo(1);
                assertThat(awaitOnLoop(loop(), () -> received.get() == connections)).as("received %s", received).isTrue();
                // 10,000 bytes held in one 16 KiB buffer, which the kernel is still filling.
                assertThat(ring.outstanding()).as("buffers the kernel is done with and users hold").isZero();
                assertThat(ring.available()).isEqualTo(entries);
                assertThat(loop().metrics().bufferRingExhaustions()).as("the ring never ran dry").isEqualTo(exhaustedBefore);
            } else {
                assertThat(loop().metrics().incrementalBufferRings()).isZero();
                // One held 10-byte message per buffer: the ring runs dry after `entries` of them.
                assertThat(awaitOnLoop(loop(), () -> loop().metrics().bufferRingExhaustions() > exhaustedBefore
                        && received.get() == entries)).as("received %s", received).isTrue();
                assertThat(ring.available()).isZero();
                assertThat(ring.outstanding()).isEqualTo(entries);
                Mono.fromRunnable(() -> { }).subscribeOn(loop()).block(T);
                assertThat(received).as("nothing more while every buffer is held").hasValue(entries);
                // Released (in random order), the buffers serve the connections that waited.
                assertThat(awaitOnLoop(loop(), () -> {
                    releaseShuffled(held, random);
                    return received.get() == connections;
                })).as("received %s", received).isTrue();
            }
            releaseShuffled(held, random);
            assertThat(awaitOnLoop(loop(), () -> ring.available() == entries)).as("every buffer back in the ring").isTrue();
        } finally {
            for (SocketChannel c : clients) {
                c.close();
            }
            releaseShuffled(held, random);
        }
        assertThat(wrong).hasValue(0);
        assertThat(Poll.until(() -> server.activeConnections() == 0)).as("open %d, received %d, held %d, %s",
                server.activeConnections(), received.get(), held.size(), loop().metrics()).isTrue();
        server.disposeNow(T);
        baseline.assertBack();
    }

    /** One slice the server kept, and the checksum of its content when it arrived. */
    private record Kept(PooledBuffer buffer, long crc) {
        boolean intact() {
            CRC32 c = new CRC32();
            c.update(buffer.buffer().duplicate());
            return c.getValue() == crc;
        }
    }

    @ParameterizedTest(name = "incremental={0}")
    @ValueSource(booleans = {true, false})
    void randomlySizedStreamsArriveIntactAcrossBufferBoundariesWhileSlicesAreHeldAndReleasedInRandomOrder(boolean asked)
            throws Exception {
        incremental(asked);
        int connections = 32;
        int perConnection = 384 * 1024; // 12 MiB in all: three times the shared ring, so its buffers are reused
        int bufferSize = 64 * 1024;
        warmUp(bufferSize, 8);
        Baseline baseline = Baseline.now();
        Queue<Kept> kept = new ConcurrentLinkedQueue<>();
        AtomicInteger corrupted = new AtomicInteger();
        AtomicInteger sawIncremental = new AtomicInteger();
        UringServer server = net.bind(net.server().port(0).receiveBufferSize(bufferSize).receiveBufferRing(8)
                .handle((in, out) -> {
                    CRC32 stream = new CRC32();
                    long[] bytes = {0};
                    Random keep = new Random(in.hashCode());
                    return in.receive().doOnNext(pb -> {
                        if (pb.capacity() < bufferSize) {
                            sawIncremental.incrementAndGet();
                        }
                        bytes[0] += pb.buffer().remaining();
                        stream.update(pb.buffer().duplicate());
                        if (keep.nextInt(3) == 0) { // a third are kept a while: their memory must stay theirs
                            CRC32 c = new CRC32();
                            c.update(pb.buffer().duplicate());
                            kept.add(new Kept(pb.retain(), c.getValue()));
                        }
                    }).then(Mono.defer(() -> {
                        ByteBuffer answer = ByteBuffer.allocate(16).putLong(bytes[0]).putLong(stream.getValue()).flip();
                        return out.send(Mono.just(answer)).then();
                    }));
                }));
        ExecutorService clients = Executors.newFixedThreadPool(8);
        List<Future<long[]>> results = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                long seed = 1000 + i;
                results.add(clients.submit(() -> {
                    Random r = new Random(seed);
                    CRC32 sent = new CRC32();
                    try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()))) {
                        int left = perConnection;
                        while (left > 0) {
                            // 1 byte to 1.5 buffers: messages end anywhere in a buffer and span buffer ends
                            int size = Math.min(left, 1 + r.nextInt(r.nextBoolean() ? 100 : 96 * 1024));
                            byte[] msg = new byte[size];
                            r.nextBytes(msg);
                            sent.update(msg);
                            ByteBuffer b = ByteBuffer.wrap(msg);
                            while (b.hasRemaining()) {
                                c.write(b);
                            }
                            left -= size;
                        }
                        c.shutdownOutput();
                        ByteBuffer answer = ByteBuffer.allocate(16);
                        while (answer.hasRemaining() && c.read(answer) >= 0) {
                            // the server's count and checksum
                        }
                        answer.flip();
                        return new long[] {perConnection, sent.getValue(), answer.getLong(), answer.getLong()};
                    }
                }));
            }
            // Meanwhile the test releases kept slices in random order, checking each is still intact.
            Random random = new Random(5);
            while (!results.stream().allMatch(Future::isDone)) {
                List<Kept> batch = new ArrayList<>();
                Kept k;
                while ((k = kept.poll()) != null) {
                    batch.add(k);
                }
                Collections.shuffle(batch, random);
                for (Kept each : batch) {
                    if (!each.intact()) {
                        corrupted.incrementAndGet();
                    }
                    each.buffer().release();
                }
                Mono.fromRunnable(() -> { }).subscribeOn(loop()).block(T); // a bounded pause: one loop round trip
            }
            for (Future<long[]> f : results) {
                long[] r = f.get(60, TimeUnit.SECONDS);
                assertThat(r[2]).as("bytes the server received").isEqualTo(r[0]);
                assertThat(r[3]).as("checksum of the bytes the server received, in order").isEqualTo(r[1]);
            }
        } finally {
            clients.shutdownNow();
            Kept k;
            while ((k = kept.poll()) != null) {
                if (!k.intact()) {
                    corrupted.incrementAndGet();
                }
                k.buffer().release();
            }
        }
        assertThat(corrupted).as("kept slices overwritten before their release").hasValue(0);
        if (expectIncremental(asked)) {
            assertThat(sawIncremental.get()).as("slices smaller than a buffer").isPositive();
        } else {
            assertThat(sawIncremental).as("whole buffers only").hasValue(0);
        }
        assertThat(Poll.until(() -> server.activeConnections() == 0)).isTrue();
        server.disposeNow(T);
        baseline.assertBack();
    }

    @ParameterizedTest(name = "incremental={0}")
    @ValueSource(booleans = {true, false})
    void cancellationStormsGiveBackEveryBufferRingByteAndFd(boolean asked) throws Exception {
        incremental(asked);
        warmUp(4096, 4);
        Baseline baseline = Baseline.now();
        int connections = 200;
        Queue<PooledBuffer> held = new ConcurrentLinkedQueue<>();
        AtomicInteger handlers = new AtomicInteger();
        // Each connection takes a few slices (keeping some), then cancels its receive while the peer
        // keeps sending: the RECV in flight is cancelled in the kernel, its buffer raced back.
        UringServer server = net.bind(net.server().port(0).receiveBufferSize(4096).receiveBufferRing(4)
                .handle((in, out) -> {
                    int n = handlers.incrementAndGet();
                    AtomicInteger kept = new AtomicInteger();
                    // Keeps at most 2 of its cap of 4, so it still reads to the end of the stream.
                    return in.receive().take(1 + n % 5).doOnNext(pb -> {
                        if (n % 2 == 0 && kept.incrementAndGet() <= 2) {
                            held.add(pb.retain());
                        }
                    }).then();
                }));
        List<SocketChannel> clients = new ArrayList<>();
        Random random = new Random(3);
        try {
            ByteBuffer data = ByteBuffer.allocate(48 * 1024);
            for (int i = 0; i < connections; i++) {
                SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()));
                c.configureBlocking(false);
                clients.add(c);
                data.clear().limit(1 + random.nextInt(data.capacity()));
                c.write(data);
            }
            assertThat(awaitOnLoop(loop(), () -> handlers.get() == connections)).as("every connection accepted").isTrue();
        } finally {
            // Handlers that got fewer slices than they wanted end at the end of the stream.
            for (SocketChannel c : clients) {
                c.close();
            }
        }
        assertThat(Poll.until(() -> server.activeConnections() == 0))
                .as("every handler finished, %d open", server.activeConnections()).isTrue();
        assertThat(held).isNotEmpty();
        releaseShuffled(held, random);
        server.disposeNow(T);
        baseline.assertBack();
    }
}
