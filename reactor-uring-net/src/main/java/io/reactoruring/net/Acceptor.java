package io.reactoruring.net;

import java.net.InetSocketAddress;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The listening socket of a {@link UringServer} on its transport: multishot IORING_OP_ACCEPT
 * ({@link RingAcceptor}) or an {@link java.nio.channels.AsynchronousServerSocketChannel}
 * ({@link NioAcceptor}). The server keeps what both share: the connections, their handlers,
 * graceful shutdown and the retry after a failed accept.
 */
interface Acceptor {

    /** The bound address (with the port the kernel chose for port 0). */
    InetSocketAddress address();

    /**
     * Starts accepting: each accepted socket goes to {@code onAccept} as a connection (the server
     * then owns it). A failure of accepting goes to {@code onError} and ends this run; the server
     * calls start again to retry. Disposing the result stops accepting.
     */
    Disposable start(Consumer<UringConnection> onAccept, Consumer<Throwable> onError);

    /** Closes the listening socket once the accept in progress has ended; idempotent; completes when closed. */
    Mono<Void> close();

    /** Where the server's timers run (the accept retry, the grace period). */
    Scheduler timer();
}
