package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** Round trips over loopback; {@link NioEchoTest} runs them again on the NIO fallback. */
class EchoTest {
    private static final Duration T = LoopbackFixture.T;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("echo-test", 2);

    private final List<UringConnection> serverSide = new CopyOnWriteArrayList<>();

    private UringServer echoServer() {
        return net.bind(UringTcpServer.create().host("127.0.0.1").port(0)
                .doOnConnection(serverSide::add)
                .handle((in, out) -> out.sendPooled(in.receive())));
    }

    private UringTcpClient client(UringServer s) {
        return net.client(s).host("127.0.0.1");
    }

    /** Waits for every server-side connection to close, then checks no pooled buffer is left out. */
    private void assertBuffersReturned() {
        Mono.when(serverSide.stream().map(UringConnection::onDispose).toList()).block(T);
        // On io_uring buffers go back in whenKernelDone hooks, which run on the loop just after the signals.
        assertThat(net.await(() -> net.outstanding() == 0)).as("outstanding buffers: " + net.outstanding()).isTrue();
    }

    @Test
    void echoRoundTrip() {
        UringServer s = echoServer();
        assertThat(s.port()).isPositive();
        StepVerifier.create(client(s).connect().flatMap(c ->
                        c.sendString(Mono.just("hello uring"))
                                .then(c.shutdownOutput())
                                .thenMany(c.receive())
                                .doOnNext(pb -> assertThat(net.onIoThread(c)).as("signalled on the connection's I/O thread").isTrue())
                                .map(pb -> java.nio.charset.StandardCharsets.UTF_8.decode(pb.buffer()).toString())
                                .reduce(String::concat)
                                .doFinally(sig -> c.dispose())
                                .flatMap(str -> c.onDispose().thenReturn(str))))
                .expectNext("hello uring")
                .expectComplete().verify(T);
        assertThat(serverSide).hasSize(1);
        assertBuffersReturned();
    }

    @Test
    void largePayloadEchoesIntact() {
        UringServer s = echoServer();
        int size = 4 * 1024 * 1024 + 123; // many RECVs, and sends larger than the socket buffer
        byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) {
            payload[i] = (byte) (i * 31 + (i >>> 8));
        }
        ByteBuffer direct = ByteBuffer.allocateDirect(1000).put(payload, 0, 1000).flip();
        Mono<byte[]> roundTrip = client(s).connect().flatMap(c -> {
            Mono<Void> sending = c.send(Flux.just(direct, ByteBuffer.wrap(payload, 1000, size - 1000)))
                    .then(c.shutdownOutput());
            Mono<byte[]> receiving = LoopbackFixture.collect(c.receive());
            return Mono.zip(sending.thenReturn(true), receiving).map(t -> t.getT2()).doFinally(sig -> c.dispose());
        });
        StepVerifier.create(roundTrip)
                .assertNext(bytes -> assertThat(bytes).isEqualTo(payload))
                .expectComplete().verify(T);
        assertThat(direct.position()).as("send leaves buffer positions alone").isZero();
        assertBuffersReturned();
    }

    @Test
    void peerClosingHalfWayCompletesReceive() {
        Sinks.One<String> received = Sinks.one();
        UringServer server = net.bind(UringTcpServer.create().port(0)
                .doOnConnection(serverSide::add)
                .handle((in, out) -> in.receiveAsString().doOnNext(received::tryEmitValue).then()));
        // The client writes part of a message and closes without shutting down cleanly first.
        StepVerifier.create(client(server).connect().flatMap(c ->
                        c.sendString(Mono.just("partial mess")).then(Mono.fromRunnable(c::dispose)).then(c.onDispose())))
                .expectComplete().verify(T);
        StepVerifier.create(received.asMono()).expectNext("partial mess").expectComplete().verify(T);
        assertBuffersReturned();
    }

    @Test
    void handlerCompletingClosesConnectionAndWakesPendingReceive() {
        Sinks.Empty<Void> serverReceiveDone = Sinks.empty();
        UringServer server = net.bind(UringTcpServer.create().port(0)
                .doOnConnection(serverSide::add)
                .handle((in, out) -> {
                    // A RECV stays pending in the kernel: closing must still complete it.
                    in.receive()
                            .subscribe(null, serverReceiveDone::tryEmitError, serverReceiveDone::tryEmitEmpty);
                    return out.sendString(Mono.just("bye"));
                }));
        StepVerifier.create(client(server).connect().flatMap(c ->
                        c.receiveAsString().doFinally(sig -> c.dispose())))
                .expectNext("bye")
                .expectComplete().verify(T);
        StepVerifier.create(serverReceiveDone.asMono()).expectComplete().verify(T);
        assertBuffersReturned();
        assertThat(server.activeConnections()).isZero();
    }

    @Test
    void multiByteCharactersSplitAcrossReadsDecodeWhole() {
        UringServer s = echoServer();
        String text = "héllo wörld ✓ ".repeat(2000);
        // 1-byte RECVs force every multi-byte character to be split.
        StepVerifier.create(client(s).receiveBufferSize(1).connect().flatMap(c ->
                        c.sendString(Flux.just(text.substring(0, 7), text.substring(7)))
                                .then(c.shutdownOutput())
                                .then(c.receiveAsString())
                                .doFinally(sig -> c.dispose())))
                .expectNext(text)
                .expectComplete().verify(T);
        assertBuffersReturned();
    }

    @Test
    void ipv6LoopbackEcho() throws Exception {
        // Only where the kernel has IPv6 on loopback (some containers disable it).
        org.junit.jupiter.api.Assumptions.assumeTrue(
                java.nio.file.Files.readString(java.nio.file.Path.of("/proc/net/if_inet6")).contains(" lo"), "no IPv6 loopback");
        UringServer server = net.bind(UringTcpServer.create().host("::1").port(0)
                .doOnConnection(serverSide::add)
                .handle((in, out) -> out.sendPooled(in.receive())));
        assertThat(server.address().getAddress()).isInstanceOf(java.net.Inet6Address.class);
        StepVerifier.create(net.client(server).host("::1").connect().flatMap(c ->
                        c.sendString(Mono.just("over v6")).then(c.shutdownOutput()).then(c.receiveAsString())
                                .doFinally(sig -> c.dispose())))
                .expectNext("over v6")
                .expectComplete().verify(T);
        assertBuffersReturned();
    }

    /** Reactor Netty style: sends chain in order, and a chain writes nothing until subscribed. */
    @Test
    void chainedSendsGoOutInOrderWhenSubscribed() {
        UringServer s = echoServer();
        StepVerifier.create(client(s).connect().flatMap(c -> {
                    Sending chain = c.sendString(Mono.just("a"))
                            .sendByteArray(Mono.just("b".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                            .send(Mono.just(ByteBuffer.wrap("c".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
                    return c.sendString(Mono.just("0")) // goes first: the chain above is not subscribed yet
                            .then(chain.then())
                            .then(c.shutdownOutput())
                            .then(c.receiveAsString())
                            .doFinally(sig -> c.dispose());
                }))
                .expectNext("0abc")
                .expectComplete().verify(T);
        assertBuffersReturned();
    }

    /**
     * A source may still emit after its send was cancelled (Reactive Streams §2.8): the send releases
     * such a buffer instead of dropping it (a flatMap would drop it unreleased).
     */
    @Test
    void aBufferOfferedAfterTheSendEndedIsReleased() {
        // A server that takes no buffers (an echo server's receive would race with the count below).
        UringServer s = net.bind(net.server().port(0).handle((in, out) -> Mono.never()));
        UringConnection c = client(s).connect().block(T);
        assertThat(c).isNotNull();
        java.util.concurrent.atomic.AtomicReference<org.reactivestreams.Subscriber<? super PooledBuffer>> source =
                new java.util.concurrent.atomic.AtomicReference<>();
        org.reactivestreams.Publisher<PooledBuffer> late = subscriber -> {
            source.set(subscriber);
            subscriber.onSubscribe(new org.reactivestreams.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
        };
        long before = net.outstanding();
        StepVerifier.create(c.sendPooled(late)).thenCancel().verify(T);
        PooledBuffer pb = net.pool().acquire(16);
        pb.buffer().limit(16);
        source.get().onNext(pb); // it was on its way when the send ended
        assertThat(net.await(() -> net.outstanding() == before)).as("the late buffer was released").isTrue();
        c.dispose();
        c.onDispose().block(T);
    }

    /** The name is looked up off the loop, so connecting from a handler or a loop task cannot stall it. */
    @Test
    void connectingByNameFromALoopThread() {
        UringServer s = echoServer();
        StepVerifier.create(Mono.defer(() -> net.client(s).host("localhost").connect())
                        .subscribeOn(net.loop()) // a NonBlocking thread: a lookup there would block the loop
                        .flatMap(c -> c.sendString(Mono.just("by name")).then(c.shutdownOutput()).then(c.receiveAsString())
                                .doFinally(sig -> c.dispose())))
                .expectNext("by name")
                .expectComplete().verify(T);
        assertBuffersReturned();
    }

    @Test
    void secondConcurrentReceiveIsRejected() {
        UringServer s = echoServer();
        StepVerifier.create(client(s).connect().flatMap(c -> {
                    c.receive().subscribe(pb -> { }, e -> { });
                    return c.receive().then().doFinally(sig -> c.dispose());
                }))
                .expectError(IllegalStateException.class)
                .verify(T);
    }

    @Test
    void sendAfterDisposeFailsWithClosedChannel() {
        UringServer s = echoServer();
        StepVerifier.create(client(s).connect().flatMap(c -> {
                    c.dispose();
                    return c.onDispose().then(c.sendString(Mono.just("late")));
                }))
                .expectError(java.nio.channels.ClosedChannelException.class)
                .verify(T);
    }
}
