package io.reactoruring.core;

import org.reactivestreams.Publisher;
import org.reactivestreams.tck.PublisherVerification;
import org.testng.SkipException;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/** Reactive Streams TCK for {@link UringLoop#submit}: a NOP on a real ring, one element per subscription. */
public class MonoOpTckTest extends PublisherVerification<Integer> {
    private UringLoop loop;
    private UringLoop disposed;

    public MonoOpTckTest() {
        super(TckSupport.environment(), TckSupport.REFERENCE_GC_TIMEOUT_MILLIS);
    }

    @BeforeClass
    public void startLoop() {
        loop = TckSupport.startLoop("tck-mono");
        disposed = TckSupport.disposedLoop("tck-mono-disposed");
    }

    @AfterClass(alwaysRun = true)
    public void stopLoop() {
        TckSupport.stopLoop(loop);
    }

    /**
     * A NOP always completes with one result: there is no empty variant. The TCK asks for 0 elements
     * only in the two rule 1.9 tests, which never request, and in the optional empty-stream test,
     * which is skipped below as not applicable.
     */
    @Override
    public Publisher<Integer> createPublisher(long elements) {
        return loop.submit(Op.nop());
    }

    /** A NOP on a disposed loop: rejected with RejectedExecutionException. */
    @Override
    public Publisher<Integer> createFailedPublisher() {
        return disposed.submit(Op.nop());
    }

    @Override
    public long maxElementsFromPublisher() {
        return 1;
    }

    @Override
    public void optional_spec105_emptyStreamMustTerminateBySignallingOnComplete() {
        throw new SkipException("not applicable: a single op's Mono always emits its result");
    }
}
