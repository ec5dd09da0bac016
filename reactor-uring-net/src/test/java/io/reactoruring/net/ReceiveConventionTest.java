package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * receive()'s buffer convention (Reactor Netty's): each buffer is lent to onNext and released by the
 * library when it returns, unless retained or handed to sendPooled. {@link NioReceiveConventionTest}
 * runs the same tests on the NIO fallback.
 */
class ReceiveConventionTest {
    private static final Duration T = LoopbackFixture.T;
    /** A connection holds at most this many ring buffers: a handler that kept them would stall after it. */
    private static final int CAP = 4;
    private static final int BUFFER = 4096;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("receive-convention-test", 1);

    private static byte[] pattern(int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 31 + (i >>> 11));
        }
        return b;
    }

    /** Sends {@code messages} messages of {@code size} bytes (one buffer each), then closes its side. */
    private Mono<Void> sendMessages(UringServer server, byte[] payload, int size) {
        return net.client(server).connect().flatMap(c -> c.send(Flux.range(0, payload.length / size)
                        .map(i -> ByteBuffer.wrap(payload, i * size, size)))
                .then(c.shutdownOutput())
                .then(c.receive().then()) // until the server closes
                .doFinally(s -> c.dispose())
                .then(c.onDispose()));
    }

    @Test
    void aHandlerThatNeverReleasesDoesNotStallItsConnection() {
        long before = net.outstanding();
        int messages = 5_000;
        int size = 1_000;
        AtomicLong bytes = new AtomicLong();
        AtomicInteger buffers = new AtomicInteger();
        Sinks.One<Long> done = Sinks.one();
        UringServer server = net.bind(net.server().port(0).receiveBufferSize(BUFFER).receiveBufferRing(CAP)
                .handle((in, out) -> in.receive()
                        .doOnNext(pb -> { // reads, never releases
                            bytes.addAndGet(pb.buffer().remaining());
                            buffers.incrementAndGet();
                        })
                        .then(Mono.fromRunnable(() -> done.tryEmitValue(bytes.get())))));
        sendMessages(server, pattern(messages * size), size).block(T);
        assertThat(done.asMono().block(T)).as("every byte arrived").isEqualTo((long) messages * size);
        assertThat(buffers.get()).as("far more buffers than a connection may hold unreleased")
                .isGreaterThanOrEqualTo(messages * size / BUFFER);
        assertThat(net.await(() -> net.outstanding() == before)).as("pooled buffers back to baseline: %d, was %d",
                net.outstanding(), before).isTrue();
    }

    @Test
    void aRetainedBufferStaysValidAfterOnNextUntilReleased() {
        long before = net.outstanding();
        long doubleReleasesBefore = PooledBuffer.doubleReleases();
        byte[] payload = pattern(2 * 1024 * 1024);
        AtomicLong offset = new AtomicLong();
        List<Map.Entry<Long, PooledBuffer>> kept = new CopyOnWriteArrayList<>();
        Sinks.Empty<Void> done = Sinks.empty();
        UringServer server = net.bind(net.server().port(0).receiveBufferSize(BUFFER).receiveBufferRing(CAP)
                .handle((in, out) -> in.receive()
                        .doOnNext(pb -> {
                            long at = offset.getAndAdd(pb.buffer().remaining());
                            if (kept.size() < CAP / 2) {
                                kept.add(Map.entry(at, pb.retain()));
                            }
                        })
                        .then(Mono.fromRunnable(done::tryEmitEmpty))));
        sendMessages(server, payload, 8192).block(T);
        done.asMono().block(T);
        assertThat(offset.get()).isEqualTo(payload.length);
        assertThat(kept).hasSize(CAP / 2);
        // Megabytes went through the buffers that were not retained since: the kept ones were not reused.
        for (Map.Entry<Long, PooledBuffer> e : kept) {
            PooledBuffer pb = e.getValue();
            assertThat(pb.refCount()).as("the subscriber's reference").isEqualTo(1);
            byte[] content = new byte[pb.buffer().remaining()];
            pb.buffer().duplicate().get(content);
            int at = (int) (long) e.getKey();
            assertThat(content).as("bytes at offset %d", at)
                    .isEqualTo(Arrays.copyOfRange(payload, at, at + content.length));
        }
        assertThat(net.outstanding()).as("retained buffers still out (NIO: pool blocks)")
                .isGreaterThanOrEqualTo(before + (net.nio() ? CAP / 2 : 0));
        kept.forEach(e -> e.getValue().release());
        assertThat(net.await(() -> net.outstanding() == before)).as("pooled buffers back to baseline: %d, was %d",
                net.outstanding(), before).isTrue();
        assertThat(PooledBuffer.doubleReleases()).isEqualTo(doubleReleasesBefore);
    }

    @Test
    void sendPooledTakesLentAndRetainedBuffersAlike() {
        long doubleReleasesBefore = PooledBuffer.doubleReleases();
        long before = net.outstanding();
        byte[] payload = pattern(1024 * 1024 + 17);
        for (boolean retain : new boolean[] {false, true}) {
            UringServer server = net.bind(net.server().port(0).receiveBufferSize(BUFFER).receiveBufferRing(CAP)
                    .handle((in, out) -> out.sendPooled(retain ? in.receive().map(PooledBuffer::retain) : in.receive())));
            byte[] echoed = net.client(server).connect().flatMap(c -> Mono.zip(
                            c.send(Mono.just(ByteBuffer.wrap(payload))).then(c.shutdownOutput()).thenReturn(true),
                            LoopbackFixture.collect(c.receive()))
                    .map(t -> t.getT2())
                    .doFinally(s -> c.dispose()))
                    .block(T);
            assertThat(echoed).as("retain " + retain).isEqualTo(payload);
            net.stopServer();
        }
        assertThat(net.await(() -> net.outstanding() == before)).isTrue();
        assertThat(PooledBuffer.doubleReleases()).as("each buffer released once").isEqualTo(doubleReleasesBefore);
    }

    @Test
    void releasingALentBufferYouDidNotRetainIsCountedNotThrown() {
        long before = net.outstanding();
        long doubleReleasesBefore = PooledBuffer.doubleReleases();
        AtomicInteger buffers = new AtomicInteger();
        Sinks.Empty<Void> done = Sinks.empty();
        UringServer server = net.bind(net.server().port(0).receiveBufferSize(BUFFER).receiveBufferRing(CAP)
                .handle((in, out) -> in.receive()
                        .doOnNext(pb -> {
                            buffers.incrementAndGet();
                            pb.release(); // the old convention: wrong now, but harmless
                        })
                        .then(Mono.fromRunnable(done::tryEmitEmpty))));
        sendMessages(server, pattern(256 * 1024), 4096).block(T);
        done.asMono().block(T);
        assertThat(PooledBuffer.doubleReleases() - doubleReleasesBefore).as("one per buffer")
                .isEqualTo(buffers.get());
        assertThat(net.await(() -> net.outstanding() == before)).isTrue();
    }

    /**
     * Hostile mix: 200 connections echo through sendPooled (half adopting lent buffers, half given
     * retained ones) to clients that cancel receive() after a random number of buffers, some keeping
     * a retained buffer that another thread releases later, then close mid-stream. Every buffer comes
     * back exactly once.
     */
    @Test
    void randomCancellationAndRetainsLeaveNothingOut() {
        long before = net.outstanding();
        long doubleReleasesBefore = PooledBuffer.doubleReleases();
        java.util.Random random = new java.util.Random(11);
        UringServer server = net.bind(net.server().port(0).receiveBufferSize(BUFFER).receiveBufferRing(CAP)
                .handle((in, out) -> out.sendPooled(random.nextBoolean() ? in.receive()
                        : in.receive().map(PooledBuffer::retain)).onErrorResume(e -> Mono.empty())));
        byte[] payload = pattern(256 * 1024);
        List<PooledBuffer> kept = new CopyOnWriteArrayList<>();
        int connections = 200;
        List<Integer> takes = new java.util.ArrayList<>();
        List<Boolean> keeps = new java.util.ArrayList<>();
        for (int i = 0; i < connections; i++) {
            takes.add(1 + random.nextInt(6));
            keeps.add(random.nextBoolean());
        }
        Long received = Flux.range(0, connections).flatMap(i -> net.client(server).connect().flatMap(c -> {
            // Sends until done or the connection closes, while receiving: neither side waits for the other.
            c.send(Flux.range(0, 16).map(k -> ByteBuffer.wrap(payload, k * 16384, 16384)))
                    .onErrorResume(e -> Mono.empty()).subscribe();
            Mono<Long> receiving = c.receive()
                    .doOnNext(pb -> {
                        if (keeps.get(i) && kept.size() < 100) {
                            kept.add(pb.retain());
                        }
                    })
                    .take(takes.get(i)) // cancels receive() while the last buffer is lent
                    .map(pb -> (long) pb.buffer().remaining())
                    .reduce(0L, Long::sum);
            return receiving.doFinally(s -> c.dispose()).flatMap(n -> c.onDispose().thenReturn(n));
        }), 32).reduce(0L, Long::sum).block(T);
        assertThat(received).isPositive();
        reactor.core.scheduler.Schedulers.boundedElastic().schedule(() -> kept.forEach(PooledBuffer::release));
        assertThat(net.await(() -> net.outstanding() == before)).as("pooled buffers back to baseline: %d, was %d",
                net.outstanding(), before).isTrue();
        assertThat(PooledBuffer.doubleReleases()).as("each buffer released once").isEqualTo(doubleReleasesBefore);
    }
}
