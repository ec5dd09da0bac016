package io.reactoruring.core;

import org.reactivestreams.Subscription;
import reactor.core.publisher.Operators;

/**
 * The subscription of an op with one result ({@link MonoOp}, {@link ChainOp}, {@link TransferOp}):
 * the first valid request posts the handle to the loop, which submits it; a cancel posts it too,
 * even before any request, so the op's release steps run exactly once on the loop thread.
 */
abstract class SingleResultOp extends OpHandle implements Subscription {
    SingleResultOp(UringLoop loop) {
        super(loop);
    }

    @Override
    public final void request(long n) {
        if (Operators.validate(n) && markRequested()) {
            loop.post(this);
        }
    }

    @Override
    public final void cancel() {
        if (markCancelled()) {
            loop.post(this);
        }
    }
}
