package io.reactoruring.net;

import io.reactoruring.core.buffer.PooledBuffer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The receiving side of a {@link UringConnection}. */
public interface UringInbound {

    /**
     * The bytes the peer sends, as pooled native buffers (position 0, limit = bytes received).
     * Demand-driven: one IORING_OP_RECV is in flight per requested buffer, and none without demand.
     * Completes when the peer closes its side (or this connection is disposed); errors with a
     * {@link java.net.SocketException} on reset. The subscriber owns each buffer and must
     * {@link PooledBuffer#release()} it exactly once. Only one subscriber at a time; a second
     * concurrent one gets an {@link IllegalStateException}.
     *
     * <p>Signals arrive on the connection's loop thread. Cancelling cancels the in-flight RECV in
     * the kernel; its buffer returns to the pool only after the kernel's final completion.
     */
    Flux<PooledBuffer> receive();

    /**
     * {@link #receive()} decoded as UTF-8 (a character split across two reads is decoded whole);
     * buffers are copied and released for you. Same threading and cancellation as {@link #receive()}.
     */
    Flux<String> receiveString();

    /** Everything received until the peer closes its side, as one UTF-8 string. */
    default Mono<String> receiveAsString() {
        return receiveString().collect(StringBuilder::new, StringBuilder::append).map(StringBuilder::toString);
    }
}
