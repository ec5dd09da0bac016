package io.reactoruring.core;

import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;

/**
 * Reactive Streams TCK for {@link UringLoop#submitAll}: NOPs from a synchronously fused source
 * ({@code Flux.range(..).map(..)}, polled on the loop thread), results in completion order.
 */
public class SubmitAllTckTest extends LoopPublisherVerification<Integer> {
    static final int MAX_IN_FLIGHT = 16;

    public SubmitAllTckTest() {
        super("tck-submit-all");
    }

    static Flux<Op> nops(long elements) {
        return Flux.range(0, (int) elements).map(i -> Op.nop());
    }

    @Override
    Publisher<Integer> publisher(UringLoop loop, long elements) {
        return loop.submitAll(nops(elements), MAX_IN_FLIGHT);
    }

    /** Flux.range counts in ints. */
    @Override
    public long maxElementsFromPublisher() {
        return Integer.MAX_VALUE;
    }
}
