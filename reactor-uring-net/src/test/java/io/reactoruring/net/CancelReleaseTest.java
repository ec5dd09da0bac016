package io.reactoruring.net;

import static io.reactoruring.net.LoopAwait.awaitOnLoop;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.PooledBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * Memory handed to the kernel by a cancelled op is released deterministically, after the op's CQE,
 * without depending on GC.
 */
class CancelReleaseTest {
    private static final Duration T = Duration.ofSeconds(10);
    static UringLoopGroup group;

    @BeforeAll
    static void setUp() {
        group = UringLoopGroup.create("cancel-release-test", 1, RingOptions.defaults());
    }

    @AfterAll
    static void tearDown() {
        group.disposeLater().block(T);
    }

    @Test
    void cancellingReceiveWhileRecvIsInKernelReleasesBufferAfterCqe() {
        // The peer sends nothing, so the RECV stays in the kernel until it is cancelled.
        UringServer server = UringTcpServer.create().host("127.0.0.1").port(0).group(group)
                .handle((in, out) -> Mono.never())
                .bindNow(T);
        try {
            UringLoop loop = group.loops().get(0);
            // Warm the pool's size class so that a recycled receive buffer is cached, not freed:
            // the block count then only moves if something is still held.
            Mono.fromRunnable(() -> loop.bufferPool().acquire(UringConnection.DEFAULT_RECEIVE_BUFFER).release())
                    .subscribeOn(loop).block(T);
            long blocksBeforeConnect = NativeMemory.allocatedBlocks();
            UringConnection c = UringTcpClient.create().host("127.0.0.1").port(server.port()).group(group)
                    .receiveBufferRing(0) // this test is about the plain RECV path
                    .connect().block(T);
            assertThat(c).isNotNull();
            assertThat(c.loop()).isSameAs(loop);
            assertThat(awaitOnLoop(loop, () -> NativeMemory.allocatedBlocks() == blocksBeforeConnect))
                    .as("the connect's sockaddr is freed by its whenKernelDone hook").isTrue();
            long outstandingBefore = loop.bufferPool().outstanding();
            long blocksBefore = NativeMemory.allocatedBlocks();
            long submittedBefore = loop.metrics().submitted();
            long inFlightBefore = loop.metrics().inFlight();

            AtomicInteger received = new AtomicInteger();
            Disposable receiving = c.receive().subscribe(pb -> received.incrementAndGet());
            assertThat(awaitOnLoop(loop, () -> loop.metrics().submitted() > submittedBefore
                    && loop.metrics().inFlight() == inFlightBefore + 1))
                    .as("the RECV reached the kernel").isTrue();
            assertThat(loop.bufferPool().outstanding()).isEqualTo(outstandingBefore + 1);

            receiving.dispose();
            assertThat(awaitOnLoop(loop, () -> loop.bufferPool().outstanding() == outstandingBefore
                    && NativeMemory.allocatedBlocks() == blocksBefore
                    && loop.metrics().inFlight() == inFlightBefore))
                    .as("buffer released after the cancelled RECV's CQE: outstanding %d (was %d), blocks %d (was %d)",
                            loop.bufferPool().outstanding(), outstandingBefore,
                            NativeMemory.allocatedBlocks(), blocksBefore)
                    .isTrue();
            assertThat(received).hasValue(0);
            assertThat(c.isDisposed()).as("cancelling receive() does not close the connection").isFalse();

            // The connection still works for a new receive() after the cancelled one.
            Disposable again = c.receive().subscribe();
            again.dispose();
            c.dispose();
            c.onDispose().block(T);
            assertThat(awaitOnLoop(loop, () -> loop.bufferPool().outstanding() == outstandingBefore
                    && NativeMemory.allocatedBlocks() == blocksBefore))
                    .as("nothing held after the connection closed").isTrue();
        } finally {
            server.disposeLater(Duration.ZERO).block(T); // its handler never ends: no grace period
        }
    }
}
