package io.reactoruring.net;

import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Who owns the connection one subscription to {@link UringTcpClient#connect()} makes: the
 * subscriber, or the client that must close it. One atomic word decides the race between the
 * connect's completion handing the connection over and the subscriber leaving (cancel, or a timeout
 * or error that ends the Mono), as core's {@code OpHandle.claimDelivery} does for ops: the
 * connection is either delivered to the subscriber's {@code onNext} or disposed here, never both,
 * never neither.
 *
 * <p>Reactor's operators are no help in between: {@code Mono.create}'s sink and {@code timeout}
 * hand a value that arrives while a cancel runs on another thread to {@code Hooks.onNextDropped},
 * not to {@code doOnDiscard}, so a connection offered here stays owned here until
 * {@link #claim} at the very end of the chain takes it for the subscriber.
 */
final class ConnectHandoff {
    /** The subscriber received the connection: it is theirs. */
    private static final Object DELIVERED = new Object();
    /** The subscription ended without a connection: one offered from now on is closed at once. */
    private static final Object CLOSED = new Object();

    /** null (none yet), the connection offered and not yet delivered, DELIVERED or CLOSED. */
    private final AtomicReference<@Nullable Object> state = new AtomicReference<>();

    /**
     * The connect produced {@code conn}. True: it is held here until delivered or closed. False:
     * the subscription already ended; {@code conn} has been disposed and must not be emitted.
     */
    boolean offer(UringConnection conn) {
        if (state.compareAndSet(null, conn)) {
            return true;
        }
        conn.dispose();
        return false;
    }

    /**
     * At the subscriber's {@code onNext} (the last operator of connect()): true if {@code conn} is
     * the subscriber's now; false if the subscription ended first (it was or is now disposed).
     */
    boolean claim(UringConnection conn) {
        if (state.compareAndSet(conn, DELIVERED)) {
            return true;
        }
        conn.dispose();
        return false;
    }

    /** The subscription ended (any signal): a connection offered and not delivered is closed. */
    void close() {
        Object prev = state.getAndUpdate(s -> s == DELIVERED ? DELIVERED : CLOSED);
        if (prev instanceof UringConnection conn) {
            conn.dispose();
        }
    }

    /** {@code connect} with the handoff at its end: the operators that make the claim binding. */
    Mono<UringConnection> guard(Mono<UringConnection> connect) {
        return connect.filter(this::claim).doFinally(signal -> close());
    }
}
