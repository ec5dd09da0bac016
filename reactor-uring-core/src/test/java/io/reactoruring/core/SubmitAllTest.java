package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static io.reactoruring.core.TestSupport.awaitOnLoop;
import static io.reactoruring.core.TestSupport.liveMetrics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.internal.NativeMemory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** {@link UringLoop#submitAll} and {@link UringLoop#submitAllOrdered}: many ops, one subscription. */
class SubmitAllTest {
    static UringLoop loop;

    @BeforeAll
    static void start() {
        assumeUring();
        loop = UringLoop.create("submit-all-test");
    }

    @AfterAll
    static void stop() {
        if (loop != null) {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    /** Two round trips through the loop: lets anything the loop would still do on its own happen first. */
    private static void settle(UringLoop l) {
        for (int i = 0; i < 2; i++) {
            reactor.core.publisher.Mono.fromRunnable(() -> { }).subscribeOn(l).block(Duration.ofSeconds(10));
        }
    }

    private static Op counted(Op op, AtomicInteger released) {
        return op.toBuilder().whenKernelDone(released::incrementAndGet).build();
    }

    private static Op hourTimeout(AtomicInteger created, AtomicInteger released) {
        created.incrementAndGet();
        return counted(Op.timeout(Duration.ofHours(1)), released);
    }

    @Test
    void emitsEveryResultExactlyOnceAndReleasesEveryOp() {
        AtomicInteger released = new AtomicInteger();
        Flux<Op> ops = Flux.range(0, 10_000).map(i -> counted(Op.nop(), released));
        StepVerifier.create(loop.submitAll(ops, 64).filter(r -> r == 0).count())
                .expectNext(10_000L).verifyComplete();
        StepVerifier.create(loop.submitAllOrdered(ops, 64).count()).expectNext(10_000L).verifyComplete();
        // hide(): not fusable, so the ops go through onNext and the queue instead of being polled
        StepVerifier.create(loop.submitAll(ops.hide(), 64).count()).expectNext(10_000L).verifyComplete();
        assertThat(awaitOnLoop(loop, () -> released.get() == 30_000)).isTrue();
    }

    @Test
    void anEmptySourceCompletes() {
        StepVerifier.create(loop.submitAll(Flux.empty(), 4)).verifyComplete();
        StepVerifier.create(loop.submitAllOrdered(Flux.empty(), 4)).verifyComplete();
    }

    @Test
    void completesWhenDemandEndsExactlyAtTheLastOp() {
        Flux<Op> fusable = Flux.range(0, 5).map(i -> Op.nop());
        for (Flux<Op> ops : List.of(fusable, fusable.hide())) {
            StepVerifier.create(loop.submitAll(ops, 8), 5).expectNextCount(5).expectComplete()
                    .verify(Duration.ofSeconds(10));
            StepVerifier.create(loop.submitAllOrdered(ops, 8), 5).expectNextCount(5).expectComplete()
                    .verify(Duration.ofSeconds(10));
        }
    }

    @Test
    void aThrowingOpsPublisherErrorsTheStream() {
        Flux<Op> throwsOnSubscribe = Flux.from(s -> {
            throw new IllegalStateException("cannot subscribe");
        });
        StepVerifier.create(loop.submitAll(throwsOnSubscribe, 4)).expectErrorMessage("cannot subscribe")
                .verify(Duration.ofSeconds(10));
        AtomicInteger released = new AtomicInteger();
        Flux<Op> throwsInMap = Flux.range(0, 10).map(i -> {
            if (i == 5) {
                throw new IllegalStateException("no op " + i);
            }
            return counted(Op.nop(), released);
        });
        // The error ends the stream at once: results of ops still in flight then are not emitted.
        StepVerifier.create(loop.submitAll(throwsInMap, 4)).thenConsumeWhile(r -> r == 0).expectErrorMessage("no op 5")
                .verify(Duration.ofSeconds(10));
        assertThat(awaitOnLoop(loop, () -> released.get() == 5)).isTrue();
    }

    @Test
    void submitsOnlyWhatTheSubscriberRequested() {
        long before = liveMetrics(loop).submitted();
        StepVerifier.create(loop.submitAll(Flux.range(0, 1000).map(i -> Op.nop()), 64), 0)
                .expectSubscription()
                .then(() -> settle(loop))
                .then(() -> assertThat(liveMetrics(loop).submitted()).as("nothing before a request").isEqualTo(before))
                .thenRequest(5)
                .expectNext(0, 0, 0, 0, 0)
                .then(() -> settle(loop))
                .then(() -> assertThat(liveMetrics(loop).submitted()).isEqualTo(before + 5))
                .thenRequest(3)
                .expectNext(0, 0, 0)
                .then(() -> settle(loop))
                .then(() -> assertThat(liveMetrics(loop).submitted()).isEqualTo(before + 8))
                .thenCancel()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void completionOrderByDefaultOpOrderWhenOrdered() throws Exception {
        // A TIMEOUT with a count completes (res 0) once that many other CQEs have been posted: here
        // after the k writes submitted behind it, so it finishes last. Writes to /dev/null return
        // their length. A loop of its own, so no other CQE counts towards the timeout.
        int k = 16;
        UringLoop own = UringLoop.create("submit-all-order");
        long buffer = NativeMemory.allocate(k, 8);
        try (TestSupport.CPath devNull = new TestSupport.CPath(Path.of("/dev/null"))) {
            int fd = own.submit(TestSupport.openat(devNull, 1 /* O_WRONLY */, 0)).block(Duration.ofSeconds(5));
            List<Op> ops = new ArrayList<>();
            ops.add(Op.builder(Opcode.TIMEOUT).timespec(Duration.ofHours(1)).length(1).offset(k).build());
            for (int i = 1; i <= k; i++) {
                ops.add(Op.builder(Opcode.WRITE).fd(fd).addr(buffer).length(i).build());
            }
            List<Integer> expected = IntStream.rangeClosed(0, k).boxed().collect(Collectors.toList());

            List<Integer> byCompletion = own.submitAll(Flux.fromIterable(ops), k + 1).collectList()
                    .block(Duration.ofSeconds(10));
            assertThat(byCompletion).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(byCompletion.get(0)).as("a write, not the timeout that waits for the writes").isNotZero();

            StepVerifier.create(own.submitAllOrdered(Flux.fromIterable(ops), k + 1))
                    .expectNextSequence(expected).verifyComplete();
            own.submit(Op.close(fd)).block(Duration.ofSeconds(5));
        } finally {
            own.disposeGracefully().block(Duration.ofSeconds(10));
            NativeMemory.free(buffer, k);
        }
    }

    @Test
    void boundsOpsInFlightAndCancelLeavesNothingInTheKernel() {
        for (boolean ordered : new boolean[] {false, true}) {
            AtomicInteger created = new AtomicInteger();
            AtomicInteger released = new AtomicInteger();
            Flux<Op> ops = Flux.range(0, 100).map(i -> hourTimeout(created, released));
            long inFlight = liveMetrics(loop).inFlight();
            StepVerifier.create(ordered ? loop.submitAllOrdered(ops, 8) : loop.submitAll(ops, 8))
                    .expectSubscription()
                    .then(() -> assertThat(awaitOnLoop(loop, () -> liveMetrics(loop).inFlight() == inFlight + 8)).isTrue())
                    .then(() -> settle(loop))
                    .then(() -> assertThat(liveMetrics(loop).inFlight()).isEqualTo(inFlight + 8))
                    .then(() -> assertThat(created.get()).as("pulled no further than the window").isEqualTo(8))
                    .then(() -> assertThat(released.get()).as("all still in the kernel").isZero())
                    .thenCancel()
                    .verify(Duration.ofSeconds(10));
            assertThat(awaitOnLoop(loop, () -> liveMetrics(loop).inFlight() == inFlight)).isTrue();
            assertThat(awaitOnLoop(loop, () -> released.get() == created.get())).isTrue();
        }
    }

    @Test
    void cancelFromAnotherThreadWhileOpsCompleteReleasesEveryOpExactlyOnce() throws InterruptedException {
        long inFlight = liveMetrics(loop).inFlight();
        for (int round = 0; round < 20; round++) {
            AtomicInteger created = new AtomicInteger();
            AtomicInteger released = new AtomicInteger();
            AtomicInteger received = new AtomicInteger();
            java.util.concurrent.CountDownLatch some = new java.util.concurrent.CountDownLatch(1);
            int cancelAfter = 1000 * (round % 5 + 1);
            Flux<Op> ops = Flux.range(0, 1_000_000).map(i -> {
                created.incrementAndGet();
                return counted(Op.nop(), released);
            });
            Flux<Integer> results = round % 2 == 0 ? loop.submitAll(ops, 64) : loop.submitAllOrdered(ops, 64);
            reactor.core.Disposable d = results.subscribe(r -> {
                if (received.incrementAndGet() == cancelAfter) {
                    some.countDown();
                }
            });
            assertThat(some.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            d.dispose(); // races with completions on the loop thread
            assertThat(awaitOnLoop(loop, () -> liveMetrics(loop).inFlight() == inFlight)).isTrue();
            settle(loop);
            assertThat(released.get()).as("round %d", round).isEqualTo(created.get());
            assertThat(received.get()).isLessThanOrEqualTo(created.get());
        }
    }

    @Test
    void aFailedOpErrorsTheStreamAndCancelsTheOthers() {
        AtomicInteger created = new AtomicInteger();
        AtomicInteger released = new AtomicInteger();
        long inFlight = liveMetrics(loop).inFlight();
        Flux<Op> ops = Flux.range(0, 20).map(i -> i == 3
                ? counted(Op.builder(Opcode.READ).fd(1_000_000).build(), released) : hourTimeout(created, released));
        StepVerifier.create(loop.submitAll(ops, 8))
                .expectErrorMatches(e -> e instanceof UringError && ((UringError) e).errno() == Errno.EBADF)
                .verify(Duration.ofSeconds(10));
        assertThat(awaitOnLoop(loop, () -> liveMetrics(loop).inFlight() == inFlight)).isTrue();
        assertThat(awaitOnLoop(loop, () -> released.get() == created.get() + 1)).isTrue();
    }

    @Test
    void anErrorOfTheOpsPublisherErrorsTheStreamAndCancelsTheOps() {
        AtomicInteger created = new AtomicInteger();
        AtomicInteger released = new AtomicInteger();
        long inFlight = liveMetrics(loop).inFlight();
        // Buffering: the loop subscribes to the sink asynchronously, and an unbuffered sink would
        // silently drop what is emitted before that.
        Sinks.Many<Op> ops = Sinks.many().unicast().onBackpressureBuffer();
        StepVerifier.create(loop.submitAllOrdered(ops.asFlux(), 8))
                .expectSubscription()
                .then(() -> {
                    for (int i = 0; i < 3; i++) {
                        ops.emitNext(hourTimeout(created, released), Sinks.EmitFailureHandler.FAIL_FAST);
                    }
                })
                .then(() -> assertThat(awaitOnLoop(loop, () -> liveMetrics(loop).inFlight() == inFlight + 3)).isTrue())
                .then(() -> ops.emitError(new IllegalStateException("no more ops"), Sinks.EmitFailureHandler.FAIL_FAST))
                .expectErrorMessage("no more ops")
                .verify(Duration.ofSeconds(10));
        assertThat(awaitOnLoop(loop, () -> liveMetrics(loop).inFlight() == inFlight)).isTrue();
        assertThat(awaitOnLoop(loop, () -> released.get() == 3)).isTrue();
    }

    @Test
    void opsMayArriveFromAnotherThread() {
        Flux<Op> ops = Flux.range(0, 5000).publishOn(Schedulers.parallel()).map(i -> Op.nop());
        StepVerifier.create(loop.submitAll(ops, 32).count()).expectNext(5000L).verifyComplete();
        StepVerifier.create(loop.submitAllOrdered(ops, 32).count()).expectNext(5000L).verifyComplete();
    }

    @Test
    void aWindowLargerThanTheRingWaitsForSlotsInLineWithOtherOps() {
        UringLoop small = UringLoop.create("submit-all-small", RingOptions.defaults().sqEntries(8).submissionsPerIteration(4));
        try {
            Flux<Integer> all = small.submitAll(Flux.range(0, 2000).map(i -> Op.nop()), 64);
            Flux<Integer> singles = Flux.range(0, 200).flatMap(i -> small.submit(Op.nop()), 16);
            StepVerifier.create(Flux.merge(all, singles).count()).expectNext(2200L).verifyComplete();
            UringMetrics m = liveMetrics(small);
            assertThat(m.inFlightHighWater()).isEqualTo(4);
            assertThat(m.inFlight()).isZero();
        } finally {
            small.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void disposingTheLoopErrorsTheStreamAndReleasesTheOps() {
        UringLoop own = UringLoop.create("submit-all-dispose");
        AtomicInteger created = new AtomicInteger();
        AtomicInteger released = new AtomicInteger();
        StepVerifier.create(own.submitAll(Flux.range(0, 100).map(i -> hourTimeout(created, released)), 4))
                .expectSubscription()
                .then(() -> assertThat(awaitOnLoop(own, () -> liveMetrics(own).inFlight() == 4)).isTrue())
                .then(own::dispose)
                .expectErrorMatches(e -> e instanceof CancellationException || e instanceof RejectedExecutionException)
                .verify(Duration.ofSeconds(10));
        own.disposeGracefully().block(Duration.ofSeconds(10));
        assertThat(released.get()).isEqualTo(created.get()).isEqualTo(4);
    }

    @Test
    void rejectsBadArguments() {
        assertThatThrownBy(() -> loop.submitAll(Flux.empty(), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> loop.submitAllOrdered(null, 4)).isInstanceOf(NullPointerException.class);
        StepVerifier.create(loop.submitAll(Flux.just(Op.nop(), null), 4)).expectError(NullPointerException.class)
                .verify(Duration.ofSeconds(10));
    }
}
