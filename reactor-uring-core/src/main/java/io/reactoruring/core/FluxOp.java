package io.reactoruring.core;

import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Operators;

/**
 * A multishot op as a cold {@code Flux<Completion>}.
 *
 * <p>Demand drives the kernel: the op is armed when the subscriber requests; each CQE is one
 * {@link Completion}. CQEs that arrive while the subscriber has no demand are kept (never lost)
 * and the op is paused with IORING_OP_ASYNC_CANCEL, so at most the CQEs already in flight pile up.
 * When the kernel ends the op (a CQE without IORING_CQE_F_MORE), it is re-armed only if the
 * subscriber still has demand, and only for ops built with {@link Op.Builder#rearm(boolean)} or
 * ended by a pause; otherwise the Flux completes.
 */
final class FluxOp extends OpHandle implements org.reactivestreams.Subscription {

    static final class Publisher extends Flux<Completion> {
        private final UringLoop loop;
        private final Op op;

        Publisher(UringLoop loop, Op op) {
            this.loop = loop;
            this.op = op;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Completion> actual) {
            FluxOp handle = new FluxOp(loop, op, actual);
            actual.onSubscribe(handle);
            if (loop.isShuttingDown()) {
                loop.post(handle); // rule 1.9: a disposed loop rejects the subscriber with onError, demand or not
            }
        }
    }

    private static final AtomicLongFieldUpdater<FluxOp> REQUESTED =
            AtomicLongFieldUpdater.newUpdater(FluxOp.class, "requested");

    // Loop-thread states.
    private static final int IDLE = 0;      // not in the kernel
    private static final int WAITING = 1;   // queued for a slot
    private static final int ARMED = 2;     // in the kernel
    private static final int DONE = 3;

    private final Op op;
    private final CoreSubscriber<? super Completion> actual;
    private volatile long requested;
    private int state = IDLE;
    private long userData;
    private boolean draining;
    private boolean pausing;          // an ASYNC_CANCEL for the armed op is in flight
    private boolean ended;            // no more CQEs will come: complete once the backlog is drained
    private @Nullable Throwable error;
    private int received;             // CQEs received so far (count-limited timeouts re-arm for the rest)
    private final ArrayDeque<Completion> backlog = new ArrayDeque<>();

    FluxOp(UringLoop loop, Op op, CoreSubscriber<? super Completion> actual) {
        super(loop);
        this.op = op;
        this.actual = actual;
    }

    @Override
    public void request(long n) {
        if (Operators.validate(n)) {
            Operators.addCap(REQUESTED, this, n);
            loop.post(this);
        }
    }

    @Override
    public void cancel() {
        if (markCancelled()) {
            loop.post(this);
        }
    }

    @Override
    public void run() {
        if (isCancelled()) {
            loop.parked(this, false);
            orphanBacklog();
            if (state == ARMED) {
                stopInKernel();
            } else if (state == IDLE) {
                state = DONE;
                kernelDone(op);
            } // WAITING: skipped by the loop when its turn comes; DONE: nothing left to stop
            return;
        }
        if (state == DONE) {
            return;
        }
        drain();
        // A shutting-down loop rejects without demand (the subscribe-time post): errors need no request.
        if (state == IDLE && !ended && (requested > 0 || loop.isShuttingDown())) {
            if (loop.accept(this)) {
                state = WAITING;
            } else {
                state = DONE;
                kernelDone(op);
                if (claimDelivery()) {
                    actual.onError(loop.rejection(op));
                }
            }
        }
        park();
    }

    /**
     * Tells the loop whether this op now sits outside its queue and the kernel with a subscriber
     * (paused without demand, or ended with results waiting for demand): a loop that shuts down
     * then ends it with an error and closes what its waiting results hold, demand or not.
     */
    private void park() {
        loop.parked(this, state == IDLE && !isCancelled());
    }

    @Override
    void prepare(SubmissionBatch batch) {
        if (!acquireFd(op)) {
            state = DONE;
            kernelDone(op);
            if (claimDelivery()) {
                actual.onError(closedFd(op));
            }
            return;
        }
        state = ARMED;
        Op armed = op;
        if (op.opcode == Opcode.TIMEOUT && op.off > 0 && received > 0) {
            armed = op.toBuilder().offset(op.off - received).build(); // a count-limited timeout resumes for the rest
        }
        userData = loop.write(batch, this, 0, armed, 0);
    }

    private void stopInKernel() {
        if (!pausing) {
            pausing = true;
            loop.cancelInKernel(userData);
        }
    }

    @Override
    void onCqe(int member, int res, int flags, boolean terminal) {
        if (terminal) {
            state = IDLE;
            releaseFd(op);
        } else if (pausing) {
            // The op goes on after its ASYNC_CANCEL: the cancel can miss (a multishot timeout whose timer
            // is firing answers -EALREADY), and its own result is not looked at. Ask again while CQEs come,
            // or a paused or cancelled op would tick on forever (and a paused one pile up its backlog).
            loop.cancelInKernel(userData);
        }
        if (isCancelled()) {
            orphanBacklog();
            orphan(op, res);
            if (terminal) {
                state = DONE;
                kernelDone(op);
            }
            return;
        }
        boolean endedByPause = terminal && pausing && res == -Errno.ECANCELED;
        if (!endedByPause) {
            if (succeeded(op, res)) {
                received++;
                backlog.add(new Completion(res, flags));
            } else if (error == null) {
                error = loop.error(res, op);
                ended = true;
                if (!terminal) {
                    stopInKernel();
                }
            }
        }
        if (terminal) {
            pausing = false;
            if (!endedByPause && (!op.rearm || countReached())) {
                ended = true;
            }
        }
        drain();
        if (state == ARMED && requested == 0 && !ended) {
            stopInKernel(); // no demand: pause the kernel side instead of piling up CQEs
        } else if (state == IDLE && !ended && requested > 0) {
            run(); // the kernel ended it, the subscriber still wants more: re-arm
        }
        if (terminal) {
            park();
        }
    }

    /**
     * The subscriber has left: CQEs that reached the op but not the subscriber are nobody's, and what
     * they created (an accepted socket) is closed, as for CQEs that arrive from now on. Some are here
     * even with unbounded demand: a cancel from another thread can land between {@link #onCqe}'s
     * check and {@link #drain}'s, leaving that CQE queued (a server disposed while accepting).
     */
    private void orphanBacklog() {
        Completion c;
        while ((c = backlog.poll()) != null) {
            orphan(op, c.res());
        }
    }

    /** A count-limited multishot timeout that delivered its count is finished, whatever ended it. */
    private boolean countReached() {
        return op.opcode == Opcode.TIMEOUT && op.off > 0 && received >= op.off;
    }

    private void drain() {
        if (draining) {
            return; // re-entered from onNext (a request on the loop thread): the outer loop sees the new demand
        }
        draining = true;
        try {
            while (requested > 0 && !backlog.isEmpty() && !isCancelled()) {
                Operators.produced(REQUESTED, this, 1);
                actual.onNext(backlog.poll());
            }
        } finally {
            draining = false;
        }
        if (ended && backlog.isEmpty() && state != DONE && !isCancelled()) {
            if (state == ARMED) {
                return; // wait for the terminal CQE before signalling the end
            }
            state = DONE;
            kernelDone(op);
            if (!claimDelivery()) {
                return;
            }
            if (error != null) {
                actual.onError(error);
            } else {
                actual.onComplete();
            }
        }
    }

    @Override
    void abort(Throwable error) {
        loop.parked(this, false);
        orphanBacklog(); // the subscriber gets the error instead: results still waiting are nobody's
        if (state != DONE) {
            if (state != ARMED) {
                kernelDone(op);
            }
            state = DONE;
            if (claimDelivery()) {
                actual.onError(error);
            }
        }
    }
}
