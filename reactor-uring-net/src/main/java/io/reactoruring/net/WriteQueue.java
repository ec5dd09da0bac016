package io.reactoruring.net;

import io.reactoruring.core.buffer.PooledBuffer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * The one ordered write queue of a connection, shared by every send on it, on either transport:
 * what a {@code send(...)} means (ordering, window, short writes, completion, errors, cancellation,
 * buffer ownership) lives here once; a {@link Transport} only starts writes (io_uring: SEND,
 * SENDMSG, SEND_ZC in {@link RingWrites}; NIO: gathering channel writes in {@link NioConnectionIo}).
 *
 * <p>A chunk is a buffer's bytes or a region the transport writes from without copying (on
 * io_uring the pipe {@code sendFile} spliced a piece of the file into); a region is written alone,
 * and takes its place in the order like a buffer.
 *
 * <p>Order: buffers join the queue as their sources emit them, and go out in that order, so each
 * send's buffers arrive in order, and buffers of sends subscribed concurrently interleave only at
 * buffer boundaries: one write is in flight at a time, and a short write's rest goes first.
 *
 * <p>Batching and window: each send requests {@value #WINDOW} buffers ahead and one more per
 * buffer written, so a peer that does not read stalls its sources with bounded memory. Buffers
 * that queued up while a write ran go out together in the next one (up to {@value #MAX_BATCH}
 * buffers or {@value #MAX_BATCH_BYTES} bytes), except those the transport writes alone (SEND_ZC).
 * A transport may go on reading a buffer's memory after reporting it written (SEND_ZC until its
 * notification): at most {@value #HELD_WINDOW} such bytes are held, and a send completes only when
 * none of its buffers is held, so the caller's memory is never touched after its send completed.
 *
 * <p>Ownership: the queue owns one reference to each {@link Chunk} it accepted and releases it
 * exactly once, when the chunk is written or dropped and no write of the transport uses it any
 * more. Cancelling a send (or its source failing) drops its buffers that have not started; a buffer
 * partly written is finished first, so that no other send's bytes land inside it, unless the write
 * in flight holds only buffers of ended sends: that write is then withdrawn (in the kernel, on
 * io_uring) and the next one waits until the transport is done with it. A write failing (the socket
 * is broken) fails every send with buffers queued, with the same error.
 *
 * <p>Threading: signals come from any thread and run one at a time, in arrival order, on the
 * transport's I/O thread (the loop on io_uring; on NIO on whichever thread signals while none runs).
 */
final class WriteQueue {
    static final int WINDOW = 32;
    static final int MAX_BATCH = 64;
    static final int MAX_BATCH_BYTES = 1024 * 1024;
    static final int HELD_WINDOW = 4 * 1024 * 1024;

    /** How the bytes reach the socket. Every method is called on the queue's signal thread. */
    interface Transport {
        /** True on the thread signals may run on right away. */
        boolean inIoThread();

        /** Runs {@code task} on the I/O thread; throws {@link RejectedExecutionException} if it is gone. */
        void execute(Runnable task);

        /** True if {@code c} must be written on its own (SEND_ZC). */
        boolean alone(Chunk c);

        /**
         * Starts writing the remaining bytes of {@code batch}, in order, as one write (a region chunk
         * comes alone). Reports to {@code w} exactly once {@link Write#written} (bytes &gt; 0)
         * or {@link Write#failed}, unless withdrawn, and in every case later {@link Write#kernelDone}
         * once it reads none of the memory any more; from any thread. Returns what withdraws the
         * write, or null where a started write cannot be withdrawn.
         */
        @Nullable Disposable write(List<Chunk> batch, Write w);
    }

    /**
     * Bytes to write: a buffer's, or a region of something the transport writes from without
     * copying (a pipe a file was spliced into). The queue owns what keeps it alive (a reference
     * to the pooled buffer, to the pipe) and releases that once.
     */
    static final class Chunk {
        private final @Nullable ByteBuffer bytes;
        private final @Nullable PooledBuffer pooled;
        /** Address of {@code bytes}' index 0, for transports that write by address (direct buffers only). */
        private final long base;
        private final @Nullable Object region;
        private final @Nullable Runnable releaseRegion;
        private final int length;
        private int written;
        private @Nullable Send owner;
        /** Writes of the transport that may still read this chunk's memory. */
        private int openWrites;
        /** Written, or dropped: it leaves the queue, and is released once no write uses it. */
        private boolean settled;

        private Chunk(@Nullable ByteBuffer bytes, @Nullable PooledBuffer pooled, long base, @Nullable Object region,
                @Nullable Runnable releaseRegion, int length) {
            this.bytes = bytes;
            this.pooled = pooled;
            this.base = base;
            this.region = region;
            this.releaseRegion = releaseRegion;
            this.length = length;
        }

        /** A pooled buffer's remaining bytes; takes over the caller's reference. */
        static Chunk of(PooledBuffer pb) {
            ByteBuffer b = pb.buffer().duplicate();
            return new Chunk(b, pb, 0, null, null, b.remaining());
        }

        /** {@code b}'s remaining bytes, written in place; {@code base} is the address of its index 0 (or 0). */
        static Chunk inPlace(ByteBuffer b, long base) {
            ByteBuffer d = b.duplicate();
            return new Chunk(d, null, base, null, null, d.remaining());
        }

        /** {@code length} bytes of {@code region}, always written alone; {@code release} runs once when it is done. */
        static Chunk region(Object region, int length, Runnable release) {
            return new Chunk(null, null, 0, region, release, length);
        }

        /** What a region chunk is written from; null for a buffer's bytes. */
        @Nullable Object region() {
            return region;
        }

        /** The bytes left to write, as a fresh view (a buffer chunk only). */
        ByteBuffer view() {
            ByteBuffer b = Objects.requireNonNull(bytes, "a region has no bytes").duplicate();
            return b.position(b.position() + written);
        }

        /** Native address of the next byte to write (a buffer chunk only). */
        long cursor() {
            int position = Objects.requireNonNull(bytes, "a region has no address").position() + written;
            return (pooled != null ? pooled.address() : base) + position;
        }

        int remaining() {
            return length - written;
        }

        /** Releases what keeps the chunk alive; also for a chunk the queue never took (an empty one, a late one). */
        void release() {
            if (pooled != null) {
                pooled.release();
            }
            if (releaseRegion != null) {
                releaseRegion.run();
            }
        }
    }

    private final Transport transport;
    private final ConcurrentLinkedQueue<Runnable> signals = new ConcurrentLinkedQueue<>();
    private final AtomicInteger wip = new AtomicInteger();
    // Confined to the signal thread:
    /** Chunks not yet written; the first {@code current.batch.size()} are the write in flight. */
    private final ArrayDeque<Chunk> queue = new ArrayDeque<>();
    private @Nullable Write current;
    /** A withdrawn write the transport is not done with: the socket is still its. */
    private @Nullable Write withdrawn;
    private long heldBytes;
    private int heldWrites;

    WriteQueue(Transport transport) {
        this.transport = transport;
    }

    /** {@code send(data)}: each buffer as {@code chunk} makes it (in place, or a copy). */
    Mono<Void> send(Publisher<? extends ByteBuffer> data, Function<ByteBuffer, Chunk> chunk) {
        return send(Flux.from(data).map(chunk));
    }

    /**
     * {@code sendPooled(data)}: adopts each buffer. Those emitted after the send ended are released
     * by the send; those a source discards (prefetched, never emitted) by the hook here.
     */
    Mono<Void> sendPooled(Publisher<PooledBuffer> data) {
        return send(Flux.from(data).map(Chunk::of)).doOnDiscard(PooledBuffer.class, PooledBuffer::releaseDropped);
    }

    /** A send of the one region chunk {@code region} makes when subscribed (failing if it throws). */
    Mono<Void> sendRegion(java.util.concurrent.Callable<Chunk> region) {
        return send(Mono.fromCallable(region).flux());
    }

    /** A cold send of {@code chunks}: completes once each is written (the queue owns each chunk given to it). */
    private Mono<Void> send(Flux<Chunk> chunks) {
        Flux<Chunk> owned = chunks.doOnDiscard(Chunk.class, Chunk::release);
        return new Mono<>() {
            @Override
            public void subscribe(CoreSubscriber<? super Void> actual) {
                owned.subscribe(new Send(actual));
            }
        };
    }

    // ---------------------------------------------------------------- signals

    private void signal(Runnable r) {
        signals.offer(r);
        if (wip.getAndIncrement() != 0) {
            return; // the thread running signals runs this one too, in order
        }
        if (transport.inIoThread()) {
            runSignals();
            return;
        }
        try {
            transport.execute(this::runSignals);
        } catch (RejectedExecutionException e) {
            runSignals(); // the loop is gone: nothing else runs; every write now fails and releases
        }
    }

    private void runSignals() {
        int missed = 1;
        for (;;) {
            Runnable r;
            while ((r = signals.poll()) != null) {
                r.run();
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }

    // ---------------------------------------------------------------- the queue

    private void accept(Send s, Chunk c) {
        if (s.finished) {
            c.release();
            return;
        }
        if (c.remaining() == 0) {
            c.release();
            if (!s.upstreamDone) {
                s.upstream().request(1);
            }
            return;
        }
        c.owner = s;
        s.live++;
        queue.add(c);
        drain();
    }

    /** Starts the next write if the socket is free and something is queued. */
    private void drain() {
        if (current != null || withdrawn != null || queue.isEmpty()) {
            return;
        }
        List<Chunk> batch = new ArrayList<>();
        long bytes = 0;
        for (Chunk c : queue) {
            boolean alone = c.region != null || transport.alone(c);
            if (alone && !batch.isEmpty() || batch.size() == MAX_BATCH || bytes >= MAX_BATCH_BYTES) {
                break;
            }
            batch.add(c);
            bytes += c.remaining();
            if (alone) {
                break;
            }
        }
        if (heldWrites > 0 && heldBytes + bytes > HELD_WINDOW) {
            return; // kernelDone of a held write frees room and drains again
        }
        Write w = new Write(batch, bytes);
        current = w;
        for (Chunk c : batch) {
            c.openWrites++;
        }
        try {
            w.withdraw = transport.write(batch, w);
        } catch (RuntimeException e) {
            w.failed(e);
            w.kernelDone();
        }
    }

    private void written(Write w, long n) {
        if (w != current) {
            return; // withdrawn meanwhile
        }
        current = null;
        if (n <= 0) {
            failed(w, new IOException("a write of " + w.bytes + " bytes wrote " + n));
            return;
        }
        w.reported = true;
        if (!w.done) {
            heldWrites++;
            heldBytes += w.bytes;
        }
        for (Chunk c : w.batch) {
            int take = (int) Math.min(n, c.remaining());
            c.written += take;
            n -= take;
            if (c.remaining() > 0) {
                break; // a short write: the rest goes first in the next write
            }
            queue.poll(); // c: the batch is the head of the queue
            Send s = Objects.requireNonNull(c.owner);
            settle(c);
            if (!s.finished && !s.upstreamDone) {
                s.upstream().request(1);
            }
        }
        drain();
    }

    /** The socket is broken: every send with chunks queued fails with {@code e}. */
    private void failed(Write w, Throwable e) {
        if (w != current) {
            return;
        }
        current = null;
        List<Send> failing = new ArrayList<>();
        Chunk c;
        while ((c = queue.poll()) != null) {
            Send s = Objects.requireNonNull(c.owner);
            if (!s.finished && !failing.contains(s)) {
                failing.add(s);
            }
            settle(c);
        }
        for (Send s : failing) {
            s.fail(e);
        }
    }

    private void kernelDone(Write w) {
        if (w.done) {
            return;
        }
        w.done = true;
        if (w == current) { // a transport ended without a result (the loop went away)
            failed(w, new java.nio.channels.ClosedChannelException());
        }
        if (w.reported) {
            heldWrites--;
            heldBytes -= w.bytes;
        }
        if (w == withdrawn) {
            withdrawn = null;
        }
        for (Chunk c : w.batch) {
            if (--c.openWrites == 0 && c.settled) {
                free(c);
            }
        }
        drain();
    }

    /** {@code c} leaves the queue's accounts: written or dropped. */
    private void settle(Chunk c) {
        c.settled = true;
        if (c.openWrites == 0) {
            free(c);
        }
    }

    private void free(Chunk c) {
        c.release();
        Send s = Objects.requireNonNull(c.owner);
        s.live--;
        s.maybeComplete();
    }

    /**
     * {@code s} ended early: drops its chunks that have not started, and withdraws the write in
     * flight if it only holds chunks of sends that ended.
     */
    private void withdraw(Send s) {
        Write w = current;
        for (Iterator<Chunk> it = queue.iterator(); it.hasNext(); ) {
            Chunk c = it.next();
            if (c.owner == s && c.openWrites == 0 && c.written == 0) {
                it.remove();
                settle(c);
            }
        }
        if (w != null && w.withdraw != null && w.batch.stream().allMatch(c -> Objects.requireNonNull(c.owner).finished)) {
            current = null;
            withdrawn = w;
            for (int i = 0; i < w.batch.size(); i++) {
                settle(queue.poll());
            }
            w.withdraw.dispose(); // the transport still reports kernelDone
        }
        drain();
    }

    // ---------------------------------------------------------------- one write, one send

    /** One write the transport runs; it reports here, from any thread. */
    final class Write {
        private final List<Chunk> batch;
        private final long bytes;
        private @Nullable Disposable withdraw;
        private boolean reported;
        private boolean done;

        private Write(List<Chunk> batch, long bytes) {
            this.batch = batch;
            this.bytes = bytes;
        }

        /** {@code n} bytes of the batch went out, from its first chunk's position on. */
        void written(long n) {
            signal(() -> WriteQueue.this.written(this, n));
        }

        /** Nothing more will be written: the socket is broken. */
        void failed(Throwable e) {
            signal(() -> WriteQueue.this.failed(this, e));
        }

        /** The transport reads none of the batch's memory any more (after its result, or after a withdrawal). */
        void kernelDone() {
            signal(() -> WriteQueue.this.kernelDone(this));
        }
    }

    /** One send: subscriber of its chunks and subscription of its Mono; signals run on the queue's thread. */
    private final class Send implements CoreSubscriber<Chunk>, Subscription {
        private final CoreSubscriber<? super Void> actual;
        private @Nullable Subscription upstream;
        private boolean started;
        private boolean upstreamDone;
        private boolean finished;
        /** Chunks the queue took from this send and has not released. */
        private int live;

        Send(CoreSubscriber<? super Void> actual) {
            this.actual = actual;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
            }
        }

        /** Runs {@code r} as a signal; a throwing source (its request(), say) fails this send. */
        private void signal(Runnable r) {
            WriteQueue.this.signal(() -> {
                try {
                    r.run();
                } catch (Throwable t) {
                    fail(t);
                }
            });
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                signal(() -> {
                    if (!started && !finished) {
                        started = true;
                        upstream().request(WINDOW);
                    }
                });
            }
        }

        @Override
        public void cancel() {
            signal(() -> {
                if (!finished) {
                    finished = true;
                    upstreamDone = true; // no more requests: an error it sends now is expected
                    upstream().cancel();
                    withdraw(this);
                }
            });
        }

        @Override
        public void onNext(Chunk c) {
            signal(() -> accept(this, c));
        }

        @Override
        public void onError(Throwable t) {
            signal(() -> {
                if (finished) {
                    return; // we cancelled it (the send was cancelled or failed): an error now is expected
                }
                upstreamDone = true;
                fail(t);
            });
        }

        @Override
        public void onComplete() {
            signal(() -> {
                upstreamDone = true;
                maybeComplete();
            });
        }

        void maybeComplete() {
            if (!finished && upstreamDone && live == 0) {
                finished = true;
                actual.onComplete();
            }
        }

        void fail(Throwable e) {
            if (finished) {
                return;
            }
            finished = true;
            if (!upstreamDone) {
                upstreamDone = true;
                upstream().cancel();
            }
            withdraw(this);
            actual.onError(e);
        }

        Subscription upstream() {
            return Objects.requireNonNull(upstream, "no subscription");
        }
    }
}
