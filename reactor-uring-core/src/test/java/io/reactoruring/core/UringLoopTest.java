package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static io.reactoruring.core.TestSupport.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.testing.Fds;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class UringLoopTest {
    static UringLoop loop;

    @BeforeAll
    static void start() {
        assumeUring();
        loop = UringLoop.create("loop-test");
    }

    @AfterAll
    static void stop() {
        if (loop != null) {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void nopCompletesWithZero() {
        StepVerifier.create(loop.submit(Op.nop())).expectNext(0).verifyComplete();
    }

    @Test
    void opsAreColdAndSubmitOnRequest() {
        long before = loop.metrics().submitted();
        Mono<Integer> nop = loop.submit(Op.nop());
        StepVerifier.create(nop, 0)
                .expectSubscription()
                .then(() -> assertThat(loop.metrics().submitted()).isEqualTo(before))
                .thenRequest(1)
                .expectNext(0)
                .verifyComplete();
        // the result arrives before the iteration that delivered it publishes its metrics
        assertThat(awaitOnLoop(loop, () -> loop.metrics().submitted() == before + 1)).isTrue();
    }

    @Test
    void metricsReadOnTheLoopThreadAreCurrent() {
        // Off the loop, metrics() is the snapshot of the last iteration; on it, the live counters: an op
        // subscribed on the loop thread is counted as waiting at once, before any iteration ends.
        long[] waiting = new long[2];
        Mono.fromRunnable(() -> {
            waiting[0] = loop.metrics().waiting();
            loop.submit(Op.nop()).subscribe();
            waiting[1] = loop.metrics().waiting();
        }).subscribeOn(loop).block(Duration.ofSeconds(5));
        assertThat(waiting[1]).isEqualTo(waiting[0] + 1);
    }

    @Test
    void realTimeoutCompletesAfterItsDelay() {
        long start = System.nanoTime();
        StepVerifier.create(loop.submit(Op.timeout(Duration.ofMillis(30)))).expectNext(0).verifyComplete();
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(Duration.ofMillis(30).toNanos());
    }

    @Test
    void virtualTimeComposesWithRingOps() {
        StepVerifier.withVirtualTime(() -> Mono.delay(Duration.ofHours(2)).then(loop.submit(Op.nop())))
                .expectSubscription()
                .expectNoEvent(Duration.ofHours(1))
                .thenAwait(Duration.ofHours(1))
                .expectNext(0)
                .verifyComplete();
    }

    @Test
    void linkedTimeoutFailsWithTimeoutException() {
        Op slow = Op.timeout(Duration.ofSeconds(30)).withTimeout(Duration.ofMillis(20));
        StepVerifier.create(loop.submit(slow))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(TimeoutException.class)
                        .hasMessageContaining("timeout").hasMessageContaining("timed out after"))
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void cancelBeforeSubmissionNeverReachesTheKernel() {
        long before = loop.metrics().submitted();
        StepVerifier.create(loop.submit(Op.timeout(Duration.ofSeconds(30))), 0).thenCancel().verify();
        assertThat(loop.metrics().submitted()).isEqualTo(before);
    }

    @Test
    void cancelAfterSubmissionCancelsInTheKernel() {
        long inFlightBefore = loop.metrics().inFlight();
        StepVerifier.create(loop.submit(Op.timeout(Duration.ofHours(1))))
                .expectSubscription()
                .then(() -> assertThat(awaitOnLoop(loop, () -> loop.metrics().inFlight() > inFlightBefore)).isTrue())
                .thenCancel()
                .verify(Duration.ofSeconds(5));
        // The hour-long timeout is gone only if IORING_OP_ASYNC_CANCEL reached it.
        assertThat(awaitOnLoop(loop, () -> loop.metrics().inFlight() == inFlightBefore)).isTrue();
    }

    @Test
    void linkedChainReturnsEveryResult() {
        // (A timeout's -ETIME would count as a failure and cut the chain: NOPs keep it simple.)
        StepVerifier.create(loop.submitLinked(List.of(Op.nop(), Op.nop(), Op.nop())))
                .assertNext(r -> {
                    assertThat(r.size()).isEqualTo(3);
                    assertThat(r.result(0)).isZero();
                    assertThat(r.result(1)).isZero();
                    assertThat(r.result(2)).isZero();
                })
                .verifyComplete();
    }

    @Test
    void linkedChainFailureCancelsTheRest(@TempDir Path dir) throws Exception {
        Path never = dir.resolve("never-created");
        try (TestSupport.CPath path = new TestSupport.CPath(never)) {
            Op badRead = Op.builder(Opcode.READ).fd(1_000_000).build(); // EBADF
            Op create = TestSupport.openat(path, 0100 | 01 | 02000000, 0644); // O_CREAT|O_WRONLY|O_CLOEXEC
            StepVerifier.create(loop.submitLinked(List.of(Op.nop(), badRead, create)))
                    .expectError(ClosedChannelException.class)
                    .verify(Duration.ofSeconds(5));
        }
        assertThat(Files.exists(never)).as("the op after the failure must have been cancelled").isFalse();
    }

    @Test
    void fdCreatedByAFailedChainIsClosed(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "x");
        long before = Fds.openUnder(dir);
        try (TestSupport.CPath path = new TestSupport.CPath(file)) {
            Op open = TestSupport.openat(path, 02000000, 0); // O_RDONLY|O_CLOEXEC: succeeds
            Op badRead = Op.builder(Opcode.READ).fd(1_000_000).build();
            StepVerifier.create(loop.submitLinked(List.of(open, badRead)))
                    .expectError(ClosedChannelException.class)
                    .verify(Duration.ofSeconds(5));
        }
        assertThat(awaitOnLoop(loop, () -> Fds.openUnder(dir) == before))
                .as("the fd openat returned had no owner and must be closed").isTrue();
    }

    @Test
    void multishotTimeoutHonoursBoundedDemand() {
        StepVerifier.create(loop.submitMultishot(Op.timeoutMultishot(Duration.ofMillis(1), 0)), 0)
                .expectSubscription()
                .thenRequest(2)
                .expectNextCount(2)
                .thenRequest(3)
                .expectNextCount(3)
                .thenCancel()
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void multishotTimeoutWithCountCompletesAfterCountExpiries() {
        StepVerifier.create(loop.submitMultishot(Op.timeoutMultishot(Duration.ofMillis(1), 4)))
                .expectNextMatches(c -> c.res() == -Errno.ETIME && c.hasMore())
                .expectNextCount(3)
                .verifyComplete();
    }

    @Test
    void multishotPausedWithoutDemandLosesNothing() {
        // One at a time: each emission leaves no demand, so the op is paused and re-armed every time,
        // and a count-limited timeout must still deliver exactly its count.
        StepVerifier.create(loop.submitMultishot(Op.timeoutMultishot(Duration.ofMillis(1), 6)).limitRate(1))
                .expectNextCount(6)
                .verifyComplete();
    }

    @Test
    void opsFromEightForeignThreadsAllComplete() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch go = new CountDownLatch(1);
        try {
            List<Future<Long>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 8; t++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return Flux.range(0, 2000).flatMap(i -> loop.submit(Op.nop()), 64).count().block();
                }));
            }
            go.countDown();
            long total = 0;
            for (Future<Long> f : results) {
                total += f.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(8 * 2000);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void blockOnTheLoopThreadFails() {
        StepVerifier.create(loop.submit(Op.nop()).map(x -> Mono.delay(Duration.ofMillis(1)).block()))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("block"))
                .verify(Duration.ofSeconds(5));
        StepVerifier.create(loop.submit(Op.nop()).map(x -> Schedulers.isInNonBlockingThread()))
                .expectNext(true).verifyComplete();
    }

    @Test
    void loopIsASchedulerForPublishOnAndDelays() {
        AtomicReference<Thread> ran = new AtomicReference<>();
        StepVerifier.create(Mono.just(1).publishOn(loop).doOnNext(x -> ran.set(Thread.currentThread())))
                .expectNext(1).verifyComplete();
        assertThat(ran.get().getName()).isEqualTo("loop-test");
        StepVerifier.create(Mono.delay(Duration.ofMillis(5), loop).map(x -> Thread.currentThread().getName()))
                .expectNext("loop-test").verifyComplete();
        StepVerifier.create(Flux.interval(Duration.ofMillis(1), loop).take(3)).expectNext(0L, 1L, 2L).verifyComplete();
    }

    @Test
    void kernelErrorsBecomeStandardExceptionsNamingErrnoOpAndTarget(@TempDir Path dir) {
        StepVerifier.create(loop.submit(Op.builder(Opcode.READ).fd(1_000_000).build()))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ClosedChannelException.class)
                        .hasMessageContaining("EBADF").hasMessageContaining("read").hasMessageContaining("fd 1000000"))
                .verify(Duration.ofSeconds(5));
        Path missing = dir.resolve("missing");
        try (TestSupport.CPath path = new TestSupport.CPath(missing)) {
            Op open = TestSupport.openat(path, 0, 0).toBuilder().name("openat").target(missing.toString()).build();
            StepVerifier.create(loop.submit(open))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(NoSuchFileException.class)
                            .hasMessageContaining(missing.toString()).hasMessageContaining("ENOENT")
                            .satisfies(x -> assertThat(Errno.errnoOf(x)).isEqualTo(Errno.ENOENT)))
                    .verify(Duration.ofSeconds(5));
        }
    }

    @Test
    void invalidArgumentsAreRejectedBeforeTheKernel() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Op.timeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Op.builder(Opcode.NOP).sqeFlags(Opcode.IOSQE_IO_LINK).build())
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> loop.submitLinked(List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RingOptions.defaults().sqEntries(100))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void probeAnswersForKnownOpcodes() {
        assertThat(loop.supports(Opcode.NOP)).isTrue();
        assertThat(loop.supports(Opcode.READ)).isTrue();
        assertThat(loop.supports(255)).isFalse();
    }

    @Test
    void disposedLoopRejectsNewOps() {
        UringLoop other = UringLoop.create("short-lived");
        other.disposeGracefully().block(Duration.ofSeconds(10));
        StepVerifier.create(other.submit(Op.nop()))
                .expectError(RejectedExecutionException.class)
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void disposedLoopRejectsNewSubscribersWithoutDemand() {
        // Rule 1.9 (the Reactive Streams TCK's failed-publisher tests): onSubscribe, then onError, with
        // no request; the ops publisher of submitAll is not even subscribed.
        UringLoop other = UringLoop.create("short-lived-no-demand");
        other.disposeGracefully().block(Duration.ofSeconds(10));
        AtomicBoolean opsSubscribed = new AtomicBoolean();
        Flux<Op> ops = Flux.just(Op.nop()).doOnSubscribe(s -> opsSubscribed.set(true));
        List<org.reactivestreams.Publisher<?>> publishers = List.of(other.submit(Op.nop()),
                other.submitMultishot(Op.timeoutMultishot(Duration.ofMillis(1), 2)),
                other.submitAll(ops, 4), other.submitAllOrdered(ops, 4),
                other.submitLinked(List.of(Op.nop(), Op.nop())));
        for (org.reactivestreams.Publisher<?> p : publishers) {
            StepVerifier.create(p, 0)
                    .expectError(RejectedExecutionException.class)
                    .verify(Duration.ofSeconds(5));
        }
        assertThat(opsSubscribed).isFalse();
    }

    @Test
    void cancellationExceptionMapsFromEcanceled() {
        assertThat(Errno.exception(-Errno.ECANCELED, "read", "fd 3")).isInstanceOf(CancellationException.class);
    }

    @Test
    void aWorkerDisposedByItsOwnTaskDoesNotRejectThatTask() {
        // Scheduled from the loop thread, a task is queued (issue 10 item 4), never run inline: it
        // disposes its worker when it runs, after schedule() returned. Scheduling did not throw; a
        // schedule after that disposal is rejected.
        Scheduler.Worker w = loop.createWorker();
        AtomicBoolean ran = new AtomicBoolean();
        String outcome = Mono.fromCallable(() -> {
            w.schedule(() -> {
                ran.set(true);
                w.dispose();
            });
            return "ran=" + ran.get() + " when schedule returned";
        }).subscribeOn(loop).block(Duration.ofSeconds(10));
        assertThat(outcome).isEqualTo("ran=false when schedule returned");
        assertThat(awaitOnLoop(loop, ran::get)).isTrue();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> w.schedule(() -> { })).isInstanceOf(RejectedExecutionException.class);
    }
}
