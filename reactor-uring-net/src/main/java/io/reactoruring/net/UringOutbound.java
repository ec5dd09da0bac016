package io.reactoruring.net;

import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.ByteBuffer;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/** The sending side of a {@link UringConnection}. */
public interface UringOutbound {

    /**
     * Writes every buffer's remaining bytes, in order, with IORING_OP_SEND (MSG_NOSIGNAL, so a
     * closed peer gives an error, not SIGPIPE), looping on partial sends. One send is in flight at a
     * time and the source is requested one buffer at a time, so memory use is bounded. The buffers'
     * positions are not changed; a buffer must not be modified until the returned Mono completes.
     * Heap buffers are copied to native memory first; direct buffers are sent in place.
     *
     * <p>Completes on the connection's loop thread when everything is written; errors with a
     * {@link java.net.SocketException} when the peer is gone. Cancelling cancels the in-flight send.
     */
    Mono<Void> send(Publisher<? extends ByteBuffer> data);

    /**
     * Like {@link #send}, for pooled buffers (such as those from {@link UringInbound#receive()}):
     * each is released once written, or when the send fails or is cancelled (for a send in flight,
     * after the kernel's final completion).
     */
    Mono<Void> sendPooled(Publisher<PooledBuffer> data);

    /** {@link #send} of each string's UTF-8 bytes. */
    Mono<Void> sendString(Publisher<String> data);

    /**
     * shutdown(SHUT_WR): the peer sees end of stream once everything sent has arrived; receiving
     * keeps working. Completes on the loop thread.
     */
    Mono<Void> shutdownOutput();
}
