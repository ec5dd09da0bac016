package io.reactoruring.file;

import io.reactoruring.core.SharedFd;
import io.reactoruring.core.Transfers;
import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.ByteBuffer;
import java.nio.channels.NonReadableChannelException;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;
import reactor.util.context.Context;

/**
 * Batched random reads of one open file: a stream of {@link Request}s (offset, length) in, a stream
 * of {@link Result}s (offset, pooled buffer with the bytes) out, with many reads in the kernel at once.
 * This is the access pattern of disk-based search (B-tree / graph index pages fetched by offset),
 * where io_uring's batching pays: one {@code io_uring_enter} carries a whole batch of reads.
 *
 * <pre>
 * requests:   --(0,4k)--(8k,4k)--(4k,4k)--|
 * ordered:    --r(0)----r(8k)----r(4k)----|   results in request order
 * unordered:  --r(8k)---r(0)-----r(4k)----|   results as the kernel completes them
 * </pre>
 *
 * <p><b>Bounds.</b> At most {@code maxInFlight} reads are in the kernel or waiting for demand; the
 * requests publisher is asked for more only as reads finish and downstream demand allows. The
 * default bound is the ring's in-flight bound ({@code loop.metrics().maxInFlight()}), or
 * {@value #NIO_IN_FLIGHT} on the NIO fallback.
 *
 * <p><b>Results.</b> Each request yields exactly one result, whose buffer holds
 * {@code length} bytes, fewer only at end of file (0 for an offset at or past it); short reads
 * before end of file are continued. The buffer is positioned at 0 with its limit at the byte count.
 *
 * <p><b>Ownership.</b> The subscriber owns every emitted {@link Result#buffer()} and must
 * {@link PooledBuffer#release()} it once. Buffers that were read but not delivered (queued for
 * reordering or for demand) are released on cancel and error; buffers still in the kernel are
 * released when their read's CQE arrives (the kernel may write into them until then). On cancel,
 * {@code ordered} cancels the reads in the kernel; {@code unordered} lets them (at most
 * {@code maxInFlight}) finish and releases their buffers as they do.
 *
 * <p><b>Threads.</b> Reads are submitted on subscription, results are signalled on the file's loop
 * thread (results that waited for demand: on the thread that requested them). A file on the NIO fallback ({@link UringFile#isUring()} false) is read through
 * {@link UringFile#read(java.nio.ByteBuffer, long)} with the same bounds and ownership rules (and an
 * extra copy: each read lands in a GC-owned buffer first, since a started NIO read cannot be stopped).
 */
public final class RandomReads {
    /** Default bound on the NIO fallback, where each read in flight occupies a blocking thread. */
    static final int NIO_IN_FLIGHT = 16;

    private RandomReads() {
    }

    /**
     * One read: {@code length} bytes at file {@code offset}. The constructor throws
     * {@link IllegalArgumentException} if {@code offset < 0}, {@code length <= 0} or the range overflows.
     */
    public record Request(long offset, int length) {
        /** Validates the request. */
        public Request {
            if (offset < 0) {
                throw new IllegalArgumentException("offset must be >= 0, was " + offset);
            }
            if (length <= 0) {
                throw new IllegalArgumentException("length must be > 0, was " + length);
            }
            if (offset > Long.MAX_VALUE - length) {
                throw new IllegalArgumentException("offset + length overflows: " + offset + " + " + length);
            }
        }
    }

    /**
     * The bytes read for one request. {@code buffer} is owned by whoever received this result and
     * must be released once.
     */
    public record Result(long offset, PooledBuffer buffer) {
        /** A result; {@code buffer} must not be null and is owned by whoever holds the result. */
        public Result {
            Objects.requireNonNull(buffer, "buffer");
        }

        /** The number of bytes read (the buffer's limit). */
        public int bytes() {
            return buffer.buffer().limit();
        }
    }

    /** {@link #ordered(UringFile, Publisher, int)} with the ring's in-flight bound. */
    public static Flux<Result> ordered(UringFile file, Publisher<Request> requests) {
        return ordered(file, requests, defaultInFlight(file));
    }

    /**
     * Results in the order of {@code requests}; reads run concurrently (up to {@code maxInFlight})
     * and completed reads wait for earlier ones, counting against the bound.
     *
     * @throws IllegalArgumentException if {@code maxInFlight <= 0}
     * @throws NonReadableChannelException if the file was not opened for reading
     */
    public static Flux<Result> ordered(UringFile file, Publisher<Request> requests, int maxInFlight) {
        check(file, requests, maxInFlight);
        return Flux.defer(() -> {
            Tracker tracker = new Tracker();
            Flux<Request> source = Flux.from(requests).map(r -> Objects.requireNonNull(r, "requests emitted null"));
            return source.flatMapSequential(r -> Mono.defer(() -> read(file, r, tracker)), maxInFlight, 1)
                    .<Result>handle((r, sink) -> {
                        if (tracker.claim(r)) {
                            sink.next(r);
                        }
                    })
                    .doOnDiscard(Result.class, tracker::releaseIfOwned)
                    .doFinally(signal -> tracker.terminate());
        });
    }

    /** {@link #unordered(UringFile, Publisher, int)} with the ring's in-flight bound. */
    public static Flux<Result> unordered(UringFile file, Publisher<Request> requests) {
        return unordered(file, requests, defaultInFlight(file));
    }

    /**
     * Results as their reads complete, up to {@code maxInFlight} reads at once.
     *
     * @throws IllegalArgumentException if {@code maxInFlight <= 0}
     * @throws NonReadableChannelException if the file was not opened for reading
     */
    public static Flux<Result> unordered(UringFile file, Publisher<Request> requests, int maxInFlight) {
        check(file, requests, maxInFlight);
        return Flux.from(s -> requests.subscribe(new Unordered(file, maxInFlight, Operators.toCoreSubscriber(s))));
    }

    private static int defaultInFlight(UringFile file) {
        if (!file.isUring()) {
            return NIO_IN_FLIGHT;
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, file.loop().metrics().maxInFlight()));
    }

    private static void check(UringFile file, Publisher<Request> requests, int maxInFlight) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(requests, "requests");
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("maxInFlight must be > 0, was " + maxInFlight);
        }
        if (!file.isReadable()) {
            throw new NonReadableChannelException();
        }
    }

    /** Turns a finished read ({@code n} bytes into {@code buf}) into its result, or null if nobody wants it. */
    @FunctionalInterface
    private interface Completer {
        @Nullable Result completed(long offset, PooledBuffer buf, int n);
    }

    /** A finished read as a result: the buffer positioned at 0 with its limit at the byte count. */
    private static Result result(long offset, PooledBuffer buf, int n) {
        buf.buffer().clear().limit(n);
        return new Result(offset, buf);
    }

    /** Starts one read at once (so subscribe to it where it should start): a pooled buffer and a transfer. */
    private static Mono<Result> read(UringFile file, Request r, Completer completer) {
        PooledBuffer buf = file.bufferPool().acquire(r.length());
        SharedFd fd = file.ringFd();
        if (fd == null) {
            return readThroughFile(file, r, buf, completer);
        }
        return Transfers.fully(fd.loop(), fd, false, buf.address(), r.length(), r.offset(), buf, file.path().toString(),
                n -> completer.completed(r.offset(), buf, n), buf::release);
    }

    /**
     * Fallback for a file without a {@link SharedFd} (NIO mode), through the public
     * {@link UringFile#read}: the bytes land in a GC-owned direct buffer, so a cancelled read that
     * is still running cannot write into pooled memory, and are copied into {@code buf} on success.
     */
    private static Mono<Result> readThroughFile(UringFile file, Request r, PooledBuffer buf, Completer completer) {
        ByteBuffer dst = ByteBuffer.allocateDirect(r.length());
        // Ours until handed to the tracker; a cancel racing the hand-over releases it at most once.
        AtomicBoolean owned = new AtomicBoolean(true);
        Runnable drop = () -> {
            if (owned.compareAndSet(true, false)) {
                buf.release();
            }
        };
        return Mono.defer(() -> file.read(dst, r.offset() + dst.position()))
                .repeat(dst::hasRemaining)
                .takeUntil(n -> n < 0)
                .then(Mono.fromCallable(() -> {
                    if (!owned.compareAndSet(true, false)) {
                        return null;
                    }
                    buf.buffer().clear().put(dst.flip());
                    return completer.completed(r.offset(), buf, dst.limit());
                }))
                .doOnError(e -> drop.run())
                .doOnCancel(drop);
    }

    /**
     * Who owns a completed read's buffer. Why our own bookkeeping: flatMapSequential (reactor-core
     * 3.7) does not discard values queued in its inners on cancel, so {@code doOnDiscard} alone would
     * leak reordered buffers. A completed result is "undelivered" until handed downstream; whoever
     * removes it from the set (delivery, a discard, or the final sweep) owns it, so each buffer is
     * delivered or released exactly once.
     */
    private static final class Tracker implements Completer {
        private final Set<Result> undelivered = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean terminated = new AtomicBoolean();

        /** A read finished with {@code n} bytes (loop thread): the result, or null if the stream has ended. */
        @Override
        public @Nullable Result completed(long offset, PooledBuffer buf, int n) {
            Result r = result(offset, buf, n);
            undelivered.add(r);
            // The stream may have ended while this read was in the kernel: nobody will sweep again.
            if (terminated.get()) {
                releaseIfOwned(r);
                return null;
            }
            return r;
        }

        boolean claim(Result r) {
            return undelivered.remove(r);
        }

        void releaseIfOwned(Result r) {
            if (undelivered.remove(r)) {
                r.buffer().release();
            }
        }

        void terminate() {
            terminated.set(true);
            for (Result r : undelivered) {
                releaseIfOwned(r);
            }
        }
    }

    /**
     * The {@code unordered} operator: reads started as requests arrive (at most {@code maxInFlight}
     * started and not yet emitted), finished reads appended to a multi-producer queue and emitted
     * from it under downstream demand by whichever thread wins the work-in-progress counter. Each
     * emitted result asks upstream for one more request.
     *
     * <p>Why not {@code flatMap}: its drain walks every active inner on each completion, which at
     * queue depth 128 was the top Java frame on the loop thread, and each inner costs a few objects.
     *
     * <p>Ownership: a started read is never cancelled; it always ends in this queue (success) or
     * releases its own buffer (error; the transfer's abandon hook or the NIO fallback's drop). Only
     * the drain polls the queue, and once the stream is cancelled or terminated it releases what it
     * polls instead of emitting, so every buffer is emitted or released exactly once, including
     * reads that finish after the end.
     */
    private static final class Unordered implements CoreSubscriber<Request>, Subscription {
        private final UringFile file;
        private final int maxInFlight;
        private final CoreSubscriber<? super Result> actual;
        private final Queue<Result> done = Queues.<Result>unboundedMultiproducer().get();
        private final AtomicInteger wip = new AtomicInteger();
        private final AtomicLong requested = new AtomicLong();
        /** Reads started and not yet emitted (in the kernel or in {@link #done}). */
        private final AtomicInteger pending = new AtomicInteger();
        private final AtomicReference<@Nullable Throwable> error = new AtomicReference<>();
        private @Nullable Subscription upstream;
        private volatile boolean upstreamDone;
        /** Set by cancel or a terminal signal: from then on the drain releases instead of emitting. */
        private volatile boolean stopped;

        Unordered(UringFile file, int maxInFlight, CoreSubscriber<? super Result> actual) {
            this.file = file;
            this.maxInFlight = maxInFlight;
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
                s.request(maxInFlight);
            }
        }

        @Override
        public void onNext(Request r) {
            if (stopped || upstreamDone) {
                return;
            }
            Mono<Result> read;
            try {
                read = read(file, Objects.requireNonNull(r, "requests emitted null"), RandomReads::result);
            } catch (RuntimeException e) {
                upstream().cancel();
                onError(e);
                return;
            }
            pending.incrementAndGet();
            read.subscribe(new Inner(this));
        }

        private Subscription upstream() {
            return Objects.requireNonNull(upstream, "onNext before onSubscribe");
        }

        @Override
        public void onError(Throwable t) {
            if (upstreamDone || !error.compareAndSet(null, t)) {
                Operators.onErrorDropped(t, actual.currentContext());
                return;
            }
            upstreamDone = true;
            drain();
        }

        @Override
        public void onComplete() {
            if (!upstreamDone) {
                upstreamDone = true;
                drain();
            }
        }

        /** A read failed (its buffer is already released or will be by its own hook). */
        void readFailed(Throwable t) {
            if (stopped || !error.compareAndSet(null, t)) {
                return; // the stream has ended or already failed: the error has nobody to go to
            }
            upstream().cancel();
            drain();
        }

        void readDone(Result r) {
            done.offer(r);
            drain();
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                requested.getAndUpdate(c -> Operators.addCap(c, n));
                drain();
            }
        }

        @Override
        public void cancel() {
            if (!stopped) {
                stopped = true;
                upstream().cancel();
                drain();
            }
        }

        private void drain() {
            if (wip.getAndIncrement() != 0) {
                return;
            }
            int missed = 1;
            do {
                if (stopped) {
                    releaseQueued();
                } else {
                    emit();
                }
                missed = wip.addAndGet(-missed);
            } while (missed != 0);
        }

        /** Emits queued results while there is demand, then any terminal signal (drain thread only). */
        private void emit() {
            long r = requested.get();
            long e = 0;
            while (e != r && !stopped) {
                if (fail()) {
                    return;
                }
                Result v = done.poll();
                if (v == null) {
                    break;
                }
                pending.decrementAndGet();
                actual.onNext(v);
                e++;
            }
            if (stopped || fail()) {
                return;
            }
            if (e != 0) {
                if (r != Long.MAX_VALUE) {
                    requested.addAndGet(-e);
                }
                upstream().request(e);
            }
            if (upstreamDone && pending.get() == 0) {
                stopped = true;
                actual.onComplete();
            }
        }

        /** Signals a stored error, releasing what is queued; true if it did. */
        private boolean fail() {
            Throwable t = error.get();
            if (t == null) {
                return false;
            }
            stopped = true;
            releaseQueued();
            actual.onError(t);
            return true;
        }

        private void releaseQueued() {
            for (Result v = done.poll(); v != null; v = done.poll()) {
                v.buffer().release();
            }
        }
    }

    /** Receives one read's result for {@link Unordered}. */
    private static final class Inner implements CoreSubscriber<Result> {
        private final Unordered parent;

        Inner(Unordered parent) {
            this.parent = parent;
        }

        @Override
        public Context currentContext() {
            return parent.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            s.request(1);
        }

        @Override
        public void onNext(Result r) {
            parent.readDone(r);
        }

        @Override
        public void onError(Throwable t) {
            parent.readFailed(t);
        }

        @Override
        public void onComplete() {
            // the result, if any, came through onNext
        }
    }
}
