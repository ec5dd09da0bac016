package io.reactoruring.core;

import java.util.Queue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.Fuseable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;

/**
 * Many single-shot ops from a publisher as one cold {@code Flux<Integer>} of their results, with at
 * most {@code window} in flight: one subscription object for the whole stream, no per-op Mono.
 *
 * <p>Everything that decides runs on the loop thread. The ops publisher is subscribed and requested
 * from the loop thread. A source that fuses synchronously ({@code Flux.range(..).map(..)},
 * {@code Flux.fromIterable}, ...) is polled right there, op by op, as slots and demand allow: no
 * request, no onNext, no queue. Other sources emit into a single-producer queue (from their own
 * thread, or from the loop thread when they are synchronous) that the drain empties. An op is pulled and
 * submitted only when the subscriber has demand for its result, so results never need buffering
 * for lack of demand: {@code submitted <= requested} and {@code submitted - emitted <= window}.
 *
 * <p>Each op takes one slot of the loop, identified here by its index in a window-sized table
 * (the slot's member number): in completion order a free-list index, in op order the op's sequence
 * number modulo the table size, where a finished result waits until all earlier ones are emitted.
 *
 * <p>The first failure (an op's error, an upstream error, the loop shutting down) or a cancel ends
 * the stream at once: the upstream is cancelled, ops pulled but not submitted are released
 * ({@link Op.Builder#whenKernelDone}), in-flight ops get IORING_OP_ASYNC_CANCEL and are released
 * when their CQEs arrive (an fd they created is closed), and the error, if any, is signalled.
 */
final class BatchOp extends OpHandle implements Subscription, CoreSubscriber<Op> {

    /** The cold publisher: holds the loop, the ops and the window. */
    static final class Publisher extends Flux<Integer> {
        private final UringLoop loop;
        private final org.reactivestreams.Publisher<? extends Op> ops;
        private final int window;
        private final boolean ordered;

        Publisher(UringLoop loop, org.reactivestreams.Publisher<? extends Op> ops, int window, boolean ordered) {
            this.loop = loop;
            this.ops = ops;
            this.window = window;
            this.ordered = ordered;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Integer> actual) {
            BatchOp batch = new BatchOp(loop, ops, window, ordered, actual);
            actual.onSubscribe(batch);
            if (loop.isShuttingDown()) {
                batch.signal(); // rule 1.9: a disposed loop rejects the subscriber with onError, demand or not
            }
        }
    }

    private static final AtomicLongFieldUpdater<BatchOp> REQUESTED =
            AtomicLongFieldUpdater.newUpdater(BatchOp.class, "requested");
    private static final AtomicIntegerFieldUpdater<BatchOp> WIP =
            AtomicIntegerFieldUpdater.newUpdater(BatchOp.class, "wip");

    private final org.reactivestreams.Publisher<? extends Op> source;
    private final CoreSubscriber<? super Integer> actual;
    private final boolean ordered;
    private final int window;
    private final int mask;
    /** Upstream requests are batched to a quarter of the window unless demand is the bound. */
    private final int pullBatch;
    /**
     * Ops received from upstream, not yet submitted: a queue from the upstream's thread to the loop
     * thread, or, when the upstream fuses synchronously, the upstream itself, polled on the loop
     * thread with no request/onNext and no queue. Set in onSubscribe, published by {@code upstream}.
     */
    private Queue<? extends Op> arrived;
    private boolean fused;

    // Written by any thread, acted upon on the loop thread.
    private volatile long requested;
    private volatile int wip;
    private volatile boolean cancelled;
    private volatile @Nullable Subscription upstream;
    private volatile boolean upstreamDone;
    private volatile @Nullable Throwable upstreamError;

    // Loop thread only. Table entries by member index.
    private final Op[] inKernel;
    private final long[] userDatas;
    private final int[] results;      // in op order: finished results waiting for earlier ones
    private final boolean[] finished;
    private final int[] freeIndices;  // in completion order: free table entries
    private int freeTop;
    private int inFlight;
    private long submitted;
    private long emitted;
    private long pulled;
    private boolean subscribed;
    private boolean terminated;
    private boolean upstreamCancelled;
    private boolean parked;
    private boolean draining;
    private boolean again;

    BatchOp(UringLoop loop, org.reactivestreams.Publisher<? extends Op> source, int window, boolean ordered,
            CoreSubscriber<? super Integer> actual) {
        super(loop);
        this.source = source;
        this.actual = actual;
        this.ordered = ordered;
        this.window = window;
        int size = Queues.ceilingNextPowerOfTwo(window);
        this.mask = size - 1;
        this.pullBatch = Math.max(1, window / 4);
        this.inKernel = new Op[size];
        this.userDatas = new long[size];
        this.results = ordered ? new int[size] : new int[0];
        this.finished = ordered ? new boolean[size] : new boolean[0];
        this.freeIndices = ordered ? new int[0] : new int[size];
        if (!ordered) {
            for (int i = 0; i < size; i++) {
                freeIndices[i] = size - 1 - i;
            }
            freeTop = size;
        }
    }

    // ---------------------------------------------------------------- downstream: any thread

    @Override
    public void request(long n) {
        if (Operators.validate(n)) {
            Operators.addCap(REQUESTED, this, n);
            signal();
        }
    }

    @Override
    public void cancel() {
        cancelled = true;
        signal();
    }

    // ---------------------------------------------------------------- upstream: any thread, serialised

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(upstream, s)) {
            if (s instanceof Fuseable.QueueSubscription) {
                @SuppressWarnings("unchecked")
                Fuseable.QueueSubscription<Op> qs = (Fuseable.QueueSubscription<Op>) s;
                // Polled only on the loop thread, which also subscribed: no thread barrier to declare.
                if (qs.requestFusion(Fuseable.SYNC) == Fuseable.SYNC) {
                    fused = true;
                    arrived = qs;
                }
            }
            if (!fused) {
                arrived = Queues.<Op>get(mask + 1).get();
            }
            upstream = s;
            signal();
        }
    }

    @Override
    public void onNext(Op op) {
        if (op == null) {
            onError(new NullPointerException("the ops publisher emitted null"));
        } else if (!offer(op)) {
            loop.post(() -> kernelDone(op)); // a protocol violation: release it on the loop like the others
            onError(Exceptions.failWithOverflow("the ops publisher emitted more than requested"));
        } else {
            signal();
        }
    }

    @SuppressWarnings("unchecked")
    private boolean offer(Op op) {
        return ((Queue<Op>) arrived).offer(op);
    }

    @Override
    public void onError(Throwable t) {
        if (upstreamDone) {
            Operators.onErrorDropped(t, actual.currentContext());
            return;
        }
        upstreamError = t;
        upstreamDone = true;
        signal();
    }

    @Override
    public void onComplete() {
        upstreamDone = true;
        signal();
    }

    @Override
    public reactor.util.context.Context currentContext() {
        return actual.currentContext();
    }

    // ---------------------------------------------------------------- drain: loop thread

    /** Any thread: runs the drain on the loop thread (inline when already there). */
    private void signal() {
        if (loop.inLoop()) {
            drain();
        } else if (WIP.getAndIncrement(this) == 0) {
            loop.post(this);
        }
    }

    /** Posted by {@link #signal()} from other threads. */
    @Override
    public void run() {
        int missed = 1;
        do {
            drain();
            missed = WIP.addAndGet(this, -missed);
        } while (missed != 0);
    }

    /** Loop thread, not reentrant: a signal during the drain (e.g. a synchronous source's onNext) repeats it. */
    private void drain() {
        if (draining) {
            again = true;
            return;
        }
        draining = true;
        try {
            do {
                again = false;
                drainOnce(false);
            } while (again);
        } finally {
            draining = false;
        }
    }

    private void drainOnce(boolean headOfLine) {
        if (terminated) {
            cancelUpstream(); // it may have subscribed after the end
            releaseArrived();
            return;
        }
        if (cancelled) {
            terminate(null);
            return;
        }
        long r = requested;
        if (!subscribed) {
            if (loop.isShuttingDown()) {
                terminate(rejection()); // errors need no request, and the ops are not worth subscribing to
                return;
            }
            if (r == 0) {
                return;
            }
            subscribed = true;
            try {
                source.subscribe(this); // onSubscribe repeats this drain
            } catch (Throwable t) {
                terminate(Operators.onOperatorError(t, actual.currentContext()));
            }
            return;
        }
        Subscription s = upstream;
        if (s == null) {
            return;
        }
        Throwable e = upstreamError;
        if (e != null) {
            terminate(e);
            return;
        }
        if (loop.isShuttingDown()) {
            terminate(rejection());
            return;
        }
        int free = loop.freeSlots(headOfLine);
        while (submitted < r && submitted - emitted < window) {
            if (free == 0) {
                if (fused ? !upstreamDone : !arrived.isEmpty()) {
                    park();
                }
                break;
            }
            Op op;
            try {
                op = arrived.poll(); // fused: runs the upstream's operators (e.g. map) right here
            } catch (Throwable t) {
                terminate(Operators.onOperatorError(s, t, actual.currentContext()));
                return;
            }
            if (op == null) {
                if (fused) {
                    upstreamDone = true;
                }
                break;
            }
            free--;
            if (!submit(op)) {
                return;
            }
        }
        boolean idle = inFlight == 0 && emitted == submitted;
        if (fused) {
            if (!upstreamDone && idle && submitted == r) {
                // Demand ran out exactly at the last op: nothing polled the end, ask the source instead.
                try {
                    upstreamDone = arrived.isEmpty();
                } catch (Throwable t) {
                    terminate(Operators.onOperatorError(s, t, actual.currentContext()));
                    return;
                }
            }
        } else if (!upstreamDone) {
            long bound = Math.min(r, emitted + window);
            long want = bound - pulled;
            if (want > 0 && (want >= pullBatch || bound == r || inFlight == 0)) {
                pulled += want;
                s.request(want);
            }
        }
        if (upstreamDone && idle && (fused || arrived.isEmpty())) {
            terminated = true;
            actual.onComplete();
        }
    }

    private Throwable rejection() {
        return new RejectedExecutionException("io_uring loop " + loop.name() + " is disposed");
    }

    /** Writes {@code op} into the loop's batch; false (and the stream failed) if its fd is closed. */
    private boolean submit(Op op) {
        if (!acquireFd(op)) {
            kernelDone(op);
            terminate(closedFd(op));
            return false;
        }
        int index = ordered ? (int) submitted & mask : freeIndices[--freeTop];
        inKernel[index] = op;
        userDatas[index] = loop.writeNow(this, index, op);
        submitted++;
        inFlight++;
        return true;
    }

    /** No free slot in the loop: queue this handle for one; {@link #prepare} resumes the drain. */
    private void park() {
        if (!parked && loop.accept(this)) {
            parked = true;
        }
    }

    @Override
    boolean isCancelled() {
        return terminated; // a parked handle that has ended is dropped from the loop's wait queue
    }

    @Override
    void prepare(SubmissionBatch batch) {
        parked = false;
        if (draining) {
            again = true;
            return;
        }
        draining = true;
        try {
            drainOnce(true); // at the head of the wait queue: take the free slots
            while (again) {
                again = false;
                drainOnce(false);
            }
        } finally {
            draining = false;
        }
    }

    @Override
    void onCqe(int member, int res, int cqeFlags, boolean terminal) {
        if (!terminal) {
            return; // e.g. a zero-copy send's first CQE; the result that matters is the last one
        }
        Op op = inKernel[member];
        inKernel[member] = null;
        inFlight--;
        if (!ordered) {
            freeIndices[freeTop++] = member;
        }
        releaseFd(op);
        if (cancelled && !terminated) {
            terminate(null); // the subscriber left: this result and those still in flight are nobody's
        }
        Throwable error = null;
        try {
            if (terminated) {
                orphan(op, res); // the stream has ended: this result is nobody's
            } else if (!succeeded(op, res)) {
                error = failure(op, res);
            }
        } finally {
            kernelDone(op);
        }
        if (terminated) {
            return;
        }
        if (error != null) {
            terminate(error);
            return;
        }
        int value = Math.max(res, 0);
        if (ordered) {
            results[member] = value;
            finished[member] = true;
            emitFinished();
        } else {
            emitted++;
            actual.onNext(value);
        }
        if (!parked) {
            drain();
        } // parked: waiting in the loop's queue for slots, whose prepare() drains at the next iteration
    }

    /** In op order: emits every finished result whose predecessors have all been emitted. */
    private void emitFinished() {
        int index = (int) emitted & mask;
        while (!terminated && finished[index]) {
            finished[index] = false;
            emitted++;
            actual.onNext(results[index]);
            index = (int) emitted & mask;
        }
    }

    @Override
    void abort(Throwable error) {
        parked = false;
        if (!terminated) {
            terminate(cancelled ? null : error);
        }
    }

    /**
     * Ends the stream: cancels the upstream, releases ops not submitted, cancels in-flight ops in the
     * kernel (unless the loop is shutting down, which cancels everything itself) and signals
     * {@code error} if not null. In-flight ops keep their memory until their CQEs.
     */
    private void terminate(@Nullable Throwable error) {
        terminated = true;
        cancelUpstream();
        releaseArrived();
        if (!loop.isShuttingDown()) {
            for (int i = 0; i < inKernel.length; i++) {
                if (inKernel[i] != null) {
                    loop.cancelInKernel(userDatas[i]);
                }
            }
        }
        if (error != null) {
            actual.onError(error);
        }
    }

    private void cancelUpstream() {
        Subscription s = upstream;
        if (s != null && !upstreamCancelled) {
            upstreamCancelled = true;
            s.cancel();
        }
    }

    private void releaseArrived() {
        if (fused || arrived == null) {
            return; // a fused upstream has created no op that was not submitted
        }
        Op op;
        while ((op = arrived.poll()) != null) {
            kernelDone(op);
        }
    }

    @Override
    public String toString() {
        return "BatchOp[window=" + window + (ordered ? ", ordered" : "") + ", inFlight=" + inFlight + "]";
    }
}
