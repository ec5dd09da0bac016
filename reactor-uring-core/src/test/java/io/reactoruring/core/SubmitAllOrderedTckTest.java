package io.reactoruring.core;

import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * Reactive Streams TCK for {@link UringLoop#submitAllOrdered}: NOPs from a source that does not fuse
 * ({@code hide()}), so they go through request/onNext and the queue, results in op order.
 */
public class SubmitAllOrderedTckTest extends PublisherVerification<Integer> {
    private UringLoop loop;
    private UringLoop disposed;

    public SubmitAllOrderedTckTest() {
        super(TckSupport.environment(), TckSupport.REFERENCE_GC_TIMEOUT_MILLIS);
    }

    @BeforeClass
    public void startLoop() {
        loop = TckSupport.startLoop("tck-submit-all-ordered");
        disposed = TckSupport.disposedLoop("tck-submit-all-ordered-disposed");
    }

    @AfterClass(alwaysRun = true)
    public void stopLoop() {
        TckSupport.stopLoop(loop);
    }

    @Override
    public Publisher<Integer> createPublisher(long elements) {
        return loop.submitAllOrdered(SubmitAllTckTest.nops(elements).hide(), SubmitAllTckTest.MAX_IN_FLIGHT);
    }

    /** NOPs on a disposed loop: rejected with RejectedExecutionException. */
    @Override
    public Publisher<Integer> createFailedPublisher() {
        return disposed.submitAllOrdered(SubmitAllTckTest.nops(3).hide(), SubmitAllTckTest.MAX_IN_FLIGHT);
    }

    /** Flux.range counts in ints. */
    @Override
    public long maxElementsFromPublisher() {
        return Integer.MAX_VALUE;
    }
}
