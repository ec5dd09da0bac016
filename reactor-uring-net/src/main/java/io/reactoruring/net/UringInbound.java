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
     * {@link java.net.SocketException} on reset. Only one subscriber at a time; a second
     * concurrent one gets an {@link IllegalStateException}.
     *
     * <p><b>Who releases the buffers</b> (Reactor Netty's convention, the same on io_uring and
     * NIO): each buffer is lent to {@code onNext} and released by
     * the library when {@code onNext} returns. The one rule: <em>to keep a buffer past
     * {@code onNext}, {@link PooledBuffer#retain() retain()} it there, and release that reference
     * once</em>. Keeping includes storing it, handing it to another thread, and operators that
     * queue values ({@code publishOn}, {@code flatMap}/{@code concatMap}/{@code concatMapIterable}
     * prefetch, {@code collectList}, {@code buffer}, {@code cache}...):
     * {@code receive().map(PooledBuffer::retain)} before them. Work done inside {@code onNext}
     * (including {@code map}, {@code doOnNext}, {@code reduce} and {@code collect} accumulators)
     * needs nothing. {@link UringOutbound#sendPooled} takes ownership of every buffer it is given
     * (taking over the library's reference of a buffer it is lending), so {@code out.sendPooled(in.receive())}
     * echoes without a copy and without {@code retain()}; {@code out.sendPooled(in.receive().map(PooledBuffer::retain))}
     * is equally correct. Do not release a buffer you did not retain (counted in
     * {@link PooledBuffer#doubleReleases()}, logged once). A subscriber that forgets buffers does
     * not stall the connection. {@code Hooks.onNextDropped(PooledBuffer::releaseDropped)} leaves
     * lent buffers to the library.
     *
     * <p>By default (a {@code receiveBufferRing} of N > 0) the connection receives through its
     * loop's shared provided-buffer ring (one per loop and buffer size, registered while any
     * connection uses it): one buffer-select IORING_OP_RECV at a time, armed only with demand, and
     * the kernel picks a ring buffer only when data arrives, so an idle connection holds no buffer.
     * A buffer returns to the ring when the subscriber releases it. A connection holds at most N
     * buffers: at that cap (or without demand) it stops reading, the socket's receive queue fills
     * and the peer's sends block, while the other connections of the loop keep the rest of the
     * ring (buffers count until released: by the library after {@code onNext}, or by whoever
     * retained them). A connection that finds the ring empty is counted in
     * {@link io.reactoruring.core.UringMetrics#bufferRingExhaustions()} and resumes when a buffer
     * comes back. On Linux 6.12+ the ring consumes its buffers incrementally ({@code IOU_PBUF_RING_INC}):
     * each emitted buffer is a slice holding just the bytes of its completion (its capacity is its
     * length), so small messages share one ring buffer, which goes back to the ring once the kernel
     * has filled it and every slice of it is released; {@code -Dreactoruring.net.incrementalBufferRings=false}
     * turns that off, and {@link io.reactoruring.core.UringMetrics#incrementalBufferRings()} shows it.
     * With incremental rings and Linux 6.17+ (and unless {@code -Dreactoruring.net.multishotReceive=false})
     * the connection keeps one multishot RECV armed instead of
     * one RECV per message (no submission per message received): armed only with demand and below
     * the cap of N slices held (delivered and not released, or received and not yet delivered), each
     * arming limited by the kernel to N buffers' worth of bytes, and cancelled at the cap (what
     * arrives meanwhile is queued in order and delivered with demand, never lost); an error ends the
     * stream at once, releasing what was not delivered. Otherwise one RECV is in flight at a time.
     * With {@code receiveBufferRing(0)}, or where the kernel refuses buffer rings, one
     * plain IORING_OP_RECV into a pooled buffer is in flight per requested buffer.
     *
     * <p>Signals arrive on the connection's loop thread. Cancelling cancels the recv in the kernel
     * (a buffer it raced to fill goes back to the ring); the loop's ring is freed once no connection
     * uses it and every delivered buffer is released.
     */
    Flux<PooledBuffer> receive();

    /**
     * {@link #receive()} decoded as UTF-8 (a character split across two reads is decoded whole);
     * buffers are copied and released for you. Same threading and cancellation as {@link #receive()}.
     */
    Flux<String> receiveString();

    /**
     * Everything received until the peer closes its side, in one pooled buffer (position 0, limit =
     * bytes received) that the subscriber owns and must release (unlike {@link #receive()}'s lent
     * buffers: this one is the subscriber's). Grows by doubling (copying), so
     * meant for bounded messages; fails with {@link IllegalStateException} beyond 2 GiB.
     */
    Mono<PooledBuffer> aggregate();

    /** Everything received until the peer closes its side, as one UTF-8 string. */
    default Mono<String> receiveAsString() {
        return receiveString().collect(StringBuilder::new, StringBuilder::append).map(StringBuilder::toString);
    }
}
