package io.reactoruring.net;

import io.reactoruring.core.buffer.PooledBuffer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The receiving side of a {@link UringConnection}. The kernel operations and the loop thread named
 * below are io_uring's; on the NIO fallback a channel read per requested buffer plays the RECV's
 * part and signals arrive on the fallback's threads (see {@link UringConnection}).
 */
public interface UringInbound {

    /**
     * The bytes the peer sends, as native buffers (position 0, limit = bytes received). Completes
     * when the peer closes its side (or this connection is disposed); errors with a
     * {@link java.net.SocketException} on reset. The subscriber owns each buffer and must
     * {@link PooledBuffer#release()} it exactly once. Only one subscriber at a time; a second
     * concurrent one gets an {@link IllegalStateException}.
     *
     * <p>By default (a {@code receiveBufferRing} of N > 0 entries) each subscription registers a
     * provided-buffer ring of N buffers and runs one multishot IORING_OP_RECV: the kernel fills
     * ring buffers as data arrives, and a buffer returns to the ring only when the subscriber
     * releases it. At most N buffers are ever out, so a subscriber that holds them (or has no
     * demand) stops the reading: the socket's receive queue fills and the peer's sends block. The
     * kernel reports the empty ring with {@code ENOBUFS}, counted in
     * {@link io.reactoruring.core.UringMetrics#bufferRingExhaustions()}; the recv is re-armed when a
     * buffer is released and there is demand (end of stream, too, is only seen once a buffer is
     * free). With {@code receiveBufferRing(0)}, or where the kernel refuses buffer rings, one plain
     * IORING_OP_RECV into a pooled buffer is in flight per requested buffer.
     *
     * <p>Signals arrive on the connection's loop thread. Cancelling cancels the recv in the kernel;
     * buffers prefetched but not delivered go back at once, and the ring's memory is freed once the
     * kernel is done and every delivered buffer is released.
     */
    Flux<PooledBuffer> receive();

    /**
     * {@link #receive()} decoded as UTF-8 (a character split across two reads is decoded whole);
     * buffers are copied and released for you. Same threading and cancellation as {@link #receive()}.
     */
    Flux<String> receiveString();

    /**
     * Everything received until the peer closes its side, in one pooled buffer (position 0, limit =
     * bytes received) that the subscriber owns and must release. Grows by doubling (copying), so
     * meant for bounded messages; fails with {@link IllegalStateException} beyond 2 GiB.
     */
    Mono<PooledBuffer> aggregate();

    /** Everything received until the peer closes its side, as one UTF-8 string. */
    default Mono<String> receiveAsString() {
        return receiveString().collect(StringBuilder::new, StringBuilder::append).map(StringBuilder::toString);
    }
}
