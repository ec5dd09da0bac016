package io.reactoruring.net;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What a {@link UringConnection} does on its transport: io_uring ({@link RingConnectionIo}) or the
 * NIO fallback ({@link NioConnectionIo}). The connection keeps what both share (one receiver at a
 * time, string and array encoding, aggregation, dispose-once); the methods here have the contracts
 * of the {@link UringInbound} and {@link UringOutbound} methods of the same name.
 */
interface ConnectionIo {

    /** True on io_uring. */
    boolean isUring();

    /** The io_uring loop that owns the socket; {@link UnsupportedOperationException} on NIO. */
    UringLoop loop();

    /** Where received buffers and copies of sent bytes come from. */
    BufferPool bufferPool();

    /** Runs {@code task} on the connection's I/O thread (the handler runs there). */
    void execute(Runnable task);

    /** Called by one subscriber at a time (the connection checks). */
    Flux<PooledBuffer> receive();

    Mono<Void> send(Publisher<? extends ByteBuffer> data);

    Mono<Void> sendPooled(Publisher<PooledBuffer> data);

    /** Arguments already checked. */
    Mono<Void> sendFile(Path file, long position, long count);

    /** Arguments already checked. */
    Mono<Void> sendFile(io.reactoruring.core.SharedFd file, long position, long count);

    Mono<Void> shutdownOutput();

    /**
     * Shuts the socket down both ways (so a pending receive completes) and closes it once no
     * operation uses it; called once. Completes when the socket is closed.
     */
    Mono<Void> close();
}
