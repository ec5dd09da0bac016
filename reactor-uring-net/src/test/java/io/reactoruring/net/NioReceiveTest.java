package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.buffer.PooledBuffer;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * The NIO fallback's receive: a channel read cannot be withdrawn, so one that completes after its
 * subscriber cancelled must neither lose its bytes nor leak its buffer.
 */
class NioReceiveTest implements LoopbackFixture.OnNio {
    private static final Duration T = LoopbackFixture.T;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("nio-receive-test", 1);

    /** The server side of a connection from a plain socket, whose handler never reads. */
    private static UringConnection accept(Socket peer) throws Exception {
        Sinks.One<UringConnection> accepted = Sinks.one();
        UringServer server = net.bind(net.server().port(0).doOnConnection(accepted::tryEmitValue).handle((in, out) -> Mono.never()));
        peer.connect(server.address());
        return accepted.asMono().block(T);
    }

    /**
     * A subscriber that requests one buffer (which starts a read; subscribing is synchronous) and
     * cancels: the read stays in the channel, waiting for data.
     */
    private static void startReadAndLeave(UringConnection c) {
        BaseSubscriber<PooledBuffer> first = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                s.request(1);
            }

            @Override
            protected void hookOnNext(PooledBuffer pb) {
                throw new AssertionError("no data was sent yet");
            }
        };
        c.receive().subscribe(first);
        first.dispose();
    }

    private static String text(PooledBuffer pb) {
        return StandardCharsets.UTF_8.decode(pb.buffer()).toString();
    }

    @Test
    void bytesReadAfterTheSubscriberLeftGoToTheNextSubscriber() throws Exception {
        try (Socket peer = new Socket()) {
            UringConnection c = accept(peer);
            startReadAndLeave(c);
            OutputStream out = peer.getOutputStream();
            out.write("not lost".getBytes(StandardCharsets.UTF_8));
            out.flush();
            NioConnectionIo io = (NioConnectionIo) c.io();
            assertThat(net.await(io::holdsUnclaimedRead)).as("the read completed with nobody to take it").isTrue();
            StepVerifier.create(c.receive().take(1).map(NioReceiveTest::text))
                    .expectNext("not lost").verifyComplete();
            assertThat(io.holdsUnclaimedRead()).isFalse();
            c.dispose();
            c.onDispose().block(T);
        }
    }

    @Test
    void closingReleasesAReadNobodyCameBackFor() throws Exception {
        long before = net.outstanding();
        try (Socket peer = new Socket()) {
            UringConnection c = accept(peer);
            startReadAndLeave(c);
            peer.getOutputStream().write(new byte[100]);
            NioConnectionIo io = (NioConnectionIo) c.io();
            assertThat(net.await(io::holdsUnclaimedRead)).isTrue();
            assertThat(net.outstanding()).as("the unclaimed read's buffer").isEqualTo(before + 1);
            c.dispose();
            c.onDispose().block(T);
            // close() completes only once the buffer is back, so no waiting here.
            assertThat(net.outstanding()).isEqualTo(before);
        }
    }

    @Test
    void disposeCompletesAReceiveWaitingForData() throws Exception {
        try (Socket peer = new Socket()) {
            UringConnection c = accept(peer);
            long before = net.outstanding();
            StepVerifier.create(c.receive())
                    .then(c::dispose) // the read in the channel fails with AsynchronousCloseException: end of stream
                    .verifyComplete();
            c.onDispose().block(T);
            assertThat(net.outstanding()).isEqualTo(before);
        }
    }
}
