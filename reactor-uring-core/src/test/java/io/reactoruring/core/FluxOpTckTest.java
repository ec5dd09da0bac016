package io.reactoruring.core;

import java.time.Duration;
import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * Reactive Streams TCK for {@link UringLoop#submitMultishot}: a count-limited multishot timeout on a
 * real ring, one {@link Completion} per expiry. Demand arms it, no demand pauses it in the kernel.
 */
public class FluxOpTckTest extends PublisherVerification<Completion> {
    private static final Duration INTERVAL = Duration.ofMillis(1);

    private UringLoop loop;
    private UringLoop disposed;

    public FluxOpTckTest() {
        super(TckSupport.environment(), TckSupport.REFERENCE_GC_TIMEOUT_MILLIS);
    }

    @BeforeClass
    public void startLoop() {
        loop = TckSupport.startLoop("tck-multishot");
        disposed = TckSupport.disposedLoop("tck-multishot-disposed");
    }

    @AfterClass(alwaysRun = true)
    public void stopLoop() {
        TckSupport.stopLoop(loop);
    }

    /**
     * A multishot timeout's count 0 means "forever", so it has no empty variant. The TCK asks for 0
     * elements only in the two rule 1.9 tests, which never request (nothing is armed), and in the
     * optional empty-stream test, which is skipped below as not applicable.
     */
    @Override
    public Publisher<Completion> createPublisher(long elements) {
        return loop.submitMultishot(Op.timeoutMultishot(INTERVAL, (int) elements));
    }

    /** A multishot timeout on a disposed loop: rejected with RejectedExecutionException. */
    @Override
    public Publisher<Completion> createFailedPublisher() {
        return disposed.submitMultishot(Op.timeoutMultishot(INTERVAL, 3));
    }

    /** The count is an int. */
    @Override
    public long maxElementsFromPublisher() {
        return Integer.MAX_VALUE;
    }

    @Override
    public void optional_spec105_emptyStreamMustTerminateBySignallingOnComplete() {
        throw new SkipException("not applicable: a multishot timeout's count 0 means forever, it cannot be empty");
    }
}
