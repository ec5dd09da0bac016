package io.reactoruring.core;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * An operation from subscription to its terminal CQE. Subclasses are the publishers' subscriptions
 * ({@link MonoOp}, {@link FluxOp}, {@link ChainOp}) and the loop's timers. Everything except the
 * subscriber-facing {@code request}/{@code cancel} runs on the loop thread; those two only set a
 * flag and post the handle to the loop, whose {@link #run()} then acts on the new state.
 *
 * <p>Cancellation follows tokio-uring's model: a cancelled op that already reached the kernel
 * becomes <em>ignored</em>: it keeps its slot, its memory ({@link Op#keepAlive}) and its fd
 * reference until the terminal CQE arrives; only then are they released.
 *
 * <p>The lifecycle steps every op goes through live here, once: the subscriber's first request and
 * cancel ({@link #markRequested}, {@link #markCancelled}), taking and giving back the fd reference
 * ({@link #acquireFd}, {@link #releaseFd}), and deciding who owns a result
 * ({@link #claimDelivery}): a result is either delivered to the subscriber or, when the subscriber
 * cancelled first, released by the op ({@link #orphan}: an fd it created is closed; the owner's
 * {@link Op.Builder#whenKernelDone} hook frees memory). Never both, never neither: a cancel and a
 * delivery racing on two threads are decided by one atomic update.
 */
abstract class OpHandle implements Runnable {
    private static final AtomicIntegerFieldUpdater<OpHandle> FLAGS =
            AtomicIntegerFieldUpdater.newUpdater(OpHandle.class, "flags");
    private static final int REQUESTED = 1;
    private static final int CANCELLED = 2;
    /** The single result (or terminal signal) went to the subscriber: a later cancel changes nothing. */
    private static final int DELIVERED = 4;

    final UringLoop loop;
    private volatile int flags;

    OpHandle(UringLoop loop) {
        this.loop = loop;
    }

    /** Any thread: true for the first request only. */
    final boolean markRequested() {
        for (;;) {
            int f = flags;
            if ((f & REQUESTED) != 0) {
                return false;
            }
            if (FLAGS.compareAndSet(this, f, f | REQUESTED)) {
                return true;
            }
        }
    }

    /**
     * Any thread: the subscriber leaves. True if this call cancelled the op; false if it was already
     * cancelled or its result was already {@linkplain #claimDelivery claimed} for delivery (then the
     * result is the subscriber's and there is nothing left to cancel).
     */
    final boolean markCancelled() {
        for (;;) {
            int f = flags;
            if ((f & (CANCELLED | DELIVERED)) != 0) {
                return false;
            }
            if (FLAGS.compareAndSet(this, f, f | CANCELLED)) {
                return true;
            }
        }
    }

    /**
     * Loop thread: decides, atomically against {@link #markCancelled}, who owns the op's final
     * result. True: the caller must signal it to the subscriber (who then owns what it carries).
     * False: the subscriber cancelled first; the caller must release the result itself and signal
     * nothing. Calling it again after true returns true.
     */
    final boolean claimDelivery() {
        for (;;) {
            int f = flags;
            if ((f & CANCELLED) != 0) {
                return false;
            }
            if ((f & DELIVERED) != 0 || FLAGS.compareAndSet(this, f, f | DELIVERED)) {
                return true;
            }
        }
    }

    /** Takes {@code op}'s fd reference before its SQE is written; false if the fd is closing. */
    static boolean acquireFd(Op op) {
        return op.sharedFd == null || op.sharedFd.tryAcquire();
    }

    /** Gives back the reference {@link #acquireFd} took, at the op's terminal CQE. */
    static void releaseFd(Op op) {
        if (op.sharedFd != null) {
            op.sharedFd.release();
        }
    }

    /** The error for an op whose fd was closed before it could be submitted. */
    static Throwable closedFd(Op op) {
        return Errno.exception(Errno.EBADF, op.name, op.target);
    }

    /** Loop thread: a terminal CQE nobody will receive: close what the op created (an fd). */
    final void orphan(Op op, int res) {
        loop.orphaned(op, res);
    }

    /** Slots needed to prepare this handle now (1, or the length of a linked chain). */
    int slotsNeeded() {
        return 1;
    }

    /** True once the subscriber has gone: the handle is skipped if it has not reached the kernel. */
    boolean isCancelled() {
        return (flags & CANCELLED) != 0;
    }

    /** Writes this handle's SQE(s) into the batch, or fails it before the kernel sees anything. */
    abstract void prepare(SubmissionBatch batch);

    /** Whether this op's next SQEs start device work ({@link Opcode#startsDeviceIo}); loop thread, when it is accepted. */
    boolean startsDeviceIo() {
        return false;
    }

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
