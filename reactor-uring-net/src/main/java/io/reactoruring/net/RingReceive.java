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
import io.reactoruring.core.internal.KernelVersion;
import java.util.ArrayDeque;
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
 * ({@link SharedReceiveRings}). The kernel picks a ring buffer only when data arrives, so an idle
 * connection holds no buffer at all. Two ways to receive, chosen per subscription:
 *
 * <p><b>Multishot</b> (the default; {@link #MULTISHOT_PROPERTY}{@code =false} turns it off. Needs an
 * {@linkplain BufferRing#incremental() incremental} ring and Linux 6.17+ for the byte limit below):
 * one armed buffer-select RECV with IORING_RECV_MULTISHOT per connection, so a connection that
 * keeps receiving costs no submission per message. Each completion is a slice of a ring buffer (it
 * pins only its bytes). Fairness rule, so that one connection cannot drain the shared ring:
 * <ul>
 * <li>it is armed only while the subscriber has demand and the connection holds fewer than
 *     {@code perConnection} slices (delivered and not released, plus received and not yet
 *     delivered);
 * <li>each arming carries a byte limit (sqe->optlen, IORING_RECV_MSHOT_LIM, Linux 6.17) of
 *     {@code (perConnection - held) × bufferSize}: the kernel ends the multishot itself once it has
 *     delivered that much, however fast the peer sends and however late Java looks;
 * <li>when the connection reaches {@code perConnection} slices the multishot is cancelled
 *     (IORING_OP_ASYNC_CANCEL by fd and opcode); completions already on their way are queued, in
 *     order, and delivered when the subscriber has demand;
 * <li>a queued slice is delivered only while the subscriber holds fewer than {@code perConnection}
 *     delivered slices, so a subscriber that never releases sees at most its cap;
 * <li>it is re-armed when the kernel ended it (no IORING_CQE_F_MORE: the byte limit, {@code -ENOBUFS},
 *     the cancel) and the first rule allows it again.
 * </ul>
 * A connection therefore pins at most {@code perConnection} buffers' worth of bytes per arming, and
 * takes nothing while its subscriber hoards.
 *
 * <p><b>Single-shot</b> (the default; older kernels, rings consumed whole): one
 * buffer-select IORING_OP_RECV at a time, armed only while the subscriber has demand and holds
 * fewer than {@code perConnection} buffers; every message costs a RECV submission.
 *
 * <p>Either way a connection at its cap stops receiving (the socket's queue fills, the peer's sends
 * block) until a buffer comes back, so the rest of the ring serves the other connections. A
 * connection that finds the ring empty (before arming, or from the kernel's {@code -ENOBUFS}) is
 * counted in {@link io.reactoruring.core.UringMetrics#bufferRingExhaustions()}, waits for a buffer
 * to come back (each returning buffer wakes one waiting connection, in order) and re-arms.
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
    /** System property: {@code false} receives with one single-shot RECV per message, never multishot. */
    static final String MULTISHOT_PROPERTY = "reactoruring.net.multishotReceive";
    /** The total byte limit of a multishot RECV (sqe->optlen) came with Linux 6.17. */
    private static final boolean KERNEL_HAS_MULTISHOT_LIMIT = KernelVersion.runningAtLeast(6, 17);
    /** MSG_WAITALL: a multishot RECV with it is refused (EINVAL), how tests play a kernel without the byte limit. */
    static final int MSG_WAITALL = 0x100;
    /** Set once the kernel refused a multishot RECV (EINVAL): single RECVs from then on, after one warning. */
    private static volatile boolean multishotRefused;
    /** Tests: msg_flags added to the multishot RECV. */
    static volatile int testMultishotMsgFlags;

    private final UringLoop loop;
    private final SharedFd fd;
    private final String description;
    private final BufferRing ring;
    private final Consumer<BufferRing> giveBack;
    private final int perConnection;
    private final Mono<Void> closing;

    private RingReceive(UringLoop loop, SharedFd fd, String description, BufferRing ring, Consumer<BufferRing> giveBack,
            int perConnection, Mono<Void> closing) {
        this.closing = closing;
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
            Mono<Void> closing, Supplier<Flux<PooledBuffer>> fallback) {
        int entries = SharedReceiveRings.entriesFor(bufferSize, perConnection);
        return receive(SharedReceiveRings.acquire(loop, bufferSize, entries), r -> SharedReceiveRings.release(loop, r),
                loop, fd, description, perConnection, closing, fallback);
    }

    /**
     * {@link #receive} over the ring {@code acquisition} emits (given back to {@code giveBack} when
     * the subscription ends), or {@code fallback} if the kernel refuses it.
     */
    static Flux<PooledBuffer> receive(Mono<BufferRing> acquisition, Consumer<BufferRing> giveBack, UringLoop loop,
            SharedFd fd, String description, int perConnection, Supplier<Flux<PooledBuffer>> fallback) {
        return receive(acquisition, giveBack, loop, fd, description, perConnection, Mono.never(), fallback);
    }

    /**
     * As above; {@code closing} completes when the connection is closed here (dispose): a subscription
     * with no RECV in the kernel (at its cap, or waiting for demand) would otherwise never learn of it,
     * and would keep its undelivered slices and its hold on the shared ring until its subscriber left.
     */
    static Flux<PooledBuffer> receive(Mono<BufferRing> acquisition, Consumer<BufferRing> giveBack, UringLoop loop,
            SharedFd fd, String description, int perConnection, Mono<Void> closing, Supplier<Flux<PooledBuffer>> fallback) {
        AtomicBoolean gotRing = new AtomicBoolean();
        return acquisition
                .doOnDiscard(BufferRing.class, giveBack) // acquired after the subscriber left
                .flatMapMany(ring -> {
                    gotRing.set(true);
                    return new RingReceive(loop, fd, description, ring, giveBack, perConnection, closing);
                })
                .onErrorResume(e -> e instanceof UringError && !gotRing.get(), e -> {
                    // e.g. EINVAL before Linux 5.19, or ENOMEM under RLIMIT_MEMLOCK: plain RECVs still work.
                    LOG.debug("no provided-buffer ring for {} ({}); receiving with single RECVs", description, e.toString());
                    return fallback.get();
                });
    }

    /** Whether a receive over {@code ring} uses one multishot RECV (see the class comment). */
    static boolean multishot(BufferRing ring) {
        return ring.incremental() && KERNEL_HAS_MULTISHOT_LIMIT && !multishotRefused
                && "true".equalsIgnoreCase(System.getProperty(MULTISHOT_PROPERTY, "true").trim());
    }

    /** True once the kernel refused a multishot RECV (tests). */
    static boolean multishotRefused() {
        return multishotRefused;
    }

    /** Tests: forget a refusal. */
    static void resetMultishotRefused() {
        multishotRefused = false;
    }

    @Override
    public void subscribe(CoreSubscriber<? super PooledBuffer> actual) {
        Session session = new Session(actual, multishot(ring));
        actual.onSubscribe(session);
        session.watchClose();
    }

    /** One subscription. Its state is the loop thread's; request and cancel post {@link #run()} there. */
    private final class Session implements Subscription, Runnable, CoreSubscriber<Completion> {
        private static final AtomicLongFieldUpdater<Session> REQUESTED =
                AtomicLongFieldUpdater.newUpdater(Session.class, "requested");
        private static final AtomicIntegerFieldUpdater<Session> CANCELLED =
                AtomicIntegerFieldUpdater.newUpdater(Session.class, "cancelled");

        private final CoreSubscriber<? super PooledBuffer> actual;
        /** One multishot RECV rather than one RECV per message (see the class comment). */
        private boolean multishot;
        /** Buffers (slices) taken from the ring and not yet released, queued ones included. */
        private final AtomicInteger held = new AtomicInteger();
        private final Runnable bufferBack = this::bufferBack;
        /** Waiting for the ring to have a buffer again; cleared by the wake-up (any thread). */
        private final AtomicBoolean waitingForRing = new AtomicBoolean();
        /** Multishot: slices received and not yet delivered, in arrival order. */
        private final ArrayDeque<PooledBuffer> queue = new ArrayDeque<>();
        private volatile long requested;
        private volatile int cancelled;
        /** The connection was closed here: the stream ends once no RECV is in the kernel. */
        private volatile boolean closedLocally;
        private @Nullable Disposable closeWatch;
        /** Size of {@link #queue}, for {@link #bufferBack} on other threads. */
        private volatile int queued;

        // Loop thread only.
        private boolean armed;          // a RECV is in the kernel (or queued for it)
        private boolean cancelSent;
        private boolean pauseSent;      // multishot: the armed RECV was asked to stop (cap reached)
        private boolean pauseInFlight;  // ... and the cancel's own completion has not come back yet
        private boolean completedOnArm; // the armed RECV has delivered at least one CQE
        private boolean endOfStream;
        private @Nullable Throwable error;
        private boolean done;
        private boolean running;
        private boolean again;
        private @Nullable Disposable ringWait;
        private @Nullable Subscription recv;

        Session(CoreSubscriber<? super PooledBuffer> actual, boolean multishot) {
            this.actual = actual;
            this.multishot = multishot;
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

        void watchClose() {
            closeWatch = closing.subscribe(null, null, () -> {
                closedLocally = true;
                post();
            });
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
            if (held.getAndDecrement() >= perConnection || queued > 0) {
                post(); // it was at its cap, or slices wait for the subscriber to hold fewer: go on
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
                releaseQueue();
                if (armed) {
                    cancelInKernel();
                } else {
                    finish();
                }
                return;
            }
            if (closedLocally && !armed) {
                // Disposed here (the SHUTDOWN ended any RECV): slices not delivered go back, the stream ends.
                finish();
                actual.onComplete();
                return;
            }
            drain();
            if (cancelled != 0) {
                again = true;
                return;
            }
            if (armed) {
                if (multishot && held.get() >= perConnection) {
                    pause(); // at its cap: stop taking from the shared ring
                }
                return;
            }
            if (error != null) {
                // Signalled without waiting for demand, as a single RECV's error is: what could not be
                // delivered first goes back to the ring (finish), since the connection is broken anyway.
                Throwable e = error;
                finish();
                actual.onError(e);
                return;
            }
            if (!queue.isEmpty()) {
                return; // data before the end of stream is delivered first; demand or a release posts the next step
            }
            if (endOfStream) {
                finish();
                actual.onComplete();
                return;
            }
            if (pauseInFlight) {
                return; // a late cancel could stop the next RECV: re-armed when its completion is back
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

        /**
         * Multishot: hands queued slices to the subscriber while it has demand and holds fewer than
         * {@code perConnection} delivered ones.
         */
        private void drain() {
            while (!queue.isEmpty() && requested > 0 && cancelled == 0 && held.get() - queue.size() < perConnection) {
                PooledBuffer b = queue.poll();
                queued = queue.size();
                if (requested != Long.MAX_VALUE) {
                    REQUESTED.decrementAndGet(this);
                }
                actual.onNext(b);
            }
        }

        private void releaseQueue() {
            PooledBuffer b;
            while ((b = queue.poll()) != null) {
                queued = queue.size();
                b.release();
            }
        }

        private void arm() {
            armed = true;
            pauseSent = false;
            completedOnArm = false;
            ring.retain(); // the kernel may pick a buffer until the RECV's last CQE
            Op.Builder op = Op.builder(Opcode.RECV).fd(fd)
                    .sqeFlags(Opcode.IOSQE_BUFFER_SELECT).bufIndex(ring.groupId())
                    .acceptedErrno(Errno.ENOBUFS)
                    .whenKernelDone(ring::release)
                    .target(description);
            if (multishot) {
                long limit = (long) (perConnection - held.get()) * ring.bufferSize();
                // sqe->optlen (the union with file_index): the kernel ends the multishot after this many bytes.
                op.ioprio(Opcode.IORING_RECV_MULTISHOT).fileIndex((int) Math.min(Integer.MAX_VALUE, limit))
                        .opFlags(testMultishotMsgFlags).name("recv multishot");
            } else {
                op.name("recv");
            }
            loop.submitMultishot(op.build()).subscribe(this);
        }

        /** Multishot at its cap: asks the kernel to end the armed RECV; what is already on its way is queued. */
        private void pause() {
            if (pauseSent || cancelSent) {
                return;
            }
            pauseSent = true;
            pauseInFlight = true;
            Op cancel = Op.builder(Opcode.ASYNC_CANCEL).fd(fd)
                    .opFlags(Opcode.IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP).length(Opcode.RECV)
                    .acceptedErrno(Errno.ENOENT)
                    .name("pause recv").target(description).build();
            // ENOENT: the RECV had ended already; its last CQE (reaped before this one) says how.
            loop.submit(cancel).subscribe(n -> pauseDone(), e -> pauseDone());
        }

        private void pauseDone() {
            pauseInFlight = false;
            run();
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
            Disposable w = closeWatch;
            if (w != null) {
                w.dispose();
            }
            releaseQueue();
            stopWaitingForRing();
            giveBack.accept(ring);
        }

        // ------------------------------------------------ the RECV's completions (loop thread)

        @Override
        public void onSubscribe(Subscription s) {
            recv = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(Completion c) {
            completedOnArm = true;
            int id = c.bufferId();
            int res = c.res();
            PooledBuffer b = null;
            if (id >= 0) {
                held.incrementAndGet();
                b = CoreAccess.take(ring, id, Math.max(0, res), c.bufferMore(), bufferBack);
            }
            if (res > 0 && b != null && cancelled == 0 && !done) {
                if (multishot) {
                    queue.add(b); // in arrival order, delivered by step() as demand and the cap allow
                    queued = queue.size();
                    run();
                    return;
                }
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
                // The ring was empty (another connection took the last buffer first): the kernel ended
                // the RECV; step() counts the empty ring, waits for a buffer to come back, then re-arms.
            }
        }

        @Override
        public void onError(Throwable t) {
            armed = false;
            recv = null;
            if (multishot && !completedOnArm && cancelled == 0 && Errno.errnoOf(t) == Errno.EINVAL) {
                refused(t); // a kernel without the multishot byte limit: degrade to single RECVs
                run();
                return;
            }
            boolean paused = pauseSent && Errno.errnoOf(t) == Errno.ECANCELED; // ended by pause(), not a failure
            if (cancelled == 0 && error == null && !paused) {
                error = t;
            }
            run();
        }

        private void refused(Throwable t) {
            multishot = false;
            if (!multishotRefused) {
                multishotRefused = true;
                LOG.warn("Linux {} refused a multishot RECV with a byte limit ({}): receiving with one RECV per "
                        + "message", System.getProperty("os.version"), t.toString());
            }
        }

        @Override
        public void onComplete() {
            armed = false;
            recv = null;
            run();
        }
    }
}
