package io.reactoruring.net;

import static io.reactoruring.net.LoopAwait.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.Opcode;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** The send side: gather writes for buffers offered together, zero-copy sends, byte arrays. */
class OutboundTest {
    private static final Duration T = LoopbackFixture.T;
    @RegisterExtension
    @Order(1)
    static final LoopbackFixture servers = new LoopbackFixture("outbound-test-server", 1);
    @RegisterExtension
    @Order(2) // after-all callbacks run in reverse: the client group goes first
    static final LoopbackFixture clients = new LoopbackFixture("outbound-test-client", 1);
    private final Sinks.One<byte[]> received = Sinks.one();

    private static UringLoop clientLoop() {
        return clients.loop();
    }

    /** A server that collects everything until the peer closes, and a client of it. */
    private UringTcpClient collectingServerClient() {
        return clients.client(servers.collectingServer(received));
    }

    private static byte[] pattern(int size, int seed) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (i * 7 + seed);
        }
        return b;
    }

    @Test
    void buffersOfferedTogetherGoOutInFewerSyscallsThanBuffers() {
        UringConnection c = collectingServerClient().connect().block(T);
        assertThat(c).isNotNull();
        int count = 200;
        List<byte[]> parts = new ArrayList<>();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            byte[] p = pattern(100 + i, i);
            parts.add(p);
            expected.write(p, 0, p.length);
        }
        // The client loop runs nothing else: its submissions are this send's operations.
        UringMetrics before = clientLoop().metrics();
        StepVerifier.create(c.send(Flux.fromIterable(parts).map(ByteBuffer::wrap))).verifyComplete();
        long ops = clientLoop().metrics().submitted() - before.submitted();
        assertThat(ops).as("%d buffers in %d operations", count, ops).isLessThanOrEqualTo(count / 4);
        c.shutdownOutput().block(T);
        assertThat(received.asMono().block(T)).isEqualTo(expected.toByteArray());
        c.dispose();
        assertThat(awaitOnLoop(clientLoop(), () -> clientLoop().bufferPool().outstanding() == 0)).isTrue();
    }

    @Test
    void largeBuffersGoZeroCopyAndAreReleasedOnlyAfterTheNotification() {
        org.junit.jupiter.api.Assumptions.assumeTrue(clientLoop().supports(Opcode.SEND_ZC), "no IORING_OP_SEND_ZC");
        UringConnection c = collectingServerClient().zeroCopyThreshold(64 * 1024).connect().block(T);
        assertThat(c).isNotNull();
        int size = 256 * 1024;
        List<PooledBuffer> buffers = new ArrayList<>();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (int i = 0; i < 16; i++) {
            byte[] p = pattern(size, i);
            expected.write(p, 0, p.length);
            PooledBuffer pb = clientLoop().bufferPool().acquire(size);
            pb.buffer().put(p).flip();
            pb.retain(); // the test's own reference, to look at the count after the send
            buffers.add(pb);
        }
        UringMetrics before = clientLoop().metrics();
        List<Integer> refsAtCompletion = new ArrayList<>();
        StepVerifier.create(c.sendPooled(Flux.fromIterable(buffers))
                        .doOnSuccess(v -> buffers.forEach(pb -> refsAtCompletion.add(pb.refCount()))))
                .verifyComplete();
        assertThat(refsAtCompletion).as("send and notification references dropped before completion")
                .hasSize(16).allMatch(r -> r == 1);
        UringMetrics after = clientLoop().metrics();
        assertThat(after.completed() - before.completed())
                .as("each SEND_ZC posts a result and a notification CQE")
                .isGreaterThanOrEqualTo(2 * (after.submitted() - before.submitted()) - 1);
        buffers.forEach(PooledBuffer::release);
        c.shutdownOutput().block(T);
        assertThat(received.asMono().block(T)).isEqualTo(expected.toByteArray());
        c.dispose();
        assertThat(awaitOnLoop(clientLoop(), () -> clientLoop().bufferPool().outstanding() == 0)).isTrue();
    }

    /**
     * A send that the kernel answers with -EAGAIN (the socket is non-blocking; io_uring says so when
     * it retries a send from a worker, seen in CI with a peer that never reads) is not an error: the
     * same bytes go again when POLLOUT says there is room. MSG_DONTWAIT (the test hook) makes the
     * kernel answer every send into a full socket with a real -EAGAIN.
     */
    @Test
    void aSendAnsweredWithEagainWaitsForRoomAndLosesNoByte() throws Exception {
        try (java.net.ServerSocket peer = new java.net.ServerSocket()) {
            peer.setReceiveBufferSize(64 * 1024);
            peer.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
            UringConnection c = clients.client().port(peer.getLocalPort()).connect().block(T);
            assertThat(c).isNotNull();
            try (java.net.Socket accepted = peer.accept()) {
                ByteArrayOutputStream expected = new ByteArrayOutputStream();
                List<ByteBuffer> parts = new ArrayList<>();
                for (int i = 0; i < 64; i++) { // 8 MiB: far more than both socket buffers hold
                    byte[] p = pattern(128 * 1024, i);
                    expected.write(p, 0, p.length);
                    parts.add(ByteBuffer.wrap(p));
                }
                long waitsBefore = RingWrites.WRITABLE_WAITS.get();
                RingWrites.dontWaitForTests = true;
                Mono<Void> sent;
                try {
                    sent = c.send(Flux.fromIterable(parts)).then(c.shutdownOutput()).cache();
                    sent.subscribe(v -> { }, e -> { }); // its outcome is verified below
                    // The peer reads nothing until a send met -EAGAIN: the socket is full by then.
                    assertThat(awaitOnLoop(clientLoop(), () -> RingWrites.WRITABLE_WAITS.get() > waitsBefore))
                            .as("a send met -EAGAIN; waits %d", RingWrites.WRITABLE_WAITS.get()).isTrue();
                } finally {
                    RingWrites.dontWaitForTests = false;
                }
                byte[] got = accepted.getInputStream().readAllBytes(); // until the shutdown's FIN
                StepVerifier.create(sent).verifyComplete();
                assertThat(got).isEqualTo(expected.toByteArray());
            } finally {
                c.dispose();
            }
        }
        assertThat(awaitOnLoop(clientLoop(), () -> clientLoop().bufferPool().outstanding() == 0)).isTrue();
    }

    /**
     * SEND_ZC failing with ENOMEM (its pinned pages count against RLIMIT_MEMLOCK) does not drop the
     * connection: the buffer goes again as a plain SEND, and so does everything after it.
     */
    @Test
    void zeroCopyFailingWithEnomemFallsBackToSend() {
        org.junit.jupiter.api.Assumptions.assumeTrue(clientLoop().supports(Opcode.SEND_ZC), "no IORING_OP_SEND_ZC");
        UringConnection c = collectingServerClient().zeroCopyThreshold(64 * 1024).connect().block(T);
        assertThat(c).isNotNull();
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        List<ByteBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            byte[] p = pattern(200 * 1024, i);
            expected.write(p, 0, p.length);
            buffers.add(ByteBuffer.wrap(p));
        }
        RingWrites.ZERO_COPY_ENOMEM_FAULTS.set(1);
        try {
            UringMetrics before = clientLoop().metrics();
            StepVerifier.create(c.send(Flux.fromIterable(buffers)).then(c.send(Flux.fromIterable(buffers.subList(0, 2)))))
                    .verifyComplete();
            assertThat(RingWrites.ZERO_COPY_ENOMEM_FAULTS.get()).as("the first SEND_ZC met the fault").isLessThanOrEqualTo(0);
            UringMetrics after = clientLoop().metrics();
            assertThat(after.completed() - before.completed())
                    .as("no notification CQEs: plain SENDs after the failure")
                    .isEqualTo(after.submitted() - before.submitted());
        } finally {
            RingWrites.ZERO_COPY_ENOMEM_FAULTS.set(0);
        }
        expected.write(pattern(200 * 1024, 0), 0, 200 * 1024);
        expected.write(pattern(200 * 1024, 1), 0, 200 * 1024);
        c.shutdownOutput().block(T);
        assertThat(received.asMono().block(T)).isEqualTo(expected.toByteArray());
        c.dispose();
        assertThat(awaitOnLoop(clientLoop(), () -> clientLoop().bufferPool().outstanding() == 0)).isTrue();
    }

    @Test
    void sendByteArrayAndStringsInOrder() {
        StepVerifier.create(collectingServerClient().connect().flatMap(c -> c.sendByteArray(Flux.just("ab".getBytes(), "cd".getBytes()))
                        .then(c.sendString(Flux.just("é", "f")))
                        .then(c.sendByteArray(Mono.just(new byte[0])))
                        .then(c.shutdownOutput())
                        .then(received.asMono())
                        .doFinally(s -> c.dispose())))
                .assertNext(b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("abcdéf"))
                .verifyComplete();
    }

    @Test
    void sendToAClosedPeerFailsAndReleasesEveryBuffer() {
        UringServer server = servers.bind(UringTcpServer.create().port(0)
                .handle((in, out) -> Mono.empty())); // closes each connection at once
        UringConnection c = clients.client(server).connect().block(T);
        assertThat(c).isNotNull();
        // Keep sending until the reset arrives: a SocketException (EPIPE or ECONNRESET), never a hang.
        Flux<PooledBuffer> endless = Flux.generate(sink -> {
            PooledBuffer pb = clientLoop().bufferPool().acquire(64 * 1024);
            pb.buffer().limit(64 * 1024);
            sink.next(pb);
        });
        StepVerifier.create(c.sendPooled(endless))
                .expectError(java.net.SocketException.class)
                .verify(T);
        c.dispose();
        c.onDispose().block(T);
        assertThat(awaitOnLoop(clientLoop(), () -> clientLoop().bufferPool().outstanding() == 0))
                .as("queued, in-flight and late buffers all released").isTrue();
    }
}
