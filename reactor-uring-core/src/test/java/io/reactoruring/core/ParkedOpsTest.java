package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.Mono;
import reactor.core.publisher.BaseSubscriber;

/**
 * A multishot op whose subscriber stops asking is paused: cancelled in the kernel, in neither the
 * loop's queue nor its slot table. The loop keeps such "parked" ops in a set so that its shutdown
 * ends them too (with an error, which needs no demand); the set must follow resumes and cancels
 * exactly, or a long-lived loop would hold every op that was ever paused.
 */
class ParkedOpsTest {
    static final Duration T = Duration.ofSeconds(30);

    /** Asks for {@code first} ticks, then nothing: the op pauses after them. */
    private static final class Ticks extends BaseSubscriber<Completion> {
        final AtomicInteger ticks = new AtomicInteger();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final AtomicInteger completes = new AtomicInteger();

        @Override
        protected void hookOnSubscribe(Subscription s) {
            request(1);
        }

        @Override
        protected void hookOnNext(Completion c) {
            ticks.incrementAndGet();
        }

        @Override
        protected void hookOnError(Throwable t) {
            errors.add(t);
        }

        @Override
        protected void hookOnComplete() {
            completes.incrementAndGet();
        }
    }

    @Test
    void pausedOpsAreParkedUntilTheyResumeOrAreCancelledAndTheDisposeEndsTheRest() {
        assumeUring();
        UringLoop loop = UringLoop.create("parked-ops-test");
        int n = 200;
        List<Ticks> subs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Ticks t = new Ticks();
            loop.submitMultishot(Op.timeoutMultishot(Duration.ofNanos(50_000), 0)).subscribe(t);
            subs.add(t);
        }
        // each got its one tick and paused
        assertThat(TestSupport.awaitOnLoop(loop, () -> loop.parkedOps() == n)).as("all %d parked; parked %d, ticks %s, errors %s, %s",
                n, Mono.fromCallable(loop::parkedOps).subscribeOn(loop).block(T), subs.stream().map(t -> t.ticks.get()).toList(),
                subs.stream().map(t -> t.errors).toList(), TestSupport.liveMetrics(loop)).isTrue();
        assertThat(subs).allSatisfy(t -> assertThat(t.ticks).hasValue(1));

        // cancelled ones leave the set
        for (int i = 0; i < n / 2; i++) {
            subs.get(i).cancel();
        }
        assertThat(TestSupport.awaitOnLoop(loop, () -> loop.parkedOps() == n / 2)).isTrue();

        // resumed ones leave it while armed, and come back after their next tick
        Ticks resumed = subs.get(n - 1);
        resumed.request(1);
        assertThat(TestSupport.awaitOnLoop(loop, () -> resumed.ticks.get() == 2 && loop.parkedOps() == n / 2)).isTrue();

        loop.disposeGracefully().block(T);
        assertThat(parkedAfterDispose(subs.subList(n / 2, n))).as("every parked subscriber ended by the dispose").isEqualTo(n / 2);
        assertThat(subs.subList(0, n / 2)).as("cancelled ones get nothing").allSatisfy(t -> {
            assertThat(t.errors).isEmpty();
            assertThat(t.completes).hasValue(0);
        });
    }

    private static long parkedAfterDispose(List<Ticks> subs) {
        return subs.stream().filter(t -> t.errors.size() == 1 && t.errors.get(0) instanceof RejectedExecutionException
                && t.completes.get() == 0).count();
    }
}
