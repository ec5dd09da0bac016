package io.reactoruring.core;

import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;

/**
 * Ops submitted as one kernel-linked chain; they run in order, each after the previous one's
 * completion. Two kinds:
 * <ul>
 * <li><b>soft</b> (IOSQE_IO_LINK between consecutive SQEs, {@link UringLoop#submitLinked}): when one
 * fails (including a short read or write) the kernel cancels the rest with {@code -ECANCELED}. The
 * Mono completes with every result once all CQEs have arrived, or errors with the first failure's
 * exception.</li>
 * <li><b>hard</b> (IOSQE_IO_HARDLINK, {@link UringLoop#submitHardLinked}): every member runs
 * whatever the outcome of the one before. The Mono emits every member's outcome
 * ({@link ChainResult#error}); it errors only if the chain did not run to its end: rejected before
 * the kernel, or cut by the loop's disposal.</li>
 * </ul>
 */
final class ChainOp extends SingleResultOp {

    static final class Publisher extends Mono<ChainResult> {
        private final UringLoop loop;
        private final Op[] ops;
        private final boolean hard;

        Publisher(UringLoop loop, Op[] ops, boolean hard) {
            this.loop = loop;
            this.ops = ops;
            this.hard = hard;
        }

        @Override
        public void subscribe(CoreSubscriber<? super ChainResult> actual) {
            ChainOp handle = new ChainOp(loop, ops, hard, actual);
            actual.onSubscribe(handle);
            if (loop.isShuttingDown()) {
                loop.post(handle); // rule 1.9: a disposed loop rejects the subscriber with onError, demand or not
            }
        }
    }

    private static final int NEW = 0, WAITING = 1, IN_KERNEL = 2, DONE = 3;

    private final Op[] ops;
    private final boolean hard;
    private final CoreSubscriber<? super ChainResult> actual;
    private final long[] userData;
    private final int[] results;
    private final int[] acquired; // 1 where a SharedFd reference was taken
    private int state = NEW;
    private int outstanding;
    private boolean cancelSent;

    ChainOp(UringLoop loop, Op[] ops, boolean hard, CoreSubscriber<? super ChainResult> actual) {
        super(loop);
        this.ops = ops;
        this.hard = hard;
        this.actual = actual;
        this.userData = new long[ops.length];
        this.results = new int[ops.length];
        this.acquired = new int[ops.length];
    }

    @Override
    int slotsNeeded() {
        return ops.length;
    }

    @Override
    public void run() {
        if (state == NEW) {
            if (isCancelled()) {
                state = DONE;
                kernelDoneAll();
            } else if (loop.accept(this)) {
                state = WAITING;
            } else {
                state = DONE;
                kernelDoneAll();
                if (claimDelivery()) {
                    actual.onError(loop.rejection(ops[0]));
                }
            }
        } else if (state == IN_KERNEL && isCancelled() && !cancelSent) {
            cancelSent = true;
            for (long ud : userData) { // members that already completed answer -ENOENT, harmlessly
                loop.cancelInKernel(ud);
            }
        }
    }

    @Override
    boolean startsDeviceIo() {
        for (Op op : ops) {
            if (Opcode.startsDeviceIo(op.opcode)) {
                return true;
            }
        }
        return false;
    }

    @Override
    void prepare(SubmissionBatch batch) {
        for (int i = 0; i < ops.length; i++) {
            if (!acquireFd(ops[i])) {
                releaseFds();
                state = DONE;
                kernelDoneAll();
                if (claimDelivery()) {
                    actual.onError(closedFd(ops[i]));
                }
                return;
            }
            if (ops[i].sharedFd != null) {
                acquired[i] = 1;
            }
        }
        state = IN_KERNEL;
        outstanding = ops.length;
        int link = hard ? Opcode.IOSQE_IO_HARDLINK : Opcode.IOSQE_IO_LINK;
        for (int i = 0; i < ops.length; i++) {
            userData[i] = loop.write(batch, this, i, ops[i], i < ops.length - 1 ? link : 0);
        }
    }

    private void kernelDoneAll() {
        for (Op op : ops) {
            kernelDone(op);
        }
    }

    private void releaseFds() {
        for (int i = 0; i < ops.length; i++) {
            if (acquired[i] != 0) {
                acquired[i] = 0;
                releaseFd(ops[i]);
            }
        }
    }

    @Override
    void onCqe(int member, int res, int cqeFlags, boolean terminal) {
        if (!terminal) {
            return;
        }
        results[member] = res;
        if (acquired[member] != 0) {
            acquired[member] = 0;
            releaseFd(ops[member]);
        }
        if (isCancelled()) {
            if (hard && cancelSent && member + 1 < ops.length) {
                // A hard link starts the next member even after a cancelled one: cancel it too. Best
                // effort: if the kernel has not armed it yet, the cancel answers -ENOENT and it runs.
                loop.cancelInKernel(userData[member + 1]);
            }
        }
        if (--outstanding > 0) {
            return;
        }
        state = DONE;
        try {
            signal();
        } finally {
            kernelDoneAll();
        }
    }

    private void signal() {
        if (!claimDelivery()) {
            for (int j = 0; j < ops.length; j++) { // cancelled: every member's result is nobody's
                orphan(ops[j], results[j]);
            }
            return;
        }
        Throwable[] errors = new Throwable[ops.length];
        for (int i = 0; i < ops.length; i++) {
            int r = results[i];
            if (!succeeded(ops[i], r)) {
                errors[i] = loop.error(r, ops[i]);
                if (!hard || (r == -Errno.ECANCELED && loop.isShuttingDown())) {
                    // The caller only sees the error: fds created by other members have no owner.
                    for (int j = 0; j < ops.length; j++) {
                        orphan(ops[j], results[j]);
                    }
                    actual.onError(errors[i]);
                    return;
                }
            }
        }
        actual.onNext(new ChainResult(results, errors));
        actual.onComplete();
    }

    @Override
    void abort(Throwable error) {
        if (state != DONE) {
            if (state != IN_KERNEL) {
                releaseFds();
                kernelDoneAll();
            }
            state = DONE;
            if (claimDelivery()) {
                actual.onError(error);
            }
        }
    }
}
