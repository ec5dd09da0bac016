package io.reactoruring.core;

import java.time.Duration;
import org.reactivestreams.Publisher;
import org.testng.SkipException;

/**
 * Reactive Streams TCK for {@link UringLoop#submitMultishot}: a count-limited multishot timeout on a
 * real ring, one {@link Completion} per expiry. Demand arms it, no demand pauses it in the kernel.
 */
public class FluxOpTckTest extends LoopPublisherVerification<Completion> {
    private static final Duration INTERVAL = Duration.ofMillis(1);

    public FluxOpTckTest() {
        super("tck-multishot");
    }

    /**
     * A multishot timeout's count 0 means "forever", so it has no empty variant. The TCK asks for 0
     * elements only in the two rule 1.9 tests, which never request (nothing is armed), and in the
     * optional empty-stream test, which is skipped below as not applicable.
     */
    @Override
    Publisher<Completion> publisher(UringLoop loop, long elements) {
        return loop.submitMultishot(Op.timeoutMultishot(INTERVAL, (int) elements));
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
