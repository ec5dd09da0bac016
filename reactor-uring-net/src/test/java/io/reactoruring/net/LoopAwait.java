package io.reactoruring.net;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.testing.Poll;
import java.util.function.BooleanSupplier;

/** Test helper: waits for loop-side effects (release hooks run just after signals) without sleeping. */
final class LoopAwait {
    private LoopAwait() {
    }

    /** Round trips on the loop until {@code condition} holds: {@link Poll#untilOnLoop}. */
    static boolean awaitOnLoop(UringLoop loop, BooleanSupplier condition) {
        return Poll.untilOnLoop(loop, condition);
    }
}
