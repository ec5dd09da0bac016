package io.reactoruring.net;

import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.reactivestreams.Publisher;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * What the {@code send} methods of {@link UringOutbound} return: a cold {@code Mono<Void>} that
 * completes once its data is written, onto which more sends chain the way they do on Reactor
 * Netty's {@code NettyOutbound}:
 *
 * <pre>{@code
 * return out.sendString(Mono.just(head)).sendFile(path, 0, size).then();
 * }</pre>
 *
 * Each chained send starts when the one before it completed, in order, and only when the chain
 * is subscribed; an error ends the chain. {@code then()} (Mono's) is the chain's completion.
 *
 * <p>Cancelling the chain ends the send in progress and starts no later one: its buffers that have
 * not started are dropped (those given to {@code sendPooled} released), one partly written is
 * finished first so that no other send's bytes land inside it, and a write in flight that holds
 * only its buffers is cancelled (in the kernel, on io_uring). Each subscription runs the
 * whole chain again. Immutable: the chaining methods return a new {@code Sending}; any thread.
 */
public final class Sending extends Mono<Void> {
    private final UringOutbound out;
    private final Mono<Void> done;

    Sending(UringOutbound out, Mono<Void> done) {
        this.out = out;
        this.done = done;
    }

    @Override
    public void subscribe(CoreSubscriber<? super Void> actual) {
        done.subscribe(actual);
    }

    /** Then {@link UringOutbound#send}. */
    public Sending send(Publisher<? extends ByteBuffer> data) {
        return chain(out.send(data));
    }

    /** Then {@link UringOutbound#sendPooled}. */
    public Sending sendPooled(Publisher<PooledBuffer> data) {
        return chain(out.sendPooled(data));
    }

    /** Then {@link UringOutbound#sendString}. */
    public Sending sendString(Publisher<String> data) {
        return chain(out.sendString(data));
    }

    /** Then {@link UringOutbound#sendByteArray}. */
    public Sending sendByteArray(Publisher<byte[]> data) {
        return chain(out.sendByteArray(data));
    }

    /** Then {@link UringOutbound#sendFile}. */
    public Sending sendFile(Path file, long position, long count) {
        return chain(out.sendFile(file, position, count));
    }

    /** Then {@link UringOutbound#sendFile(io.reactoruring.core.SharedFd, long, long)}. */
    public Sending sendFile(io.reactoruring.core.SharedFd file, long position, long count) {
        return chain(out.sendFile(file, position, count));
    }

    private Sending chain(Mono<Void> next) {
        return new Sending(out, done.then(next));
    }
}
