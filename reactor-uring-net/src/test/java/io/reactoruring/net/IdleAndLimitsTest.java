package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Issue 11 item 2: idleTimeout, onReadIdle/onWriteIdle (one ring timeout per loop, no timer per
 * connection) and maxConnections. No timing asserts: short timeouts, and the test waits for the
 * state (closed, counted) the timeout must cause.
 */
class IdleAndLimitsTest {
    private static final Duration T = Duration.ofSeconds(10);
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("idle-test", 2);

    private static Mono<byte[]> roundTrip(UringConnection c, String s) {
        return c.sendString(Mono.just(s)).then(c.receive().take(1).single().map(pb -> {
            byte[] b = new byte[pb.buffer().remaining()];
            pb.buffer().get(b);
            return b;
        }));
    }

    @Test
    void idleTimeoutClosesAnIdleConnectionAndServesOthers() {
        Sinks.One<UringConnection> accepted = Sinks.one();
        UringServer server = net.bind(net.server().port(0).idleTimeout(Duration.ofMillis(150))
                .doOnConnection(accepted::tryEmitValue)
                .handle((in, out) -> out.sendPooled(in.receive())));
        UringConnection idle = net.client(server).connect().block(T);
        UringConnection serverSide = accepted.asMono().block(T);
        // The idle client sends nothing: the server closes it, the client sees end of stream.
        assertThat(LoopbackFixture.collect(idle.receive()).block(T)).isEmpty();
        serverSide.onDispose().block(T);
        assertThat(net.await(() -> server.activeConnections() == 0)).isTrue();
        // A new connection that talks is served.
        UringConnection active = net.client(server).connect().block(T);
        assertThat(new String(roundTrip(active, "hello").block(T), StandardCharsets.UTF_8)).isEqualTo("hello");
        active.dispose();
        idle.dispose();
        // With no watched connection left, the loop's ticker stops.
        IdleTicker ticker = IdleTicker.of(serverSide.io());
        assertThat(net.await(() -> !ticker.ticking())).as("ticker stops").isTrue();
    }

    @Test
    void onReadIdleRepeatsOnTheLoopUntilTheCallbackCloses() {
        AtomicInteger fired = new AtomicInteger();
        AtomicBoolean offThread = new AtomicBoolean();
        UringServer server = net.bind(net.server().port(0)
                .doOnConnection(c -> c.onReadIdle(40, () -> {
                    if (c.isUring() ? !c.loop().inLoop() : !reactor.core.scheduler.Schedulers.isInNonBlockingThread()) {
                        offThread.set(true);
                    }
                    if (fired.incrementAndGet() == 3) {
                        c.dispose();
                    }
                }))
                .handle((in, out) -> in.receive().then()));
        UringConnection c = net.client(server).connect().block(T);
        assertThat(LoopbackFixture.collect(c.receive()).block(T)).isEmpty();
        assertThat(fired).hasValue(3);
        assertThat(offThread).isFalse();
        c.dispose();
    }

    @Test
    void onWriteIdleFiresForASilentServerAndReplacingTheCallbackKeepsOne() {
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        Sinks.Empty<Void> pinged = Sinks.empty();
        UringServer server = net.bind(net.server().port(0)
                .doOnConnection(c -> c.onWriteIdle(Duration.ofMillis(30), first::incrementAndGet)
                        .onWriteIdle(Duration.ofMillis(30), () -> {
                            if (second.incrementAndGet() == 1) {
                                // Handing the bytes to the send resets the write-idle period.
                                c.sendString(Mono.just("ping")).subscribe(null, pinged::tryEmitError, pinged::tryEmitEmpty);
                            } else {
                                // Idle again: close, but only once the ping is written (dispose drops a send
                                // still in flight, which a loaded machine can keep there for over 30 ms).
                                pinged.asMono().onErrorResume(e -> Mono.empty()).doFinally(sig -> c.dispose()).subscribe();
                            }
                        }))
                .handle((in, out) -> in.receive().then()));
        UringConnection c = net.client(server).connect().block(T);
        assertThat(new String(LoopbackFixture.collect(c.receive()).block(T), StandardCharsets.UTF_8)).isEqualTo("ping");
        assertThat(second).hasValue(2);
        assertThat(first).as("replaced before it could fire").hasValue(0);
        c.dispose();
    }

    @Test
    void maxConnectionsClosesNewOnesAtAcceptAndCountsThem() {
        AtomicInteger handled = new AtomicInteger();
        UringServer server = net.bind(net.server().port(0).maxConnections(2)
                .doOnConnection(c -> handled.incrementAndGet())
                .handle((in, out) -> out.sendPooled(in.receive())));
        List<UringConnection> open = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            UringConnection c = net.client(server).connect().block(T);
            assertThat(new String(roundTrip(c, "c" + i).block(T), StandardCharsets.UTF_8)).isEqualTo("c" + i);
            open.add(c);
        }
        UringConnection third = net.client(server).connect().block(T);
        third.sendString(Mono.just("x")).onErrorResume(e -> Mono.empty()).block(T);
        // The kernel accepted it; the server closed it at once: end of stream (or a reset).
        LoopbackFixture.collect(third.receive()).onErrorResume(e -> Mono.just(new byte[0])).block(T);
        assertThat(server.refusedConnections()).isEqualTo(1);
        assertThat(handled).hasValue(2);
        third.dispose();
        // Once one closes, a new connection is served again.
        open.get(0).dispose();
        assertThat(net.await(() -> server.activeConnections() == 1)).isTrue();
        UringConnection fourth = net.client(server).connect().block(T);
        assertThat(new String(roundTrip(fourth, "four").block(T), StandardCharsets.UTF_8)).isEqualTo("four");
        fourth.dispose();
        open.get(1).dispose();
    }

    @Test
    void aWatchFiresOncePerIdlePeriod() {
        ConnectionActivity a = new ConnectionActivity();
        IdleTicker.Watch w = new IdleTicker.Watch(null, a, IdleTicker.Kind.ANY, 100, () -> { });
        long t0 = Math.max(a.lastRead, a.lastWrite);
        assertThat(w.due(t0 + 99)).isFalse();
        assertThat(w.due(t0 + 100)).isTrue();
        assertThat(w.due(t0 + 150)).as("not again within the same period").isFalse();
        assertThat(w.due(t0 + 200)).as("again after a further period").isTrue();
        a.lastRead = t0 + 250; // activity resets the period
        assertThat(w.due(t0 + 300)).isFalse();
        assertThat(w.due(t0 + 350)).isTrue();
    }
}
