package io.reactoruring.examples.http;

import io.reactoruring.core.UringLoop;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import reactor.core.publisher.Mono;

/** Test helper: waits for loop-side effects (release hooks run just after signals) without sleeping. */
final class LoopAwait {
    private LoopAwait() {
    }

    /** Round trips on the loop until {@code condition} holds; false after 10,000 tries. */
    static boolean awaitOnLoop(UringLoop loop, BooleanSupplier condition) {
        for (int i = 0; i < 10_000; i++) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Mono.fromRunnable(() -> { }).subscribeOn(loop).block(Duration.ofSeconds(10));
        }
        return condition.getAsBoolean();
    }
}
