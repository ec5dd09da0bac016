package io.reactoruring.examples.broadcast;

import io.reactoruring.net.UringConnection;
import io.reactoruring.net.UringInbound;
import io.reactoruring.net.UringOutbound;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpServer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * The seed documents' chat server: every line (up to {@link #MAX_LINE} bytes, ending with
 * {@code \n}) a connection sends is broadcast to every other connection. One received message is
 * one buffer; each subscriber gets a read-only view of it (no copy per subscriber in Java), queued
 * on that subscriber's one ordered send; sends handed to a loop in one iteration go to the kernel in
 * one submission (one io_uring_enter for all of them, see the BroadcastLoad benchmark).
 *
 * <p>Slow subscribers: each has a queue bounded to {@code maxQueued} messages (what its socket
 * and send window do not take yet). A subscriber whose queue is full when a message arrives is
 * disconnected and counted in {@link #droppedSubscribers()}, so one reader that stopped reading
 * neither stalls the others nor grows memory without bound. When the server shuts down gracefully,
 * each subscriber is sent what is queued for it, then closed.
 *
 * <pre>
 * java -cp ... io.reactoruring.examples.broadcast.BroadcastServer &lt;port&gt;
 * nc 127.0.0.1 &lt;port&gt;    # in several terminals: what one types, the others see
 * </pre>
 */
public final class BroadcastServer {
    /** Longest message; a longer line closes its sender. */
    public static final int MAX_LINE = 64 * 1024;
    /** Default bound of a subscriber's queue, in messages. */
    public static final int DEFAULT_MAX_QUEUED = 1024;

    private final Set<Subscriber> subscribers = ConcurrentHashMap.newKeySet();
    private final int maxQueued;
    private final LongAdder dropped = new LongAdder();
    private final LongAdder messages = new LongAdder();

    /** A subscriber: its connection and its bounded, ordered queue of messages to send. */
    private static final class Subscriber {
        final UringConnection connection;
        final Sinks.Many<ByteBuffer> queue;

        Subscriber(UringConnection connection, int maxQueued) {
            this.connection = connection;
            this.queue = Sinks.many().unicast().onBackpressureBuffer(Queues.<ByteBuffer>get(maxQueued).get());
        }

        /** False when the queue is full (or the subscriber gone). Publishers on several loops: serialised here. */
        synchronized boolean offer(ByteBuffer message) {
            return queue.tryEmitNext(message).isSuccess();
        }

        /** No more messages: the send ends once those queued are written. */
        synchronized void finish() {
            queue.tryEmitComplete();
        }
    }

    /** A server whose subscribers may each have {@code maxQueued} messages waiting, > 0. */
    public BroadcastServer(int maxQueued) {
        if (maxQueued <= 0) {
            throw new IllegalArgumentException("maxQueued must be > 0, was " + maxQueued);
        }
        this.maxQueued = maxQueued;
    }

    /** Binds {@code config} (its handler replaced) and serves. The caller disposes the server. */
    public UringServer start(UringTcpServer config) {
        Objects.requireNonNull(config, "config");
        return config.handle(handler()).bindNow(Duration.ofSeconds(5));
    }

    /** The connection handler, for {@link UringTcpServer#handle}. */
    public BiFunction<UringInbound, UringOutbound, Publisher<Void>> handler() {
        return (in, out) -> {
            if (!(in instanceof UringConnection c)) {
                return Mono.error(new IllegalArgumentException("needs the server's UringConnection"));
            }
            Subscriber self = new Subscriber(c, maxQueued);
            subscribers.add(self);
            LineFramer framer = new LineFramer(MAX_LINE);
            Mono<Void> sending = out.send(self.queue.asFlux()).then();
            // Framed in map(), while receive() lends the buffer (released when onNext returns).
            Mono<Void> receiving = in.receive().map(pb -> framer.feed(pb.buffer())).concatMapIterable(lines -> lines)
                    .doOnNext(line -> broadcast(line, self))
                    .then();
            // At a server shutdown, what is queued is still sent, then the connection ends.
            reactor.core.Disposable shutdown = c.onServerShutdown().subscribe(null, null, self::finish);
            // The connection ends when its peer closes (receiving completes) or it is dropped.
            return Mono.firstWithSignal(receiving, sending)
                    .doFinally(s -> {
                        subscribers.remove(self);
                        self.finish();
                        shutdown.dispose();
                    });
        };
    }

    /** Sends {@code message} to every subscriber but {@code from}; a full queue drops that subscriber. */
    private void broadcast(ByteBuffer message, Subscriber from) {
        messages.increment();
        ByteBuffer shared = message.asReadOnlyBuffer();
        for (Subscriber s : subscribers) {
            if (s == from) {
                continue;
            }
            if (!s.offer(shared.duplicate())) {
                if (subscribers.remove(s)) {
                    dropped.increment();
                    s.connection.dispose();
                }
            }
        }
    }

    /** Sends {@code message} (one line, with its {@code \n}) to every subscriber, as if a connection had. */
    public void publish(ByteBuffer message) {
        broadcast(message, null);
    }

    /** Subscribers currently connected. */
    public int subscribers() {
        return subscribers.size();
    }

    /** Subscribers disconnected because their queue was full. */
    public long droppedSubscribers() {
        return dropped.sum();
    }

    /** Messages broadcast so far. */
    public long messages() {
        return messages.sum();
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 1) {
            System.err.println("usage: BroadcastServer <port> [host]");
            System.exit(64);
        }
        String host = args.length > 1 ? args[1] : "127.0.0.1";
        UringServer server = new BroadcastServer(DEFAULT_MAX_QUEUED)
                .start(UringTcpServer.create().host(host).port(Integer.parseInt(args[0])));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.disposeNow(Duration.ofSeconds(5));
            stopped.countDown();
        }, "broadcast-shutdown"));
        System.out.println("broadcasting lines on " + host + ":" + server.port());
        stopped.await();
    }
}
