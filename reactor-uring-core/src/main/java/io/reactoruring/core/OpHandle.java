package io.reactoruring.core;

/**
 * An operation from subscription to its terminal CQE. Subclasses are the publishers' subscriptions
 * ({@link MonoOp}, {@link FluxOp}, {@link ChainOp}) and the loop's timers. Everything except the
 * subscriber-facing {@code request}/{@code cancel} runs on the loop thread; those two only set a
 * flag and post the handle to the loop, whose {@link #run()} then acts on the new state.
 *
 * <p>Cancellation follows tokio-uring's model: a cancelled op that already reached the kernel
 * becomes <em>ignored</em>: it keeps its slot, its memory ({@link Op#keepAlive}) and its fd
 * reference until the terminal CQE arrives; only then are they released.
 */
abstract class OpHandle implements Runnable {
    final UringLoop loop;

    OpHandle(UringLoop loop) {
        this.loop = loop;
    }

    /** Slots needed to prepare this handle now (1, or the length of a linked chain). */
    int slotsNeeded() {
        return 1;
    }

    /** True once the subscriber has gone: the handle is skipped if it has not reached the kernel. */
    abstract boolean isCancelled();

    /** Writes this handle's SQE(s) into the batch, or fails it before the kernel sees anything. */
    abstract void prepare(SubmissionBatch batch);

    /** One CQE for {@code member}; {@code terminal} when it carries no F_MORE and the slot was freed. */
    abstract void onCqe(int member, int res, int flags, boolean terminal);

    /**
     * The op will not be completed by the kernel on this loop (dropped before submission, or the
     * loop is going away): signal the subscriber, if it is still there, with {@code error}, and
     * release its resources unless its SQE is still in the kernel.
     */
    abstract void abort(Throwable error);

    /** Whether a terminal {@code res} is a success for {@code op}: {@code >= 0}, or its accepted errno. */
    static boolean succeeded(Op op, int res) {
        return res >= 0 || (op.acceptedErrno != 0 && res == -op.acceptedErrno);
    }

    /**
     * The exception for a failed terminal {@code res} of {@code op}: a {@link java.util.concurrent.TimeoutException}
     * when its linked timeout cancelled it, else the errno's exception.
     */
    Throwable failure(Op op, int res) {
        if (res == -Errno.ECANCELED && op.linkTimeoutNanos >= 0 && !loop.isShuttingDown()) {
            return UringLoop.timeout(op);
        }
        return loop.error(res, op);
    }

    /** Runs an op's {@link Op.Builder#whenKernelDone} hook, reporting a failing hook to Reactor. */
    static void kernelDone(Op op) {
        Runnable hook = op.whenKernelDone;
        if (hook != null) {
            try {
                hook.run();
            } catch (Throwable t) {
                reactor.core.publisher.Operators.onErrorDropped(t, reactor.util.context.Context.empty());
            }
        }
    }
}
