package io.reactoruring.core;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.Schedulers;

/**
 * {@code block()} for the loop's own {@code Mono}s when the loop spins
 * ({@link LoopDriver#SPIN_PROPERTY}): the caller polls for its result for up to the current spin
 * window before it parks, so a round trip that completes within microseconds costs the caller no
 * sleep and the loop no unpark. With the loop's own spin this takes a foreign thread's
 * {@code submit(nop).block()} from two cross-thread wake-ups to none (docs/benchmarks.md,
 * "Latency paths"). Reactor's {@code block()} (a {@code CountDownLatch}) runs where the spin is off.
 *
 * <p>Behaves as Reactor's {@code block()} / {@code block(Duration)}: refused on a
 * {@link reactor.core.scheduler.NonBlocking} thread, the first value wins and cancels upstream, an
 * error is rethrown (propagated) with a suppressed "#block terminated with an error", a timeout or an
 * interrupt cancels upstream (an interrupt keeps the thread's interrupt status), the subscription goes
 * through Reactor's {@code onLastOperator} hooks. {@code SpinningBlockTest} compares each case with Reactor's.
 */
final class SpinningBlock<T> implements CoreSubscriber<T> {
    private volatile @Nullable Subscription upstream;
    private @Nullable T value;
    private @Nullable Throwable error;
    private volatile boolean done;
    private volatile @Nullable Thread waiter;

    private SpinningBlock() {
    }

    /**
     * Subscribes to {@code source} and waits for its first value (null if it completes empty).
     *
     * @param window the spin window, updated after the wait (a hit restores {@code maxSpinNanos}, a miss halves it)
     * @param timeoutNanos how long to wait at most, or {@code Long.MAX_VALUE} for no bound
     */
    static <T> @Nullable T block(Mono<T> source, SpinWindow window, long timeoutNanos) {
        if (Schedulers.isInNonBlockingThread()) {
            throw new IllegalStateException("block()/blockFirst()/blockLast() are blocking, which is not supported in thread "
                    + Thread.currentThread().getName());
        }
        SpinningBlock<T> s = new SpinningBlock<>();
        // As a plain Subscriber, as Reactor's block() does: subscribe(CoreSubscriber) would skip the
        // onLastOperator hooks (context propagation, instrumentation)
        source.subscribe((org.reactivestreams.Subscriber<T>) s);
        return s.await(window, timeoutNanos);
    }

    /** A spin window shared by the callers of one loop: racy updates are harmless. */
    static final class SpinWindow {
        private final long max;
        private volatile long current;

        SpinWindow(long maxNanos) {
            this.max = maxNanos;
            this.current = maxNanos;
        }

        boolean enabled() {
            return max > 0;
        }

        long current() {
            return current;
        }

        void after(boolean hit) {
            current = LoopDriver.nextSpinWindow(current, max, hit);
        }
    }

    private @Nullable T await(SpinWindow window, long timeoutNanos) {
        long start = System.nanoTime();
        long spinEnd = start + Math.min(window.current(), timeoutNanos);
        while (!done && System.nanoTime() - spinEnd < 0) {
            Thread.onSpinWait();
        }
        window.after(done);
        if (!done) {
            waiter = Thread.currentThread();
            while (!done) {
                if (Thread.interrupted()) {
                    cancel();
                    RuntimeException re = Exceptions.propagate(new InterruptedException());
                    if (timeoutNanos != Long.MAX_VALUE) {
                        re.addSuppressed(new Exception("#block has been interrupted"));
                    }
                    Thread.currentThread().interrupt();
                    throw re;
                }
                if (timeoutNanos == Long.MAX_VALUE) {
                    LockSupport.park(this);
                } else {
                    long left = timeoutNanos - (System.nanoTime() - start);
                    if (left <= 0) {
                        cancel();
                        String message = "Timeout on blocking read for " + timeoutNanos + " " + TimeUnit.NANOSECONDS;
                        throw new IllegalStateException(message, new TimeoutException(message));
                    }
                    LockSupport.parkNanos(this, left);
                }
            }
        }
        Throwable e = error;
        if (e != null) {
            RuntimeException re = Exceptions.propagate(e);
            throw Exceptions.addSuppressed(re, new Exception("#block terminated with an error"));
        }
        return value;
    }

    private void cancel() {
        Subscription s = upstream;
        if (s != null) {
            s.cancel();
        }
    }

    @Override
    public void onSubscribe(Subscription s) {
        if (Operators.validate(upstream, s)) {
            upstream = s;
            s.request(Long.MAX_VALUE);
        }
    }

    @Override
    public void onNext(T t) {
        if (done) {
            Operators.onNextDropped(t, currentContext());
            return;
        }
        value = t;
        cancel(); // a Mono's first value ends it, as in Reactor's BlockingMonoSubscriber
        finish();
    }

    @Override
    public void onError(Throwable t) {
        if (done) {
            Operators.onErrorDropped(t, currentContext());
            return;
        }
        error = t;
        finish();
    }

    @Override
    public void onComplete() {
        if (!done) {
            finish();
        }
    }

    private void finish() {
        done = true;
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }
}
