package io.reactoruring.net;

import io.reactoruring.core.buffer.PooledBuffer;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.util.context.Context;

/**
 * {@link UringInbound#receive()}'s buffer convention, the same on io_uring and NIO: each buffer is
 * lent ({@code CoreAccess.lend}) to the subscriber's {@code onNext} and released when it
 * returns, unless the subscriber {@linkplain PooledBuffer#retain() retained} it or handed it to
 * {@code sendPooled}, which adopts it ({@code CoreAccess.adopt}). A subscriber that forgets
 * buffers therefore never holds the connection's share of the ring.
 */
final class LendingReceive extends FluxOperator<PooledBuffer, PooledBuffer> {

    LendingReceive(Flux<PooledBuffer> source) {
        super(source);
    }

    @Override
    public void subscribe(CoreSubscriber<? super PooledBuffer> actual) {
        source.subscribe(new Lender(actual));
    }

    private static final class Lender implements CoreSubscriber<PooledBuffer>, Subscription {
        private final CoreSubscriber<? super PooledBuffer> actual;
        private Subscription upstream = Operators.emptySubscription();

        Lender(CoreSubscriber<? super PooledBuffer> actual) {
            this.actual = actual;
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(null, s)) {
                upstream = s;
                actual.onSubscribe(this);
            }
        }

        @Override
        public void onNext(PooledBuffer b) {
            io.reactoruring.core.internal.CoreAccess.lend(b, actual::onNext);
        }

        @Override
        public void onError(Throwable t) {
            actual.onError(t);
        }

        @Override
        public void onComplete() {
            actual.onComplete();
        }

        @Override
        public void request(long n) {
            upstream.request(n);
        }

        @Override
        public void cancel() {
            upstream.cancel();
        }
    }
}
