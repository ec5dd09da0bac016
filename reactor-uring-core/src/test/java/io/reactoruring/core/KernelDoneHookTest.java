package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static io.reactoruring.core.TestSupport.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The whenKernelDone hook runs exactly once, and only when the kernel can no longer touch the op's memory. */
class KernelDoneHookTest {
    static UringLoop loop;

    @BeforeAll
    static void start() {
        assumeUring();
        loop = UringLoop.create("hook-test");
    }

    @AfterAll
    static void stop() {
        if (loop != null) {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    private static Op counted(Op op, AtomicInteger runs) {
        return op.toBuilder().whenKernelDone(runs::incrementAndGet).build();
    }

    @Test
    void runsOnceAfterASuccessfulCompletion() {
        AtomicInteger runs = new AtomicInteger();
        StepVerifier.create(loop.submit(counted(Op.nop(), runs))).expectNext(0).verifyComplete();
        assertThat(awaitOnLoop(loop, () -> runs.get() == 1)).isTrue();
    }

    @Test
    void runsOnceAfterAFailure() {
        AtomicInteger runs = new AtomicInteger();
        StepVerifier.create(loop.submit(counted(Op.builder(Opcode.READ).fd(1_000_000).build(), runs)))
                .expectError().verify(Duration.ofSeconds(5));
        assertThat(awaitOnLoop(loop, () -> runs.get() == 1)).isTrue();
    }

    @Test
    void waitsForTheTerminalCqeOfACancelledOp() {
        AtomicInteger runs = new AtomicInteger();
        long inFlight = loop.metrics().inFlight();
        StepVerifier.create(loop.submit(counted(Op.timeout(Duration.ofHours(1)), runs)))
                .expectSubscription()
                .then(() -> assertThat(awaitOnLoop(loop, () -> loop.metrics().inFlight() > inFlight)).isTrue())
                .then(() -> assertThat(runs.get()).as("still in the kernel").isZero())
                .thenCancel()
                .verify(Duration.ofSeconds(5));
        assertThat(awaitOnLoop(loop, () -> runs.get() == 1)).isTrue();
        // metrics() off the loop is the snapshot of the last finished iteration: wait for it too
        assertThat(awaitOnLoop(loop, () -> loop.metrics().inFlight() == inFlight)).isTrue();
    }

    @Test
    void runsWhenCancelledBeforeSubmission() {
        AtomicInteger runs = new AtomicInteger();
        StepVerifier.create(loop.submit(counted(Op.nop(), runs)), 0).thenCancel().verify();
        assertThat(awaitOnLoop(loop, () -> runs.get() == 1)).isTrue();
    }

    @Test
    void runsForEveryMemberOfAChainAndForAMultishotOpOnlyWhenItIsOver() {
        AtomicInteger chain = new AtomicInteger();
        StepVerifier.create(loop.submitLinked(List.of(counted(Op.nop(), chain), counted(Op.nop(), chain))))
                .expectNextCount(1).verifyComplete();
        assertThat(awaitOnLoop(loop, () -> chain.get() == 2)).isTrue();

        AtomicInteger multishot = new AtomicInteger();
        StepVerifier.create(loop.submitMultishot(counted(Op.timeoutMultishot(Duration.ofMillis(1), 5), multishot))
                        .limitRate(1)) // paused and re-armed between items: the hook must wait for the end
                .expectNextCount(5)
                .verifyComplete();
        assertThat(awaitOnLoop(loop, () -> multishot.get() == 1)).isTrue();
    }

    @Test
    void runsForOpsFailedByDispose() {
        UringLoop shortLived = UringLoop.create("hook-dispose-test", RingOptions.defaults().sqEntries(8).submissionsPerIteration(2));
        AtomicInteger runs = new AtomicInteger();
        StepVerifier.create(reactor.core.publisher.Flux.range(0, 5)
                        .flatMap(i -> shortLived.submit(counted(Op.timeout(Duration.ofHours(1)), runs)).onErrorReturn(-1))
                        .count())
                .then(() -> assertThat(TestSupport.awaitOnLoop(shortLived, () -> shortLived.metrics().inFlight() == 5))
                        .as("every op in the kernel, 2 per iteration: %s", shortLived.metrics()).isTrue())
                .then(shortLived::dispose)
                .expectNext(5L)
                .verifyComplete();
        shortLived.disposeGracefully().block(Duration.ofSeconds(10));
        assertThat(runs.get()).as("5 cancelled in the kernel").isEqualTo(5);
    }
}
