package io.reactoruring.core;

import org.reactivestreams.Publisher;

/**
 * Reactive Streams TCK for {@link UringLoop#submitAllOrdered}: NOPs from a source that does not fuse
 * ({@code hide()}), so they go through request/onNext and the queue, results in op order.
 */
public class SubmitAllOrderedTckTest extends LoopPublisherVerification<Integer> {
    public SubmitAllOrderedTckTest() {
        super("tck-submit-all-ordered");
    }

    @Override
    Publisher<Integer> publisher(UringLoop loop, long elements) {
        return loop.submitAllOrdered(SubmitAllTckTest.nops(elements).hide(), SubmitAllTckTest.MAX_IN_FLIGHT);
    }

    /** Flux.range counts in ints. */
    @Override
    public long maxElementsFromPublisher() {
        return Integer.MAX_VALUE;
    }
}
