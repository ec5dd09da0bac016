package io.reactoruring.net;

import static io.reactoruring.net.LoopAwait.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.Opcode;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** The send side: gather writes for buffers offered together, zero-copy sends, byte arrays. */
class OutboundTest {
    private static final Duration T = Duration.ofSeconds(10);
    static UringLoopGroup serverGroup;
    static UringLoopGroup clientGroup;
    private UringServer server;
    private final Sinks.One<byte[]> received = Sinks.one();

    @BeforeAll
    static void setUp() {
        serverGroup = UringLoopGroup.create("outbound-test-server", 1, RingOptions.defaults());
        clientGroup = UringLoopGroup.create("outbound-test-client", 1, RingOptions.defaults());
    }

    @AfterAll
    static void tearDown() {
        clientGroup.disposeLater().block(T);
        serverGroup.disposeLater().block(T);
    }

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.disposeLater(Duration.ZERO).block(T);
        }
    }

    private static UringLoop clientLoop() {
        return clientGroup.loops().get(0);
    }

    /** A server that collects everything until the peer closes. */
    private UringServer collectingServer() {
        server = UringTcpServer.create().port(0).group(serverGroup)
                .handle((in, out) -> in.receive().reduce(new ByteArrayOutputStream(), (acc, pb) -> {
                    byte[] chunk = new byte[pb.buffer().remaining()];
                    pb.buffer().get(chunk);
                    pb.release();
                    acc.write(chunk, 0, chunk.length);
                    return acc;
                }).doOnNext(acc -> received.tryEmitValue(acc.toByteArray())).then())
                .bindNow(T);
        return server;
    }

    private UringTcpClient client() {
        return UringTcpClient.create().port(server.port()).group(clientGroup);
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
        collectingServer();
        UringConnection c = client().connect().block(T);
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
        collectingServer();
        UringConnection c = client().zeroCopyThreshold(64 * 1024).connect().block(T);
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

    @Test
    void sendByteArrayAndStringsInOrder() {
        collectingServer();
        StepVerifier.create(client().connect().flatMap(c -> c.sendByteArray(Flux.just("ab".getBytes(), "cd".getBytes()))
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
        server = UringTcpServer.create().port(0).group(serverGroup)
                .handle((in, out) -> Mono.empty()) // closes each connection at once
                .bindNow(T);
        UringConnection c = client().connect().block(T);
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
