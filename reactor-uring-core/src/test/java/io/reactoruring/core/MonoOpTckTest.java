package io.reactoruring.core;

import org.reactivestreams.Publisher;
import org.testng.SkipException;

/** Reactive Streams TCK for {@link UringLoop#submit}: a NOP on a real ring, one element per subscription. */
public class MonoOpTckTest extends LoopPublisherVerification<Integer> {
    public MonoOpTckTest() {
        super("tck-mono");
    }

    /**
     * A NOP always completes with one result: there is no empty variant. The TCK asks for 0 elements
     * only in the two rule 1.9 tests, which never request, and in the optional empty-stream test,
     * which is skipped below as not applicable.
     */
    @Override
    Publisher<Integer> publisher(UringLoop loop, long elements) {
        return loop.submit(Op.nop());
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
