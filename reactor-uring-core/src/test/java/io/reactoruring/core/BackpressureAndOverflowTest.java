package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class BackpressureAndOverflowTest {

    @Test
    void hundredThousandOpsOnASixtyFourEntryRingAllCompleteWithinTheBound() throws InterruptedException {
        assumeUring();
        UringLoop loop = UringLoop.create("bp-test", RingOptions.defaults().sqEntries(64).submissionsPerIteration(64));
        try {
            // All 100,000 subscribed at once (plain subscribers: flatMap's per-inner bookkeeping
            // would make this quadratic): the ring takes 64, the rest wait in Java, in order.
            int ops = 100_000;
            CountDownLatch done = new CountDownLatch(ops);
            AtomicInteger ok = new AtomicInteger();
            for (int i = 0; i < ops; i++) {
                loop.submit(Op.nop()).subscribe(r -> ok.incrementAndGet(), e -> done.countDown(), done::countDown);
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(ok.get()).isEqualTo(ops);
            UringMetrics m = TestSupport.liveMetrics(loop);
            assertThat(m.inFlightHighWater()).isLessThanOrEqualTo(64).isEqualTo(m.maxInFlight());
            assertThat(m.inFlightLimitWaits() + m.sqFullWaits()).as("ops had to wait in Java").isPositive();
            assertThat(m.completed()).isGreaterThanOrEqualTo(100_000);
            assertThat(m.inFlight()).isZero();
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void cqOverflowIsFlushedAndEveryCompletionArrivesExactlyOnce() throws InterruptedException {
        assumeUring();
        // CQ of 8 entries but up to 1024 ops per iteration: one io_uring_enter posts far more CQEs
        // than the CQ holds, and the rest must wait on the kernel's overflow list
        // (IORING_FEAT_NODROP) until the loop has reaped the CQ and flushed the list.
        UringLoop loop = UringLoop.create("overflow-test",
                RingOptions.defaults().sqEntries(8).cqEntries(8).submissionsPerIteration(1024));
        int ops = 20_000;
        try {
            AtomicInteger[] seen = new AtomicInteger[ops];
            CountDownLatch done = new CountDownLatch(ops);
            for (int i = 0; i < ops; i++) {
                AtomicInteger count = seen[i] = new AtomicInteger();
                loop.submit(Op.nop())
                        .subscribe(r -> count.incrementAndGet(), e -> done.countDown(), done::countDown);
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(seen).allSatisfy(n -> assertThat(n.get()).as("each op completes exactly once").isEqualTo(1));
            assertThat(TestSupport.liveMetrics(loop).cqOverflows()).as("the CQ must actually have overflowed").isPositive();
            assertThat(TestSupport.liveMetrics(loop).staleCompletions()).isZero();
            assertThat(TestSupport.liveMetrics(loop).inFlight()).isZero();
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void multishotOnATinyCqDeliversEveryExpiryExactlyOnce() {
        assumeUring();
        // 256 multishot timers firing together on an 8-entry CQ: the kernel ends a multishot op
        // when it cannot post a CQE with F_MORE; the Flux re-arms it for the remaining expiries.
        UringLoop loop = UringLoop.create("multishot-overflow-test",
                RingOptions.defaults().sqEntries(8).cqEntries(8).submissionsPerIteration(512));
        int timers = 256;
        int expiries = 20;
        try {
            ConcurrentHashMap<Integer, AtomicInteger> seen = new ConcurrentHashMap<>();
            StepVerifier.create(Flux.range(0, timers)
                            .flatMap(t -> loop.submitMultishot(Op.timeoutMultishot(Duration.ofMillis(1), expiries))
                                    .doOnNext(c -> seen.computeIfAbsent(t, k -> new AtomicInteger()).incrementAndGet()), timers)
                            .count())
                    .expectNext((long) timers * expiries)
                    .verifyComplete();
            assertThat(seen).hasSize(timers);
            assertThat(seen.values()).allSatisfy(n -> assertThat(n.get()).isEqualTo(expiries));
            assertThat(TestSupport.liveMetrics(loop).staleCompletions()).isZero();
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void linkedChainsWaitForEnoughSlots() {
        assumeUring();
        UringLoop loop = UringLoop.create("chain-bp-test", RingOptions.defaults().sqEntries(8).submissionsPerIteration(8));
        try {
            StepVerifier.create(Flux.range(0, 1000)
                            .flatMap(i -> loop.submitLinked(List.of(Op.nop(), Op.nop(), Op.nop())), 100)
                            .count())
                    .expectNext(1000L)
                    .verifyComplete();
            assertThat(TestSupport.liveMetrics(loop).inFlightHighWater()).isLessThanOrEqualTo(8);
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }
}
