package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.Poll;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;

/**
 * receive() under the subscriber's demand, with the multishot receive armed where the kernel has it:
 * a subscriber asking for one buffer at a time gets every byte in order while the connection holds a
 * bounded number of buffers. {@link NioReceiveDemandTest} runs it on NIO.
 */
class ReceiveDemandTest {
    private static final Duration T = LoopbackFixture.T;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("receive-demand-test", 1);

    private static UringLoop loop() {
        return net.loop();
    }

    private @org.jspecify.annotations.Nullable String multishotBefore;

    @org.junit.jupiter.api.BeforeEach
    void multishotOn() {
        multishotBefore = System.getProperty(RingReceive.MULTISHOT_PROPERTY);
        System.setProperty(RingReceive.MULTISHOT_PROPERTY, "true"); // the default, unless the run turned it off
    }

    @org.junit.jupiter.api.AfterEach
    void defaultMode() {
        LoopbackFixture.restoreProperty(RingReceive.MULTISHOT_PROPERTY, multishotBefore);
    }

    private static byte at(long i) {
        return (byte) (i * 31 + (i >>> 9));
    }

    /** Buffers the connection's receive holds: ring buffers out of the shared ring, or NIO pool buffers. */
    private static long heldByReceive(long pooledBefore) {
        if (net.nio()) {
            return net.outstanding() - pooledBefore;
        }
        List<BufferRing> rings = SharedReceiveRings.rings(loop()); // a racy read off-loop: a sample is enough
        return rings.stream().mapToLong(BufferRing::outstanding).sum();
    }

    @Test
    void aSubscriberAskingForOneAtATimeGetsEverythingInOrderWithBoundedBuffersHeld() throws Exception {
        int total = 2 * 1024 * 1024;
        int cap = ConnectionSettings.DEFAULT_RING_ENTRIES;
        BlockingQueue<PooledBuffer> delivered = new LinkedBlockingQueue<>();
        AtomicReference<Subscription> subscription = new AtomicReference<>();
        AtomicBoolean completed = new AtomicBoolean();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicInteger deliveredMax = new AtomicInteger();
        long pooledBefore = net.outstanding();
        UringServer server = net.bind(net.server().port(0).handle((in, out) -> Mono.<Void>create(done ->
                in.receive().subscribe(new BaseSubscriber<PooledBuffer>() {
                    @Override
                    protected void hookOnSubscribe(Subscription s) {
                        subscription.set(s);
                        s.request(1);
                    }

                    @Override
                    protected void hookOnNext(PooledBuffer pb) {
                        delivered.add(pb.retain());
                        deliveredMax.accumulateAndGet(delivered.size(), Math::max);
                    }

                    @Override
                    protected void hookOnComplete() {
                        completed.set(true);
                        done.success();
                    }

                    @Override
                    protected void hookOnError(Throwable e) {
                        failed.set(e);
                        done.success();
                    }
                }))));
        try (SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", server.port()))) {
            CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
                try {
                    ByteBuffer chunk = ByteBuffer.allocate(4096);
                    for (long pos = 0; pos < total; pos += chunk.capacity()) {
                        chunk.clear();
                        for (int i = 0; i < chunk.capacity(); i++) {
                            chunk.put(i, at(pos + i));
                        }
                        while (chunk.hasRemaining()) {
                            c.write(chunk);
                        }
                    }
                    c.shutdownOutput();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long received = 0;
            long maxHeld = 0;
            while (received < total) {
                PooledBuffer pb = delivered.poll(30, TimeUnit.SECONDS);
                assertThat(pb).as("a buffer after %d bytes (error: %s)", received, failed.get()).isNotNull();
                maxHeld = Math.max(maxHeld, heldByReceive(pooledBefore));
                ByteBuffer b = pb.buffer();
                for (int i = b.position(); i < b.limit(); i++) {
                    if (b.get(i) != at(received)) {
                        pb.release();
                        throw new AssertionError("byte " + received + " out of order");
                    }
                    received++;
                }
                pb.release();
                subscription.get().request(1);
            }
            writing.get(30, TimeUnit.SECONDS);
            assertThat(Poll.until(completed::get)).as("receive completes at the peer's end of stream").isTrue();
            assertThat(received).isEqualTo(total);
            assertThat(failed.get()).isNull();
            assertThat(deliveredMax.get()).as("never more delivered than asked for").isEqualTo(1);
            // The connection's cap of buffers (a slice may straddle one more), the one being read included.
            assertThat(maxHeld).as("buffers the receive held at most").isLessThanOrEqualTo(cap + 1);
        }
    }
}
