package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.buffer.PooledBuffer;
import java.net.BindException;
import java.net.ConnectException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** Graceful shutdown, lifecycle hooks, socket options and inbound aggregation. */
class ServerLifecycleTest {
    private static final Duration T = Duration.ofSeconds(10);
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("lifecycle-test", 2);

    private static UringTcpClient client(UringServer s) {
        return net.client().port(s.port());
    }

    @Test
    void gracefulDisposeLetsAnActiveConnectionFinishButRefusesNewOnes() {
        Sinks.One<UringConnection> accepted = Sinks.one();
        AtomicInteger bound = new AtomicInteger();
        AtomicInteger unbound = new AtomicInteger();
        UringServer server = net.server().port(0)
                .doOnBound(s -> bound.incrementAndGet())
                .doOnUnbound(s -> unbound.incrementAndGet())
                .doOnConnection(accepted::tryEmitValue)
                .handle((in, out) -> in.receiveAsString().flatMap(s -> out.sendString(Mono.just("done:" + s))))
                .bindNow(T);
        assertThat(bound).hasValue(1);
        UringConnection c = client(server).connect().block(T);
        assertThat(c).isNotNull();
        assertThat(accepted.asMono().block(T)).isNotNull();

        Mono<Void> shutdown = server.disposeLater(Duration.ofSeconds(30)).cache();
        shutdown.subscribe();
        assertThat(server.isDisposed()).isTrue();
        server.listenSocketClosed().block(T);
        StepVerifier.create(client(server).connect()).expectError(ConnectException.class).verify(T);
        assertThat(unbound).as("not unbound while a connection is active").hasValue(0);

        // The active connection still works to its end; then the shutdown completes.
        StepVerifier.create(c.sendString(Mono.just("last words")).then(c.shutdownOutput()).then(c.receiveAsString()))
                .expectNext("done:last words").verifyComplete();
        StepVerifier.create(shutdown).verifyComplete();
        assertThat(server.activeConnections()).isZero();
        assertThat(unbound).hasValue(1);
        c.dispose();
    }

    @Test
    void aHandlerLearnsOfTheShutdownAndEndsBeforeTheGracePeriod() {
        AtomicInteger told = new AtomicInteger();
        UringServer server = net.server().port(0)
                .handle((in, out) -> out.sendString(((UringConnection) in).onServerShutdown()
                        .doOnSuccess(v -> told.incrementAndGet())
                        .then(Mono.just("bye"))))
                .bindNow(T);
        UringConnection c = client(server).connect().block(T);
        assertThat(c).isNotNull();
        assertThat(net.await(() -> server.activeConnections() == 1)).isTrue();
        assertThat(c.onServerShutdown().toFuture()).as("a client connection has no server").isNotDone();
        Mono<String> received = c.receiveAsString().cache();
        received.subscribe();
        assertThat(told).as("not before the shutdown").hasValue(0);
        // An hour of grace: completing within T means the handler ended on the signal, not the deadline.
        StepVerifier.create(server.disposeLater(Duration.ofHours(1))).expectComplete().verify(T);
        StepVerifier.create(received).expectNext("bye").expectComplete().verify(T);
        assertThat(told).hasValue(1);
        assertThat(server.activeConnections()).isZero();
        c.dispose();
    }

    @Test
    void connectionsStillOpenWhenTheGracePeriodEndsAreClosed() {
        UringServer server = net.server().port(0)
                .handle((in, out) -> Mono.never())
                .bindNow(T);
        UringConnection c = client(server).connect().block(T);
        assertThat(c).isNotNull();
        // Accepted, not just in the backlog: closing the listener resets connections it never accepted.
        assertThat(net.await(() -> server.activeConnections() == 1)).isTrue();
        Mono<Void> receiving = c.receive().then().cache();
        receiving.subscribe();
        StepVerifier.create(server.disposeLater(Duration.ofMillis(200))).verifyComplete();
        StepVerifier.create(receiving).as("the server closed its side").verifyComplete();
        assertThat(server.activeConnections()).isZero();
        c.dispose();
    }

    @Test
    void socketOptionsReachTheSockets() {
        List<UringConnection> serverSide = new CopyOnWriteArrayList<>();
        UringServer server = net.server().port(0)
                .noDelay(false).keepAlive(true).socketReceiveBuffer(96 * 1024).socketSendBuffer(80 * 1024)
                .doOnConnection(serverSide::add)
                .handle((in, out) -> Mono.never())
                .bindNow(T);
        try {
            UringConnection c = client(server).keepAlive(true).noDelay(true)
                    .socketReceiveBuffer(72 * 1024).socketSendBuffer(64 * 1024).connect().block(T);
            assertThat(c).isNotNull();
            assertThat(LoopbackFixture.option(c, StandardSocketOptions.SO_KEEPALIVE)).isEqualTo(1);
            assertThat(LoopbackFixture.option(c, StandardSocketOptions.TCP_NODELAY)).isEqualTo(1);
            // Linux doubles the requested sizes for its bookkeeping.
            assertThat(LoopbackFixture.option(c, StandardSocketOptions.SO_RCVBUF)).isEqualTo(2 * 72 * 1024);
            assertThat(LoopbackFixture.option(c, StandardSocketOptions.SO_SNDBUF)).isEqualTo(2 * 64 * 1024);

            assertThat(net.await(() -> serverSide.size() == 1)).isTrue();
            assertThat(LoopbackFixture.option(serverSide.get(0), StandardSocketOptions.SO_KEEPALIVE)).isEqualTo(1);
            assertThat(LoopbackFixture.option(serverSide.get(0), StandardSocketOptions.TCP_NODELAY)).isZero();
            assertThat(LoopbackFixture.option(serverSide.get(0), StandardSocketOptions.SO_RCVBUF)).isEqualTo(2 * 96 * 1024);
            assertThat(LoopbackFixture.option(serverSide.get(0), StandardSocketOptions.SO_SNDBUF)).isEqualTo(2 * 80 * 1024);
            c.dispose();
        } finally {
            server.disposeLater(Duration.ZERO).block(T);
        }
        assertThatThrownBy(() -> net.server().socketReceiveBuffer(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.client().socketSendBuffer(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.server().receiveBufferRing(3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.server().zeroCopyThreshold(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void reusePortLetsTwoServersShareAPort() {
        UringServer first = net.server().port(0).reusePort(true).bindNow(T);
        try {
            assertThatThrownBy(() -> net.server().port(first.port()).bindNow(T))
                    .hasCauseInstanceOf(BindException.class);
            UringServer second = net.server().port(first.port()).reusePort(true).bindNow(T);
            assertThat(second.port()).isEqualTo(first.port());
            second.disposeLater(Duration.ZERO).block(T);
        } finally {
            first.disposeLater(Duration.ZERO).block(T);
        }
    }

    @Test
    void aggregateCollectsEverythingIntoOneBuffer() {
        String text = "aggregate me ".repeat(20_000); // ~260 KB: the buffer grows several times
        Sinks.One<String> seen = Sinks.one();
        UringServer server = net.server().port(0).receiveBufferSize(4096)
                .handle((in, out) -> in.aggregate().map(pb -> {
                    try {
                        return StandardCharsets.UTF_8.decode(pb.buffer()).toString();
                    } finally {
                        pb.release();
                    }
                }).doOnNext(seen::tryEmitValue).then())
                .bindNow(T);
        try {
            StepVerifier.create(client(server).connect().flatMap(c ->
                            c.sendString(Mono.just(text)).then(c.shutdownOutput()).then(seen.asMono()).doFinally(s -> c.dispose())))
                    .expectNext(text).verifyComplete();
            assertThat(net.await(() -> net.outstanding() == 0)).isTrue();
        } finally {
            server.disposeLater(Duration.ZERO).block(T);
        }
    }
}
