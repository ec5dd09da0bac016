package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.Errno;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.UringError;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.Fds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** Misbehaving peers and bad input: errors are clean, memory and fds stay bounded and return to their start. */
class FaultTest {
    private static final Duration T = Duration.ofSeconds(30);
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("fault-test", 1);

    private static long openFds() {
        try {
            return FdLeakTest.openFds();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A peer that resets the connection (SO_LINGER 0, then close) mid-stream: receive() delivers
     * what arrived before and then errors with a {@link SocketException} carrying ECONNRESET; it
     * does not complete as if the stream had ended normally.
     */
    @Test
    void peerResetMidStreamIsASocketExceptionWithEconnreset() throws Exception {
        Sinks.One<String> firstChunk = Sinks.one();
        Sinks.One<Throwable> failure = Sinks.one();
        UringServer server = net.server().port(0)
                .handle((in, out) -> in.receive().doOnNext(pb -> {
                    firstChunk.tryEmitValue(StandardCharsets.UTF_8.decode(pb.buffer()).toString());
                }).doOnError(failure::tryEmitValue).then())
                .bindNow(T);
        try (Socket peer = new Socket("127.0.0.1", server.port())) {
            peer.getOutputStream().write("before reset".getBytes(StandardCharsets.UTF_8));
            assertThat(firstChunk.asMono().block(T)).isEqualTo("before reset");
            peer.setSoLinger(true, 0); // close() now sends RST
        }
        Throwable e = failure.asMono().block(T);
        assertThat(e).isInstanceOf(SocketException.class).isInstanceOf(UringError.class);
        assertThat(((UringError) e).errno()).isEqualTo(Errno.ECONNRESET);
        assertThat(net.await(() -> server.activeConnections() == 0)).as("the connection is closed").isTrue();
        server.disposeLater(Duration.ZERO).block(T);
    }

    /** A client that connects and never reads: the server's endless sender stalls with bounded memory. */
    @Test
    void aClientThatNeverReadsBoundsTheServersMemory() throws Exception {
        AtomicLong generated = new AtomicLong();
        Sinks.One<Throwable> sendEnded = Sinks.one();
        int chunk = 64 * 1024;
        UringServer server = net.server().port(0).socketSendBuffer(64 * 1024)
                .handle((in, out) -> out.sendPooled(Flux.<PooledBuffer>generate(sink -> {
                    generated.incrementAndGet();
                    PooledBuffer pb = net.pool().acquire(chunk);
                    pb.buffer().limit(chunk);
                    sink.next(pb);
                })).doOnError(sendEnded::tryEmitValue))
                .bindNow(T);
        long memoryBefore = NativeMemory.allocatedBytes();
        try (Socket lazy = new Socket()) {
            lazy.setReceiveBufferSize(64 * 1024);
            lazy.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
            // An unbounded server would keep generating and never stall.
            assertThat(net.stalls(generated::get)).as("the sender stalled").isTrue();
            long outstanding = net.outstanding();
            assertThat(outstanding).as("buffers held by the stalled send: the window plus the one in flight")
                    .isLessThanOrEqualTo(WriteQueue.WINDOW + 2);
            assertThat(NativeMemory.allocatedBytes() - memoryBefore)
                    .isLessThanOrEqualTo((long) (WriteQueue.WINDOW + 2) * chunk + 64 * 1024);
        }
        // The client's close ends the send with an error and every buffer comes back.
        Throwable ended = sendEnded.asMono().block(T);
        assertThat(ended).as("%s", ended).isInstanceOf(SocketException.class);
        assertThat(net.await(() -> net.outstanding() == 0)).as("outstanding: %d", net.outstanding()).isTrue();
        server.disposeLater(Duration.ZERO).block(T);
    }

    @Test
    void tenThousandShortConnectionsLeaveFdsAndBuffersAsTheyWere() {
        UringServer server = net.server().port(0)
                .handle((in, out) -> out.sendPooled(in.receive()))
                .bindNow(T);
        UringTcpClient client = net.client().port(server.port());
        Mono<String> one = client.connect().flatMap(c -> c.sendString(Mono.just("x"))
                .then(c.shutdownOutput())
                .then(c.receiveAsString())
                .doFinally(s -> c.dispose())
                .flatMap(s -> c.onDispose().thenReturn(s)));
        // Warm-up at the same concurrency: class loading may open jar files once, and the pool
        // keeps the buffers it caches.
        Flux.range(0, 64).flatMap(i -> one, 32).blockLast(T);
        long fdsBefore = openFds();
        Long ok = Flux.range(0, 10_000).flatMap(i -> one, 32).filter("x"::equals).count().block(Duration.ofSeconds(120));
        assertThat(ok).isEqualTo(10_000);
        assertThat(net.await(() -> server.activeConnections() == 0)).isTrue();
        assertThat(net.await(() -> openFds() <= fdsBefore)).as("fds back to %d", fdsBefore).isTrue();
        // Every pooled buffer is back, provided-buffer rings included (their memory is pool blocks).
        assertThat(net.await(() -> net.outstanding() == 0))
                .as("pool and rings back to start: outstanding %d", net.outstanding()).isTrue();
        server.disposeLater(Duration.ZERO).block(T);
    }

    @Test
    void malformedHostNamesFailClearlyWithoutLeakingAnFd() {
        long fdsBefore = Fds.sockets(); // what could leak here is a socket; other fds come and go with the JVM
        for (String host : new String[] {"::::", "[::1", "1.2.3.4.5:", "a b:c"}) {
            StepVerifier.create(net.client().host(host).port(80).connect())
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(UnknownHostException.class)
                            .hasMessageContaining(host))
                    .verify(T);
            assertThatThrownBy(() -> net.server().host(host).bindNow(T))
                    .isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(UnknownHostException.class);
        }
        assertThat(Fds.sockets()).isEqualTo(fdsBefore);
        assertThatThrownBy(() -> net.client().host(" ")).isInstanceOf(IllegalArgumentException.class);
    }
}
