package io.reactoruring.net;

import static io.reactoruring.net.LoopAwait.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** receive() as a multishot RECV over a provided-buffer ring: content, bounded memory, exhaustion, cancel. */
class RingReceiveTest {
    private static final Duration T = LoopbackFixture.T;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("ring-receive-test", 1);

    private static UringLoop loop() {
        return net.loop();
    }

    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + (i >>> 9));
        }
        return b;
    }

    /** Releases what the loop thread added, racing safely with it: each buffer is removed before release. */
    private static void releaseAll(java.util.Collection<PooledBuffer> held) {
        for (PooledBuffer pb : held) {
            if (held.remove(pb)) {
                pb.release();
            }
        }
    }

    /** A whole ring buffer, or a slice of one (incremental rings) exactly as large as its content. */
    private static boolean ringBuffer(PooledBuffer pb, int bufferSize) {
        return pb.capacity() == bufferSize || pb.capacity() < bufferSize && pb.capacity() == pb.buffer().limit();
    }

    private static void roundTrip() {
        Mono.fromRunnable(() -> { }).subscribeOn(loop()).block(T);
    }

    @Test
    void severalMebibytesEchoIntactThroughRingBuffers() {
        // Not a pool size class: ring buffers have exactly this capacity, or (incremental rings) are
        // slices of one, exactly as large as what they hold.
        int bufferSize = 10_000;
        AtomicInteger wrongCapacity = new AtomicInteger();
        UringServer server = net.bind(UringTcpServer.create().port(0).receiveBufferSize(bufferSize).receiveBufferRing(8)
                .handle((in, out) -> out.sendPooled(in.receive().doOnNext(pb -> {
                    if (!ringBuffer(pb, bufferSize)) {
                        wrongCapacity.incrementAndGet();
                    }
                }))));
        byte[] payload = pattern(6 * 1024 * 1024 + 77);
        Mono<byte[]> echoed = net.client(server)
                .receiveBufferSize(bufferSize).receiveBufferRing(4)
                .connect().flatMap(c -> {
                    Mono<Void> sending = c.send(Flux.range(0, 7).map(i -> {
                        int from = i * (payload.length / 7 + 1);
                        return ByteBuffer.wrap(payload, from, Math.min(payload.length - from, payload.length / 7 + 1));
                    })).then(c.shutdownOutput());
                    Mono<byte[]> receiving = LoopbackFixture.collect(c.receive().doOnNext(pb -> {
                        if (!ringBuffer(pb, bufferSize)) {
                            wrongCapacity.incrementAndGet();
                        }
                    }));
                    return Mono.zip(sending.thenReturn(true), receiving).map(t -> t.getT2()).doFinally(s -> c.dispose());
                });
        StepVerifier.create(echoed).assertNext(b -> assertThat(b).isEqualTo(payload)).verifyComplete();
        assertThat(wrongCapacity).as("every buffer came from a provided-buffer ring").hasValue(0);
    }

    @Test
    void slowConsumerStallsThePeerAndServerMemoryStaysBounded() throws Exception {
        int entries = 4;
        int bufferSize = 16 * 1024;
        Queue<PooledBuffer> held = new ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicBoolean holding = new java.util.concurrent.atomic.AtomicBoolean(true);
        AtomicReference<Subscription> subscription = new AtomicReference<>();
        AtomicLong receivedBytes = new AtomicLong();
        Sinks.Empty<Void> drained = Sinks.empty();
        UringServer server = net.bind(UringTcpServer.create().port(0)
                .receiveBufferSize(bufferSize).receiveBufferRing(entries).socketReceiveBuffer(64 * 1024)
                .handle((in, out) -> Mono.create(done -> in.receive().subscribe(new BaseSubscriber<PooledBuffer>() {
                    @Override
                    protected void hookOnSubscribe(Subscription s) {
                        subscription.set(s);
                        s.request(2); // a slow consumer: two buffers, then nothing until the test says so
                    }

                    @Override
                    protected void hookOnNext(PooledBuffer pb) {
                        receivedBytes.addAndGet(pb.buffer().remaining());
                        if (holding.get() && held.size() < 2) {
                            held.add(pb.retain()); // kept past onNext: retained, released by the test
                        }
                    }

                    @Override
                    protected void hookOnComplete() {
                        drained.tryEmitEmpty();
                        done.success();
                    }
                }))));
        long memoryBefore = NativeMemory.allocatedBytes();
        long limit = 256L * 1024 * 1024;
        long written = 0;
        try (SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()))) {
            client.configureBlocking(false);
            ByteBuffer chunk = ByteBuffer.allocateDirect(64 * 1024);
            int zeroStreak = 0;
            // Keep writing; a zero-byte write gives the server loop a round trip to drain. A server
            // that kept reading would let all 256 MiB through.
            while (written < limit && zeroStreak < 50) {
                chunk.clear();
                int n = client.write(chunk);
                if (n == 0) {
                    zeroStreak++;
                    roundTrip();
                } else {
                    zeroStreak = 0;
                    written += n;
                }
            }
            assertThat(written).as("the client's writes stall").isLessThan(limit);
            // The two requested buffers: the second RECV may complete a little after the writes stalled.
            assertThat(net.await(() -> held.size() == 2)).as("held %s", held).isTrue();
            long grown = NativeMemory.allocatedBytes() - memoryBefore;
            assertThat(grown).as("server memory: the loop's one shared ring plus small bookkeeping, however much was sent")
                    .isLessThanOrEqualTo((long) SharedReceiveRings.RING_BYTES + 64 * 1024);

            // The consumer catches up: every byte written arrives.
            holding.set(false);
            releaseAll(held);
            subscription.get().request(Long.MAX_VALUE);
            client.shutdownOutput();
            drained.asMono().block(T);
        }
        assertThat(receivedBytes.get()).isEqualTo(written);
    }

    @Test
    void aConnectionAtItsCapStopsReceivingAndResumesWhenItsBuffersComeBack() throws Exception {
        int cap = 4;
        int bufferSize = 4096;
        List<PooledBuffer> held = new CopyOnWriteArrayList<>();
        AtomicInteger maxHeld = new AtomicInteger();
        AtomicLong receivedBytes = new AtomicLong();
        Sinks.Empty<Void> drained = Sinks.empty();
        UringServer server = net.bind(UringTcpServer.create().port(0)
                .receiveBufferSize(bufferSize).receiveBufferRing(cap)
                .handle((in, out) -> in.receive().doOnNext(pb -> {
                    // Into held before it is counted: the test's last releaseAll comes once the count is
                    // complete, and must find the last buffer there (counted first, it could miss it and
                    // leave the shared ring out: "left 2 pooled buffers out").
                    held.add(pb.retain()); // unbounded demand, but nothing is released
                    maxHeld.accumulateAndGet(held.size(), Math::max);
                    receivedBytes.addAndGet(pb.buffer().remaining());
                }).doOnComplete(drained::tryEmitEmpty).then()));
        int total = 64 * 1024;
        try (SocketChannel client = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()))) {
            client.write(ByteBuffer.wrap(pattern(total))); // fits in the socket buffers: returns at once
            assertThat(awaitOnLoop(loop(), () -> held.size() == cap)).as("the connection reached its cap").isTrue();
            roundTrip();
            roundTrip();
            assertThat(held).as("and took no more from the shared ring").hasSize(cap);
            client.shutdownOutput();
            assertThat(awaitOnLoop(loop(), () -> {
                releaseAll(held);
                return receivedBytes.get() == total;
            })).isTrue();
            releaseAll(held);
            drained.asMono().block(T);
        }
        assertThat(maxHeld.get()).as("never more buffers out than the cap").isLessThanOrEqualTo(cap);
    }

    @Test
    void anEmptySharedRingIsCountedAndReceivingResumesWhenBuffersComeBack() throws Exception {
        ByteBuffer data = ByteBuffer.allocateDirect(64 * 1024);
        UringServer server = net.bind(UringTcpServer.create().port(0)
                .handle((in, out) -> out.send(Mono.just(data)).then(Mono.never())));
        UringConnection c = net.client(server).receiveBufferRing(0).connect().block(T);
        assertThat(c).isNotNull();
        // A ring of 4 shared with nobody, and a cap above it: the ring runs dry before the cap.
        io.reactoruring.core.buffer.BufferRing small = loop().registerBufferRing(4, 4096).block(T);
        assertThat(small).isNotNull();
        List<PooledBuffer> held = new CopyOnWriteArrayList<>();
        AtomicLong receivedBytes = new AtomicLong();
        long exhaustedBefore = loop().metrics().bufferRingExhaustions();
        reactor.core.Disposable receiving = RingReceive.receive(Mono.just(small), io.reactoruring.core.buffer.BufferRing::close,
                        loop(), c.sharedFd(), "test", 16, Flux::empty)
                .subscribe(pb -> {
                    held.add(pb); // before it is counted (see aConnectionAtItsCapStops...)
                    receivedBytes.addAndGet(pb.buffer().remaining());
                });
        assertThat(awaitOnLoop(loop(), () -> loop().metrics().bufferRingExhaustions() > exhaustedBefore))
                .as("the kernel found the ring empty").isTrue();
        assertThat(held).hasSize(4);
        assertThat(awaitOnLoop(loop(), () -> {
            releaseAll(held);
            return receivedBytes.get() == data.capacity();
        })).as("every byte came through once buffers came back").isTrue();
        releaseAll(held);
        receiving.dispose();
        c.dispose();
        c.onDispose().block(T);
        assertThat(awaitOnLoop(loop(), small::isReleased)).as("the cancelled RECV gave the ring back").isTrue();
    }

    @Test
    void cancellingReceiveReturnsEveryBufferAndFreesTheRing() {
        ByteBuffer data = ByteBuffer.allocateDirect(64 * 1024); // direct: sent in place, no pool memory
        UringServer server = net.bind(UringTcpServer.create().port(0)
                .handle((in, out) -> out.send(Mono.just(data)).then(Mono.never())));
        UringConnection c = net.client(server)
                .receiveBufferSize(4096).receiveBufferRing(8).connect().block(T);
        assertThat(c).isNotNull();
        long outstandingBefore = loop().bufferPool().outstanding();
        AtomicReference<PooledBuffer> first = new AtomicReference<>();
        StepVerifier.create(c.receive(), 1)
                .consumeNextWith(pb -> first.set(pb.retain()))
                .then(() -> assertThat(loop().bufferPool().outstanding()).as("the ring's two pool blocks")
                        .isEqualTo(outstandingBefore + 2))
                .thenCancel()
                .verify(T);
        assertThat(loop().bufferPool().outstanding()).as("a buffer still held keeps the ring")
                .isEqualTo(outstandingBefore + 2);
        first.get().release();
        assertThat(awaitOnLoop(loop(), () -> loop().bufferPool().outstanding() == outstandingBefore))
                .as("prefetched buffers released, ring unregistered and its memory back in the pool").isTrue();

        // A new receive() on the same connection registers a fresh ring and still gets the rest.
        long rest = c.receive().take(1).map(pb -> pb.buffer().remaining()).blockLast(T);
        assertThat(rest).isPositive();
        c.dispose();
        c.onDispose().block(T);
        assertThat(awaitOnLoop(loop(), () -> loop().bufferPool().outstanding() == outstandingBefore)).isTrue();
    }

    @Test
    void plainRecvFallbackEchoes() {
        UringServer server = net.bind(UringTcpServer.create().port(0).receiveBufferRing(0)
                .handle((in, out) -> out.sendPooled(in.receive())));
        byte[] payload = pattern(1024 * 1024);
        StepVerifier.create(net.client(server).receiveBufferRing(0).connect()
                        .flatMap(c -> c.send(Mono.just(ByteBuffer.wrap(payload))).then(c.shutdownOutput())
                                .then(c.receive().reduce(0L, (n, pb) -> n + pb.buffer().remaining()))
                                .doFinally(s -> c.dispose())))
                .expectNext((long) payload.length)
                .verifyComplete();
    }

    @Test
    void aKernelThatRefusesBufferRingsFallsBackToPlainRecvs() {
        ByteBuffer data = ByteBuffer.allocateDirect(100);
        UringServer server = net.bind(UringTcpServer.create().port(0)
                .handle((in, out) -> out.send(Mono.just(data)).then(Mono.never())));
        UringConnection c = net.client(server).receiveBufferRing(0)
                .connect().block(T);
        assertThat(c).isNotNull();
        // What an old kernel answers to io_uring_register_buf_ring.
        Mono<io.reactoruring.core.buffer.BufferRing> refused = Mono.error(
                io.reactoruring.core.Errno.exception(-io.reactoruring.core.Errno.EINVAL, "io_uring_register_buf_ring", "test"));
        AtomicInteger fallbacks = new AtomicInteger();
        Flux<PooledBuffer> received = RingReceive.receive(refused, r -> { }, loop(), c.sharedFd(), "test", 4, () -> {
            fallbacks.incrementAndGet();
            return c.receive(); // with receiveBufferRing(0): plain RECVs, as UringConnection's fallback
        });
        StepVerifier.create(received.take(1).map(pb -> pb.buffer().remaining())) // lent by c.receive()
                .expectNext(100).verifyComplete();
        assertThat(fallbacks).hasValue(1);

        // Errors that are not the kernel's answer are not hidden by the fallback.
        StepVerifier.create(RingReceive.receive(Mono.error(new IllegalStateException("boom")), r -> { }, loop(), c.sharedFd(),
                "test", 4, Flux::empty)).expectError(IllegalStateException.class).verify(T);
        c.dispose();
    }
}
