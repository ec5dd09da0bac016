package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/** Issue 10 item 5: one JNI crossing, and one io_uring_enter, per loop iteration; budgets per iteration. */
class LoopIterationTest {

    @Test
    void eachIterationMakesOneIoUringEnter() {
        assumeUring();
        UringLoop loop = UringLoop.create("iteration-test");
        try {
            int ops = 2_000;
            UringMetrics before = TestSupport.liveMetrics(loop);
            // Round trips one after the other: each NOP is submitted by the iteration after the
            // previous one completed, so the loop runs about one iteration per NOP.
            Long n = Flux.range(0, ops).concatMap(i -> loop.submit(Op.nop())).count().block(Duration.ofSeconds(30));
            assertThat(n).isEqualTo(ops);
            UringMetrics after = TestSupport.liveMetrics(loop);
            long iterations = after.iterations() - before.iterations();
            long enters = after.enterCalls() - before.enterCalls();
            assertThat(after.sqFullWaits() - before.sqFullWaits()).isZero();
            assertThat(after.cqOverflows() - before.cqOverflows()).isZero();
            assertThat(after.submitBusy() - before.submitBusy()).isZero();
            assertThat(iterations).as("a round trip needs an iteration; the loop does not spin")
                    .isBetween((long) ops, 2L * ops + 10);
            assertThat(enters).as("io_uring_enter calls == iterations").isEqualTo(iterations);
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void opsStartedByABurstOfCompletionsAreSubmittedBeforeTheBurstIsDispatched() {
        assumeUring();
        assertThat(earlyEnters(true)).as("enters after the burst's 1st, 2nd and 4th completion (the 8th is its last)")
                .isEqualTo(3);
        assertThat(earlyEnters(false)).as("with -D" + LoopDriver.EARLY_SUBMIT_PROPERTY + "=false: one enter per iteration")
                .isZero();
    }

    @Test
    void aLinkedChainStartedInTheMiddleOfABurstGoesToTheKernelWhole() {
        assumeUring();
        UringLoop loop = UringLoop.create("early-chain-test");
        try {
            UringMetrics before = TestSupport.liveMetrics(loop);
            // Each of the burst's completions starts a chain whose second member, a timeout, fires (-ETIME breaks
            // the link): the third NOP is cancelled and the chain fails with its -ECANCELED. The kernel ends a link
            // at the end of each submission, so a chain split over two enters would run that NOP and succeed.
            List<Object> outcomes = reactor.core.publisher.Mono.defer(() -> Flux.range(0, 16)
                            .flatMap(i -> loop.submit(Op.nop()).then(loop.submitLinked(List.of(Op.nop(),
                                            Op.timeout(Duration.ofNanos(1)), Op.nop())))
                                    .<Object>map(chain -> chain)
                                    .onErrorResume(e -> reactor.core.publisher.Mono.just(e)))
                            .collectList())
                    .subscribeOn(loop).block(Duration.ofSeconds(10));
            assertThat(outcomes).hasSize(16).allSatisfy(o -> assertThat(o)
                    .isInstanceOf(java.util.concurrent.CancellationException.class)
                    .asString().contains("nop: ECANCELED"));
            UringMetrics after = TestSupport.liveMetrics(loop);
            assertThat((after.enterCalls() - before.enterCalls()) - (after.iterations() - before.iterations()))
                    .as("the chains went in early enters").isPositive();
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    /**
     * Eight NOPs submitted in one iteration complete in the kernel at once, so the loop dispatches
     * their eight CQEs as one burst; each completion starts another NOP. Returns the io_uring_enter
     * calls beyond one per iteration.
     */
    private static long earlyEnters(boolean early) {
        UringLoop loop;
        String previous = System.setProperty(LoopDriver.EARLY_SUBMIT_PROPERTY, Boolean.toString(early));
        try {
            loop = UringLoop.create("early-submit-test");
        } finally {
            if (previous == null) {
                System.clearProperty(LoopDriver.EARLY_SUBMIT_PROPERTY);
            } else {
                System.setProperty(LoopDriver.EARLY_SUBMIT_PROPERTY, previous);
            }
        }
        try {
            UringMetrics before = TestSupport.liveMetrics(loop);
            // Subscribed in one task on the loop thread: all eight go into the same iteration's enter.
            Long n = reactor.core.publisher.Mono.defer(() -> Flux.range(0, 8)
                            .flatMap(i -> loop.submit(Op.nop()).then(loop.submit(Op.nop())))
                            .count())
                    .subscribeOn(loop).block(Duration.ofSeconds(10));
            assertThat(n).isEqualTo(8);
            UringMetrics after = TestSupport.liveMetrics(loop);
            assertThat(after.completed() - before.completed()).as("16 NOPs").isEqualTo(16);
            assertThat(after.sqFullWaits() - before.sqFullWaits()).isZero();
            assertThat(after.submitBusy() - before.submitBusy()).isZero();
            return (after.enterCalls() - before.enterCalls()) - (after.iterations() - before.iterations());
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void theBudgetBoundsSubmissionsPerIterationNotOpsInFlight() {
        assumeUring();
        UringLoop loop = UringLoop.create("budget-test", RingOptions.defaults().sqEntries(8).submissionsPerIteration(4));
        try {
            // 100 armed timers on a budget of 4 per iteration: all get in, in about 25 iterations. Subscribed
            // in one task on the loop thread, so all 100 wait for the same iteration (from another thread the
            // loop may take them as they trickle in, a few per iteration, and never reach the budget).
            List<reactor.core.Disposable> armed = new java.util.ArrayList<>();
            reactor.core.publisher.Mono.fromRunnable(() -> {
                for (int i = 0; i < 100; i++) {
                    armed.add(loop.submit(Op.timeout(Duration.ofHours(1))).subscribe());
                }
            }).subscribeOn(loop).block(Duration.ofSeconds(10));
            assertThat(loop.submit(Op.nop()).block(Duration.ofSeconds(10))).isZero();
            UringMetrics m = TestSupport.liveMetrics(loop);
            assertThat(m.inFlight()).isEqualTo(100);
            assertThat(m.maxInFlight()).as("reports the per-iteration budget").isEqualTo(4);
            assertThat(m.inFlightLimitWaits()).as("the budget made ops wait for the next iteration").isPositive();
            // A chain longer than the budget still runs (alone, in a fresh iteration).
            ChainResult chain = loop.submitLinked(List.of(Op.nop(), Op.nop(), Op.nop(), Op.nop(), Op.nop(), Op.nop()))
                    .block(Duration.ofSeconds(10));
            assertThat(chain).isNotNull();
            assertThat(chain.size()).isEqualTo(6);
            armed.forEach(reactor.core.Disposable::dispose);
            assertThat(TestSupport.awaitOnLoop(loop, () -> loop.metrics().inFlight() == 0)).isTrue();
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }
}
