package io.reactoruring.core;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * A single-shot op as a cold {@code Mono<Integer>}: each subscription submits once, on the first
 * request; the CQE result completes it ({@code res >= 0}) or errors it ({@code -errno}, mapped by
 * {@link Errno}); cancellation after submission sends IORING_OP_ASYNC_CANCEL.
 */
final class MonoOp extends SingleResultOp {

    /** The cold publisher: holds only the loop and the op description. */
    static final class Publisher extends Mono<Integer> {
        private final UringLoop loop;
        private final Op op;

        Publisher(UringLoop loop, Op op) {
            this.loop = loop;
            this.op = op;
        }

        @Override
        public void subscribe(CoreSubscriber<? super Integer> actual) {
            MonoOp handle = new MonoOp(loop, op, actual);
            actual.onSubscribe(handle);
            if (loop.isShuttingDown()) {
                loop.post(handle); // rule 1.9: a disposed loop rejects the subscriber with onError, demand or not
            }
        }

        /** Reactor's {@code block()}, or {@link SpinningBlock}'s where the loop spins ({@code reactoruring.loop.spinMicros}). */
        @Override
        public @Nullable Integer block() {
            return loop.blockSpin.enabled() ? SpinningBlock.block(this, loop.blockSpin, Long.MAX_VALUE) : super.block();
        }

        /** As {@link #block()}, waiting at most {@code timeout}. */
        @Override
        public @Nullable Integer block(Duration timeout) {
            return loop.blockSpin.enabled() ? SpinningBlock.block(this, loop.blockSpin, timeout.toNanos()) : super.block(timeout);
        }
    }

    // Loop-thread states.
    private static final int NEW = 0;
    private static final int WAITING = 1;
    private static final int IN_KERNEL = 2;
    private static final int DONE = 3;

    private final Op op;
    private final CoreSubscriber<? super Integer> actual;
    private int state = NEW;
    private long userData;
    private boolean cancelSent;

    MonoOp(UringLoop loop, Op op, CoreSubscriber<? super Integer> actual) {
        super(loop);
        this.op = op;
        this.actual = actual;
    }

    /**
     * Posted on request and on cancel, and on subscribe when the loop is already shutting down: a
     * NEW handle then goes nowhere but to its rejection (lifecycle never returns to RUNNING).
     */
    @Override
    public void run() {
        if (state == NEW) {
            if (isCancelled()) {
                state = DONE;
                kernelDone(op);
            } else if (loop.accept(this)) {
                state = WAITING;
            } else {
                state = DONE;
                kernelDone(op);
                if (claimDelivery()) {
                    actual.onError(loop.rejection(op));
                }
            }
        } else if (state == IN_KERNEL && isCancelled() && !cancelSent) {
            cancelSent = true;
            loop.cancelInKernel(userData);
        }
    }

    @Override
    boolean startsDeviceIo() {
        return Opcode.startsDeviceIo(op.opcode);
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
        state = IN_KERNEL;
        userData = loop.write(batch, this, 0, op, 0);
    }

    @Override
    void onCqe(int member, int res, int cqeFlags, boolean terminal) {
        if (!terminal) {
            return; // e.g. a zero-copy send's first CQE; the result that matters is the last one
        }
        state = DONE;
        releaseFd(op);
        try {
            if (!claimDelivery()) {
                orphan(op, res); // the subscriber left first: what the op created is nobody's
            } else if (succeeded(op, res)) {
                actual.onNext(Math.max(res, 0));
                actual.onComplete();
            } else {
                actual.onError(failure(op, res));
            }
        } finally {
            kernelDone(op);
        }
    }

    @Override
    void abort(Throwable error) {
        if (state != DONE) {
            if (state != IN_KERNEL) {
                kernelDone(op);
            }
            state = DONE;
            if (claimDelivery()) {
                actual.onError(error);
            }
        }
    }
}
