package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
    void fileOpsStartedByABurstOfCompletionsAreSubmittedBeforeTheBurstIsDispatched(@TempDir Path dir) throws Exception {
        assumeUring();
        Path file = Files.write(dir.resolve("data"), new byte[4096]);
        assertThat(earlyEnters(true, Source.EMPTY_PIPE, file))
                .as("reads that wait in the kernel: enters after the burst's 1st, 2nd and 4th completion (the 8th is its last)")
                .isEqualTo(3);
        assertThat(earlyEnters(true, Source.EMPTY_PIPE_SUBMIT_ALL, file))
                .as("the same reads written into the batch by submitAll's drain")
                .isEqualTo(3);
        assertThat(earlyEnters(false, Source.EMPTY_PIPE, file))
                .as("with -D" + LoopDriver.EARLY_SUBMIT_PROPERTY + "=false: one enter per iteration")
                .isZero();
        assertThat(earlyEnters(true, Source.CACHED_FILE, file))
                .as("a page-cached read completes inside the first early enter: the loop backs off for the rest of the burst")
                .isEqualTo(1);
        assertThat(earlyEnters(true, Source.NOP, file))
                .as("NOPs start no device work: they go at the end of the iteration")
                .isZero();
        // Without DEFER_TASKRUN an enter also posts older ops' completions: inline ones are told apart by user_data.
        RingOptions plain = RingOptions.defaults().singleIssuer(false);
        assertThat(earlyEnters(true, Source.EMPTY_PIPE, file, plain)).as("pipe reads, ring without DEFER_TASKRUN").isEqualTo(3);
        assertThat(earlyEnters(true, Source.CACHED_FILE, file, plain)).as("cached reads, ring without DEFER_TASKRUN").isEqualTo(1);
    }

    @Test
    void aLinkedChainStartedInTheMiddleOfABurstGoesToTheKernelWhole() {
        assumeUring();
        UringLoop loop = UringLoop.create("early-chain-test");
        try {
            UringMetrics before = TestSupport.liveMetrics(loop);
            // Each of the burst's completions starts a chain whose second member, a timeout, fires (-ETIME breaks
            // the link): the third, a READ (of no fd), is cancelled and the chain fails with its -ECANCELED. The
            // kernel ends a link at the end of each submission, so a chain split over two enters would run that
            // READ and fail with EBADF instead.
            List<Object> outcomes = reactor.core.publisher.Mono.defer(() -> Flux.range(0, 16)
                            .flatMap(i -> loop.submit(Op.nop()).then(loop.submitLinked(List.of(Op.nop(),
                                            Op.timeout(Duration.ofNanos(1)), Op.builder(Opcode.READ).fd(1_000_000).build())))
                                    .<Object>map(chain -> chain)
                                    .onErrorResume(e -> reactor.core.publisher.Mono.just(e)))
                            .collectList())
                    .subscribeOn(loop).block(Duration.ofSeconds(10));
            assertThat(outcomes).hasSize(16).allSatisfy(o -> assertThat(o)
                    .isInstanceOf(java.util.concurrent.CancellationException.class)
                    .asString().contains(": ECANCELED").contains("read fd"));
            UringMetrics after = TestSupport.liveMetrics(loop);
            assertThat((after.enterCalls() - before.enterCalls()) - (after.iterations() - before.iterations()))
                    .as("the chains went in early enters").isPositive();
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    /** What each completion of the burst starts. */
    private enum Source {
        /** A one-byte read of an empty pipe: it waits in the kernel until the test writes. */
        EMPTY_PIPE,
        /** The same, but the NOPs and reads are one {@code submitAll} stream with a window of 8. */
        EMPTY_PIPE_SUBMIT_ALL,
        /** A 4 KiB read of a page-cached file: the kernel completes it inside the submission. */
        CACHED_FILE,
        /** Another NOP: no device work. */
        NOP
    }

    /**
     * Eight NOPs submitted in one iteration complete in the kernel at once, so the loop dispatches
     * their eight CQEs as one burst; each completion starts one op of {@code source}. Returns the
     * io_uring_enter calls beyond one per iteration.
     */
    private static long earlyEnters(boolean early, Source source, Path file) {
        return earlyEnters(early, source, file, RingOptions.defaults());
    }

    private static long earlyEnters(boolean early, Source source, Path file, RingOptions options) {
        UringLoop loop;
        String previous = System.setProperty(LoopDriver.EARLY_SUBMIT_PROPERTY, Boolean.toString(early));
        try {
            loop = UringLoop.create("early-submit-test", options);
        } finally {
            if (previous == null) {
                System.clearProperty(LoopDriver.EARLY_SUBMIT_PROPERTY);
            } else {
                System.setProperty(LoopDriver.EARLY_SUBMIT_PROPERTY, previous);
            }
        }
        int[] pipe = new int[2];
        long bytes = 0;
        try (TestSupport.CPath path = new TestSupport.CPath(file)) {
            Integer fd = loop.submit(TestSupport.openat(path, 02000000, 0)).block(Duration.ofSeconds(10)); // O_RDONLY|O_CLOEXEC
            assertThat(fd).isNotNull();
            assertThat(Native.pipe2(pipe, 02000000 /* O_CLOEXEC */)).isZero();
            bytes = Native.allocate(8, 8);
            PooledBuffer buffer = loop.bufferPool().acquire(4096);
            try {
                UringMetrics before = TestSupport.liveMetrics(loop);
                Op cachedRead = Op.builder(Opcode.READ).fd(fd).addr(buffer.address()).length(4096).offset(0).build();
                Op pipeRead = Op.builder(Opcode.READ).fd(pipe[0]).addr(buffer.address()).length(1).offset(-1).build();
                // Subscribed in one task on the loop thread: all eight NOPs go into the same iteration's enter.
                java.util.concurrent.CompletableFuture<List<Integer>> done = reactor.core.publisher.Mono.defer(() ->
                                source == Source.EMPTY_PIPE_SUBMIT_ALL
                                        // The window holds the eight NOPs; each completion frees a place for a read.
                                        ? loop.submitAll(Flux.range(0, 16).map(i -> i < 8 ? Op.nop() : pipeRead), 8)
                                                .filter(res -> res != 0).collectList()
                                        : Flux.range(0, 8).flatMap(i -> loop.submit(Op.nop()).then(loop.submit(switch (source) {
                                            case EMPTY_PIPE, EMPTY_PIPE_SUBMIT_ALL -> pipeRead;
                                            case CACHED_FILE -> cachedRead;
                                            case NOP -> Op.nop();
                                        }))).collectList())
                        .subscribeOn(loop).toFuture();
                if (source == Source.EMPTY_PIPE || source == Source.EMPTY_PIPE_SUBMIT_ALL) {
                    // The eight reads are in the kernel, waiting for data: now feed them one byte each.
                    assertThat(TestSupport.awaitOnLoop(loop, () -> loop.metrics().inFlight() == 8
                            && loop.metrics().completed() - before.completed() == 8)).isTrue();
                    assertThat(Native.pwritev2(pipe[1], bytes, 8, -1, 0)).isEqualTo(8);
                }
                List<Integer> results = done.get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(results).as("each op's result").hasSize(8).containsOnly(switch (source) {
                    case EMPTY_PIPE, EMPTY_PIPE_SUBMIT_ALL -> 1;
                    case CACHED_FILE -> 4096;
                    case NOP -> 0;
                });
                UringMetrics after = TestSupport.liveMetrics(loop);
                assertThat(after.completed() - before.completed()).as("16 ops").isEqualTo(16);
                assertThat(after.sqFullWaits() - before.sqFullWaits()).isZero();
                assertThat(after.submitBusy() - before.submitBusy()).isZero();
                return (after.enterCalls() - before.enterCalls()) - (after.iterations() - before.iterations());
            } finally {
                buffer.release();
                Native.close(fd);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            if (pipe[0] > 0) {
                Native.close(pipe[0]);
                Native.close(pipe[1]);
            }
            if (bytes != 0) {
                Native.free(bytes);
            }
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
