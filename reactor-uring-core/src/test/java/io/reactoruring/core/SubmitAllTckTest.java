package io.reactoruring.core;

import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;
import reactor.core.publisher.Flux;

/**
 * Reactive Streams TCK for {@link UringLoop#submitAll}: NOPs from a synchronously fused source
 * ({@code Flux.range(..).map(..)}, polled on the loop thread), results in completion order.
 */
public class SubmitAllTckTest extends PublisherVerification<Integer> {
    static final int MAX_IN_FLIGHT = 16;

    private UringLoop loop;
    private UringLoop disposed;

    public SubmitAllTckTest() {
        super(TckSupport.environment(), TckSupport.REFERENCE_GC_TIMEOUT_MILLIS);
    }

    @BeforeClass
    public void startLoop() {
        loop = TckSupport.startLoop("tck-submit-all");
        disposed = TckSupport.disposedLoop("tck-submit-all-disposed");
    }

    @AfterClass(alwaysRun = true)
    public void stopLoop() {
        TckSupport.stopLoop(loop);
    }

    static Flux<Op> nops(long elements) {
        return Flux.range(0, (int) elements).map(i -> Op.nop());
    }

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        return loop.submitAll(nops(elements), MAX_IN_FLIGHT);
    }

    /** NOPs on a disposed loop: rejected with RejectedExecutionException. */
    @Override
    public Publisher<Integer> createFailedPublisher() {
        return disposed.submitAll(nops(3), MAX_IN_FLIGHT);
    }

    /** Flux.range counts in ints. */
    @Override
    public long maxElementsFromPublisher() {
        return Integer.MAX_VALUE;
    }
}
