package io.reactoruring.net;

import io.reactoruring.core.Completion;
import io.reactoruring.core.Errno;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringError;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.CoreAccess;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * {@link UringInbound#receive()} over the loop's shared provided-buffer ring
 * ({@link SharedReceiveRings}): one buffer-select IORING_OP_RECV at a time per connection, armed
 * only while the subscriber has demand. The kernel picks a ring buffer only when data arrives, so
 * an idle connection holds no buffer at all.
 *
 * <p>Why not multishot: a multishot RECV keeps taking buffers from the shared ring as fast as
 * the peer sends, so one fast sender could empty the ring for every connection on the loop before
 * Java sees a CQE. One RECV at a time lets Java decide per buffer.
 *
 * <p>Fairness: a connection holds at most {@code perConnection} buffers (delivered and not yet
 * released); at the cap it stops receiving (the socket's queue fills, the peer's sends block) until
 * one comes back, so a subscriber that never releases keeps at most its cap and the rest of the
 * ring serves the other connections. A connection that finds the ring empty (before arming, or
 * from the kernel's {@code -ENOBUFS}) is counted in
 * {@link io.reactoruring.core.UringMetrics#bufferRingExhaustions()}, waits for a buffer to come
 * back (each returning buffer wakes one waiting connection, in order) and re-arms.
 *
 * <p>Cancellation keeps the one owner of every buffer: the RECV is cancelled in the kernel by fd
 * and opcode (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP, Linux 6.6+) rather than by dropping
 * its subscription, so a CQE that raced with the cancel still arrives here and its buffer goes back
 * to the shared ring.
 *
 * <p>On an incremental ring ({@link BufferRing#incremental()}) each completion is a slice of the
 * buffer the kernel is filling: it counts as one of the connection's {@code perConnection} buffers
 * until released, and pins only its own bytes.
 */
final class RingReceive extends Flux<PooledBuffer> {
    private static final Logger LOG = Loggers.getLogger(RingReceive.class);
    /** IORING_ASYNC_CANCEL_OP (Linux 6.6): match the opcode in sqe->len as well as the fd. */
    static final int IORING_ASYNC_CANCEL_OP = 1 << 5;

    private final UringLoop loop;
    private final SharedFd fd;
    private final String description;
    private final BufferRing ring;
    private final Consumer<BufferRing> giveBack;
    private final int perConnection;

    private RingReceive(UringLoop loop, SharedFd fd, String description, BufferRing ring, Consumer<BufferRing> giveBack,
            int perConnection) {
        this.loop = loop;
        this.fd = fd;
        this.description = description;
        this.ring = ring;
        this.giveBack = giveBack;
        this.perConnection = perConnection;
    }

    /**
     * Receives through {@code loop}'s shared ring for {@code bufferSize}-byte buffers, holding at
     * most {@code perConnection} of them; {@code fallback} if the kernel refuses the ring.
     */
    static Flux<PooledBuffer> receive(UringLoop loop, SharedFd fd, String description, int perConnection, int bufferSize,
            Supplier<Flux<PooledBuffer>> fallback) {
        int entries = SharedReceiveRings.entriesFor(bufferSize, perConnection);
        return receive(SharedReceiveRings.acquire(loop, bufferSize, entries), r -> SharedReceiveRings.release(loop, r),
                loop, fd, description, perConnection, fallback);
    }

    /**
     * {@link #receive} over the ring {@code acquisition} emits (given back to {@code giveBack} when
     * the subscription ends), or {@code fallback} if the kernel refuses it.
     */
    static Flux<PooledBuffer> receive(Mono<BufferRing> acquisition, Consumer<BufferRing> giveBack, UringLoop loop,
            SharedFd fd, String description, int perConnection, Supplier<Flux<PooledBuffer>> fallback) {
        AtomicBoolean gotRing = new AtomicBoolean();
        return acquisition
                .doOnDiscard(BufferRing.class, giveBack) // acquired after the subscriber left
                .flatMapMany(ring -> {
                    gotRing.set(true);
                    return new RingReceive(loop, fd, description, ring, giveBack, perConnection);
                })
                .onErrorResume(e -> e instanceof UringError && !gotRing.get(), e -> {
                    // e.g. EINVAL before Linux 5.19, or ENOMEM under RLIMIT_MEMLOCK: plain RECVs still work.
                    LOG.debug("no provided-buffer ring for {} ({}); receiving with single RECVs", description, e.toString());
                    return fallback.get();
                });
    }

    @Override
    public void subscribe(CoreSubscriber<? super PooledBuffer> actual) {
        actual.onSubscribe(new Session(actual));
    }

    /** One subscription. Its state is the loop thread's; request and cancel post {@link #run()} there. */
    private final class Session implements Subscription, Runnable, CoreSubscriber<Completion> {
        private static final AtomicLongFieldUpdater<Session> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(Session.class, "requested");
        private static final AtomicIntegerFieldUpdater<Session> CANCELLED =
                AtomicIntegerFieldUpdater.newUpdater(Session.class, "cancelled");

        private final CoreSubscriber<? super PooledBuffer> actual;
        /** Buffers delivered and not yet released: the connection's share of the ring. */
        private final AtomicInteger held = new AtomicInteger();
        private final Runnable bufferBack = this::bufferBack;
        /** Waiting for the ring to have a buffer again; cleared by the wake-up (any thread). */
        private final AtomicBoolean waitingForRing = new AtomicBoolean();
        private volatile long requested;
        private volatile int cancelled;

        // Loop thread only.
        private boolean armed;          // a RECV is in the kernel (or queued for it)
        private boolean cancelSent;
        private boolean endOfStream;
        private @Nullable Throwable error;
        private boolean done;
        private boolean running;
        private boolean again;
        private @Nullable Disposable ringWait;
        private @Nullable Subscription recv;

        Session(CoreSubscriber<? super PooledBuffer> actual) {
            this.actual = actual;
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                Operators.addCap(REQUESTED, this, n);
                post();
            }
        }

        @Override
        public void cancel() {
            if (CANCELLED.compareAndSet(this, 0, 1)) {
                post();
            }
        }

        private void post() {
            try {
                loop.execute(this);
            } catch (RejectedExecutionException e) {
                // The loop is gone: its shutdown ended any RECV in flight and the ring with it.
            }
        }

        /** A buffer this connection held came back to the ring (any thread). */
        private void bufferBack() {
            if (held.getAndDecrement() >= perConnection) {
                post(); // it was at its cap: it may receive again
            }
        }

        @Override
        public void run() {
            if (running) {
                again = true; // re-entered from a signal: the outer call goes round once more
                return;
            }
            running = true;
            try {
                do {
                    again = false;
                    step();
                } while (again);
            } finally {
                running = false;
            }
        }

        private void step() {
            if (done) {
                return;
            }
            if (cancelled != 0) {
                if (armed) {
                    cancelInKernel();
                } else {
                    finish();
                }
                return;
            }
            if (armed) {
                return;
            }
            if (error != null) {
                Throwable e = error;
                finish();
                actual.onError(e);
                return;
            }
            if (endOfStream) {
                finish();
                actual.onComplete();
                return;
            }
            if (requested == 0 || held.get() >= perConnection) {
                return; // demand, or a buffer coming back (bufferBack), posts the next step
            }
            if (ring.available() == 0) {
                if (waitingForRing.compareAndSet(false, true)) {
                    // Counted like the kernel's ENOBUFS: data may be waiting and the ring has nothing for it.
                    ring.recordExhausted();
                    ringWait = ring.whenAvailable().subscribe(null, null, () -> {
                        waitingForRing.set(false);
                        post();
                    });
                }
                return;
            }
            stopWaitingForRing(); // a wake-up meant for this connection would be lost to the others
            arm();
        }

        private void arm() {
            armed = true;
            ring.retain(); // the kernel may pick a buffer until the RECV's CQE
            Op op = Op.builder(Opcode.RECV).fd(fd)
                    .sqeFlags(Opcode.IOSQE_BUFFER_SELECT).bufIndex(ring.groupId())
                    .acceptedErrno(Errno.ENOBUFS)
                    .whenKernelDone(ring::release)
                    .name("recv").target(description).build();
            loop.submitMultishot(op).subscribe(this);
        }

        private void cancelInKernel() {
            if (cancelSent) {
                return;
            }
            cancelSent = true;
            Op cancel = Op.builder(Opcode.ASYNC_CANCEL).fd(fd)
                    .opFlags(Opcode.IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP).length(Opcode.RECV)
                    .acceptedErrno(Errno.ENOENT)
                    .name("cancel recv").target(description).build();
            loop.submit(cancel).subscribe(n -> {
                if (n == -Errno.ENOENT) {
                    dropRecv(); // not in the kernel (yet): stop it on the Java side
                }
            }, e -> dropRecv()); // e.g. EINVAL before Linux 6.6
        }

        /**
         * Cancels the RECV's subscription: a CQE that still arrives is then dropped by the loop
         * with its buffer (lost to the shared ring). Only where the kernel could not cancel it.
         */
        private void dropRecv() {
            Subscription s = recv;
            if (armed && s != null) {
                recv = null;
                armed = false;
                s.cancel();
                run();
            }
        }

        private void stopWaitingForRing() {
            Disposable w = ringWait;
            if (w != null) {
                ringWait = null;
                if (waitingForRing.compareAndSet(true, false)) {
                    w.dispose();
                }
            }
        }

        private void finish() {
            done = true;
            stopWaitingForRing();
            giveBack.accept(ring);
        }

        // ------------------------------------------------ the RECV's completion (loop thread)

        @Override
        public void onSubscribe(Subscription s) {
            recv = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Completion c) {
            int id = c.bufferId();
            int res = c.res();
            PooledBuffer b = null;
            if (id >= 0) {
                held.incrementAndGet();
                b = CoreAccess.take(ring, id, Math.max(0, res), c.bufferMore(), bufferBack);
            }
            if (res > 0 && b != null && cancelled == 0 && !done) {
                if (requested != Long.MAX_VALUE) {
                    REQUESTED.decrementAndGet(this);
                }
                actual.onNext(b);
                return;
            }
            if (b != null) {
                b.release(); // no data, or nobody to give it to: straight back to the ring
            }
            if (res == 0) {
                endOfStream = true;
            } else if (res == -Errno.ENOBUFS) {
                // Another connection took the last buffer first: step() counts the empty ring, waits
                // for a buffer to come back, then re-arms.
            }
        }

        @Override
        public void onError(Throwable t) {
            armed = false;
            recv = null;
            if (cancelled == 0 && error == null) {
                error = t;
            }
            run();
        }

        @Override
        public void onComplete() {
            armed = false;
            recv = null;
            run();
        }
    }
}
