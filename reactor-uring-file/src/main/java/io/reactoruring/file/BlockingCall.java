package io.reactoruring.file;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Schedulers;

/**
 * A blocking NIO call as a cold Mono, for the fallback back end: runs once per subscription, on the
 * first request, on {@link Schedulers#boundedElastic()}, and signals on that thread.
 *
 * <p>Cancellation never interrupts the thread (an interrupt would close the whole
 * {@link java.nio.channels.FileChannel}); a call not started yet is skipped, a running one finishes.
 * Delivery and cancellation race on one state word, so each result is either delivered or handed to
 * {@code orphan} (closing a channel opened for a subscriber that left, releasing memory), exactly once.
 * {@code onFailure} runs when the call threw or never ran: where its memory is released.
 */
final class BlockingCall<R, T> extends Mono<T> {
    /** The blocking body; may return null (then the Mono completes empty). */
    interface Body<R> {
        @Nullable R call() throws Exception;
    }

    /**
     * Admission to a shared resource (an open channel): entered when the call is scheduled, exited
     * after every hook and signal of the call, so a close waiting for the resource sees the effects
     * of every call it admitted done.
     */
    interface Gate {
        /** False when the resource is closed: the call then fails with ClosedChannelException. */
        boolean enter();

        void exit();
    }

    private static final Gate OPEN = new Gate() {
        @Override
        public boolean enter() {
            return true;
        }

        @Override
        public void exit() {
        }
    };

    private final String operation;
    private final String target;
    private final Body<R> body;
    private final Function<R, @Nullable T> deliver;
    private final Consumer<R> orphan;
    private final Runnable onFailure;
    private final Gate gate;

    BlockingCall(String operation, String target, Gate gate, Body<R> body, Function<R, @Nullable T> deliver,
            Consumer<R> orphan, Runnable onFailure) {
        this.gate = gate;
        this.operation = operation;
        this.target = target;
        this.body = body;
        this.deliver = deliver;
        this.orphan = orphan;
        this.onFailure = onFailure;
    }

    /** A call whose result needs no cleanup. */
    static <T> Mono<T> of(String operation, String target, Gate gate, Body<T> body) {
        return new BlockingCall<T, T>(operation, target, gate, body, r -> r, r -> { }, () -> { });
    }

    /** A call on no shared resource. */
    static <T> Mono<T> of(String operation, String target, Body<T> body) {
        return of(operation, target, OPEN, body);
    }

    /** A call on no shared resource whose result needs cleanup; see the class comment. */
    static <R, T> Mono<T> of(String operation, String target, Body<R> body, Function<R, @Nullable T> deliver,
            Consumer<R> orphan) {
        return new BlockingCall<R, T>(operation, target, OPEN, body, deliver, orphan, () -> { });
    }

    @Override
    public void subscribe(CoreSubscriber<? super T> actual) {
        actual.onSubscribe(new Call(actual));
    }

    private static final int IDLE = 0;
    private static final int SCHEDULED = 1;
    private static final int DONE = 2;
    private static final int CANCELLED = 3;
    @SuppressWarnings("rawtypes")
    private static final AtomicIntegerFieldUpdater<BlockingCall.Call> STATE =
            AtomicIntegerFieldUpdater.newUpdater(BlockingCall.Call.class, "state");

    private final class Call implements Subscription, Runnable {
        private final CoreSubscriber<? super T> actual;
        volatile int state;

        Call(CoreSubscriber<? super T> actual) {
            this.actual = actual;
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n) && STATE.compareAndSet(this, IDLE, SCHEDULED)) {
                // Entered here, not when the task runs: a close then also waits for calls still queued.
                if (!gate.enter()) {
                    fail(new ClosedChannelException());
                    return;
                }
                // Never disposed: a cancel must not interrupt the blocked thread.
                Schedulers.boundedElastic().schedule(this);
            }
        }

        @Override
        public void cancel() {
            if (STATE.compareAndSet(this, IDLE, CANCELLED)) {
                onFailure.run(); // never scheduled: nothing else will release
            } else {
                STATE.compareAndSet(this, SCHEDULED, CANCELLED);
            }
        }

        @Override
        public void run() {
            try {
                if (state == CANCELLED) {
                    onFailure.run();
                } else {
                    runEntered();
                }
            } finally {
                gate.exit();
            }
        }

        private void runEntered() {
            R result;
            try {
                result = body.call();
            } catch (Throwable e) {
                fail(FileErrors.translate(e, operation, target));
                return;
            }
            if (!STATE.compareAndSet(this, SCHEDULED, DONE)) {
                if (result != null) {
                    orphan.accept(result);
                }
                return;
            }
            @Nullable T value;
            try {
                value = result == null ? null : deliver.apply(result);
            } catch (RuntimeException e) {
                actual.onError(e);
                return;
            }
            if (value != null) {
                actual.onNext(value);
            }
            actual.onComplete();
        }

        private void fail(Throwable e) {
            onFailure.run();
            if (STATE.compareAndSet(this, SCHEDULED, DONE)) {
                actual.onError(e);
            }
        }
    }
}
