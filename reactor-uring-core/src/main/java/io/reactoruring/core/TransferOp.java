package io.reactoruring.core;

import java.io.IOException;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * A read or write of {@code len} bytes as one handle ({@link Transfers#fully}): it resubmits short
 * transfers for the rest itself, so one subscription covers every SQE and one atomic decision
 * ({@link #claimDelivery()}) settles who owns the memory at the end: {@code finish} turns it into the
 * subscriber's value, or {@code abandon} releases it. Exactly one of them runs, on the loop thread,
 * and only when the kernel can no longer touch the memory.
 */
final class TransferOp<T> extends SingleResultOp {

    static final class Publisher<T> extends Mono<T> {
        private final UringLoop loop;
        private final Transfers.Spec<T> spec;

        Publisher(UringLoop loop, Transfers.Spec<T> spec) {
            this.loop = loop;
            this.spec = spec;
        }

        @Override
        public void subscribe(CoreSubscriber<? super T> actual) {
            TransferOp<T> handle = new TransferOp<>(loop, spec, actual);
            actual.onSubscribe(handle);
            if (loop.isShuttingDown()) {
                loop.post(handle); // rule 1.9: a disposed loop rejects the subscriber with onError, demand or not
            }
        }
    }

    // Loop-thread states.
    private static final int NEW = 0;
    private static final int WAITING = 1;
    private static final int IN_KERNEL = 2;
    private static final int DONE = 3;

    private final Transfers.Spec<T> spec;
    private final CoreSubscriber<? super T> actual;
    private int state = NEW;
    private int done;
    private Op current;
    private long userData;
    private boolean cancelSent;

    TransferOp(UringLoop loop, Transfers.Spec<T> spec, CoreSubscriber<? super T> actual) {
        super(loop);
        this.spec = spec;
        this.actual = actual;
        this.current = step();
    }

    /** The SQE for the bytes not transferred yet. */
    private Op step() {
        Transfers.Spec<T> s = spec;
        return Op.builder(s.write ? Opcode.WRITE : Opcode.READ)
                .fd(s.fd)
                .addr(s.addr + done)
                .length(s.len - done)
                .offset(s.off + done)
                .keepAlive(s.keepAlive)
                .name(s.write ? "write" : "read")
                .target(s.target)
                .build();
    }

    @Override
    public void run() {
        if (state == NEW) {
            if (isCancelled()) {
                end();
            } else if (loop.accept(this)) {
                state = WAITING;
            } else {
                fail(loop.rejection(current));
            }
        } else if (state == IN_KERNEL && isCancelled() && !cancelSent) {
            cancelSent = true;
            loop.cancelInKernel(userData);
        }
    }

    @Override
    boolean startsDeviceIo() {
        return Opcode.startsDeviceIo(current.opcode);
    }

    @Override
    void prepare(SubmissionBatch batch) {
        if (!acquireFd(current)) {
            fail(closedFd(current));
            return;
        }
        state = IN_KERNEL;
        cancelSent = false;
        userData = loop.write(batch, this, 0, current, 0);
    }

    @Override
    void onCqe(int member, int res, int flags, boolean terminal) {
        if (!terminal) {
            return;
        }
        releaseFd(current);
        if (isCancelled()) {
            end(); // the kernel is done with the memory: now it can be released
            return;
        }
        if (!succeeded(current, res)) {
            fail(failure(current, res));
            return;
        }
        if (res == 0 && spec.write) {
            fail(new IOException("write made no progress at offset " + (spec.off + done) + " of " + spec.target));
            return;
        }
        done += res;
        if (res > 0 && done < spec.len) {
            current = step();
            if (loop.accept(this)) {
                state = WAITING;
            } else {
                fail(loop.rejection(current));
            }
            return;
        }
        state = DONE;
        if (!claimDelivery()) {
            spec.abandon.run(); // the subscriber left while the last CQE was on its way
            return;
        }
        @Nullable T value;
        try {
            value = spec.finish.apply(done);
        } catch (Throwable t) {
            actual.onError(Operators.onOperatorError(t, actual.currentContext()));
            return;
        }
        if (value != null) {
            actual.onNext(value);
        }
        actual.onComplete();
    }

    /** Not delivered: the memory is released (the kernel no longer has it) and nothing is signalled. */
    private void end() {
        state = DONE;
        spec.abandon.run();
    }

    /** Failed while the kernel does not hold the memory: release it, then signal the error if still wanted. */
    private void fail(Throwable error) {
        state = DONE;
        spec.abandon.run();
        if (claimDelivery()) {
            actual.onError(error);
        }
    }

    @Override
    void abort(Throwable error) {
        if (state == DONE) {
            return;
        }
        if (state == IN_KERNEL) {
            // The loop gives up on an op still in the kernel: its memory stays referenced, never released.
            state = DONE;
            if (claimDelivery()) {
                actual.onError(error);
            }
        } else {
            fail(error);
        }
    }

    @Override
    public String toString() {
        return "TransferOp[" + current + ", " + done + "/" + spec.len + "]";
    }
}
