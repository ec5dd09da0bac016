package io.reactoruring.examples.http;

import io.reactoruring.core.UringLoop;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;

/**
 * The HTTP server's request-header timeout and keep-alive idle timeout (nginx's
 * {@code client_header_timeout} 60 s and {@code keepalive_timeout} 75 s by default). A connection
 * is closed when a request head (or the first one of a new connection) has not been completely
 * received within the header timeout of its first byte, however slowly bytes trickle in (slowloris),
 * or when it has been idle between requests for the keep-alive timeout. Not a timer per connection:
 * one periodic io_uring timeout per loop (the NIO fallback: one on {@code Schedulers.parallel()})
 * checks the stamps of that loop's connections, every quarter of the shorter timeout (10 ms .. 1 s).
 */
final class HttpDeadlines {
    private static final Object NIO = new Object();
    private static final Map<Object, HttpDeadlines> SWEEPERS = new ConcurrentHashMap<>();

    /** One connection's stamps (System.nanoTime; 0 = not running), written on its I/O thread. */
    static final class Conn {
        final Runnable close;
        final long headerNanos;
        final long keepAliveNanos;
        volatile long headStart = System.nanoTime(); // a new connection waits for its first head
        volatile long idleSince;
        volatile boolean betweenRequests = true; // no request pending, no head in progress
        volatile boolean draining; // the server is shutting down

        Conn(Runnable close, Duration header, Duration keepAlive) {
            this.close = close;
            this.headerNanos = header.toNanos();
            this.keepAliveNanos = keepAlive.toNanos();
        }

        /** After bytes were parsed: a head is in progress (keeps its first byte's time) or not. */
        void parsed(boolean inHead) {
            long hs = headStart;
            headStart = inHead ? (hs != 0 ? hs : System.nanoTime()) : 0;
            if (inHead) {
                idleSince = 0;
            }
        }

        /** A response finished (or a request started): idle from now if nothing else is pending. */
        void idle(boolean idle) {
            idleSince = idle ? System.nanoTime() : 0;
            betweenRequests = idle;
        }

        /**
         * The server is shutting down: close now if between requests, else after the current
         * response (see {@link #keepServing}). As nginx and Reactor Netty do, a request that races
         * this close may find the connection closed; clients retry idempotent requests.
         */
        void drain() {
            draining = true;
            if (betweenRequests) {
                close.run();
            }
        }

        /** Whether to read the next request after a response that allowed keep-alive. */
        boolean keepServing() {
            return !draining;
        }

        boolean expired(long now) {
            long hs = headStart;
            long is = idleSince;
            return (hs != 0 && now - hs >= headerNanos) || (is != 0 && now - is >= keepAliveNanos);
        }
    }

    private final Set<Conn> conns = ConcurrentHashMap.newKeySet();
    private long tick = Long.MAX_VALUE; // guarded by this
    private @Nullable Disposable ticking; // guarded by this
    private final @Nullable UringLoop loop;

    private HttpDeadlines(@Nullable UringLoop loop) {
        this.loop = loop;
    }

    /** Watches {@code c} until the returned Disposable is disposed (when the connection ends). */
    static Disposable watch(@Nullable UringLoop loop, Conn c) {
        HttpDeadlines d = SWEEPERS.computeIfAbsent(loop != null ? loop : NIO, k -> new HttpDeadlines(loop));
        d.conns.add(c);
        d.ensure(Math.max(TimeUnit.MILLISECONDS.toNanos(10),
                Math.min(TimeUnit.SECONDS.toNanos(1), Math.min(c.headerNanos, c.keepAliveNanos) / 4)));
        return () -> d.conns.remove(c);
    }

    private synchronized void ensure(long wanted) {
        if (ticking != null && wanted >= tick) {
            return;
        }
        if (ticking != null) {
            ticking.dispose();
        }
        tick = wanted;
        // On a loop, schedulePeriodically is an io_uring timeout re-armed after each expiry.
        ticking = loop != null ? loop.schedulePeriodically(this::sweep, wanted, wanted, TimeUnit.NANOSECONDS)
                : Schedulers.parallel().schedulePeriodically(this::sweep, wanted, wanted, TimeUnit.NANOSECONDS);
    }

    private void sweep() {
        long now = System.nanoTime();
        for (Conn c : conns) {
            if (c.expired(now)) {
                conns.remove(c);
                c.close.run();
            }
        }
    }
}
