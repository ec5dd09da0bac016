package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static io.reactoruring.core.TestSupport.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.testing.Fds;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** {@link UringLoop#submitHardLinked}: every member runs, whatever the outcome of the one before. */
class HardLinkedChainTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static UringLoop loop;

    @BeforeAll
    static void start() {
        assumeUring();
        loop = UringLoop.create("hard-link-test");
    }

    @AfterAll
    static void stop() {
        if (loop != null) {
            loop.disposeGracefully().block(T);
        }
    }

    private static Op badRead() {
        return Op.builder(Opcode.READ).fd(1_000_000).name("read").build(); // EBADF
    }

    private static Op close(int fd) {
        return Op.builder(Opcode.CLOSE).fd(fd).name("close").build();
    }

    @Test
    void aFailedMemberDoesNotStopTheChainAndIsReportedPerOp(@TempDir Path dir) throws Exception {
        Path created = dir.resolve("created");
        long fdsBefore = Fds.openUnder(dir);
        int fd;
        try (TestSupport.CPath path = new TestSupport.CPath(created)) {
            Op create = TestSupport.openat(path, 0100 | 01 | 02000000, 0644); // O_CREAT|O_WRONLY|O_CLOEXEC
            ChainResult r = loop.submitHardLinked(List.of(badRead(), create, Op.nop())).block(T);
            assertThat(r.size()).isEqualTo(3);
            assertThat(r.succeeded(0)).isFalse();
            assertThat(r.result(0)).isEqualTo(-Errno.EBADF);
            assertThat(r.error(0)).isInstanceOf(ClosedChannelException.class);
            assertThat(Errno.errnoOf(r.error(0))).isEqualTo(Errno.EBADF);
            assertThat(r.succeeded(1)).as("the open after the failure ran").isTrue();
            assertThat(r.error(1)).isNull();
            fd = r.result(1);
            assertThat(fd).isNotNegative();
            assertThat(r.succeeded(2)).isTrue();
            assertThat(r.result(2)).isZero();
        }
        assertThat(Files.exists(created)).isTrue();
        // The fd belongs to the caller: it was not closed as an orphan.
        assertThat(Fds.openUnder(dir)).isEqualTo(fdsBefore + 1);
        StepVerifier.create(loop.submit(close(fd))).expectNext(0).verifyComplete();
        assertThat(Fds.openUnder(dir)).isEqualTo(fdsBefore);
    }

    @Test
    void aShortReadDoesNotStopTheChain(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("f"), "abc");
        long fdsBefore = Fds.openUnder(dir);
        int fd;
        try (TestSupport.CPath path = new TestSupport.CPath(file)) {
            fd = loop.submit(TestSupport.openat(path, 02000000, 0)).block(T); // O_RDONLY|O_CLOEXEC
        }
        long buf = NativeMemory.allocate(100, 8);
        try {
            Op read = Op.builder(Opcode.READ).fd(fd).addr(buf).length(100).offset(0).build();
            ChainResult r = loop.submitHardLinked(List.of(read, close(fd))).block(T);
            assertThat(r.result(0)).as("short read").isEqualTo(3);
            assertThat(r.result(1)).as("the close after the short read ran").isZero();
            assertThat(r.succeeded(0) && r.succeeded(1)).isTrue();
        } finally {
            NativeMemory.free(buf, 100);
        }
        assertThat(Fds.openUnder(dir)).isEqualTo(fdsBefore);
    }

    @Test
    void everyMembersMemoryIsReleasedOnceAndSlotsReturn() {
        long inFlightBefore = TestSupport.liveMetrics(loop).inFlight();
        AtomicInteger released = new AtomicInteger();
        Op a = Op.builder(Opcode.READ).fd(1_000_000).whenKernelDone(released::incrementAndGet).build();
        Op b = Op.builder(Opcode.NOP).whenKernelDone(released::incrementAndGet).build();
        Op c = Op.builder(Opcode.READ).fd(1_000_001).whenKernelDone(released::incrementAndGet).build();
        ChainResult r = loop.submitHardLinked(List.of(a, b, c)).block(T);
        assertThat(r.succeeded(0)).isFalse();
        assertThat(r.succeeded(1)).isTrue();
        assertThat(r.succeeded(2)).isFalse();
        assertThat(awaitOnLoop(loop, () -> released.get() == 3)).isTrue();
        assertThat(awaitOnLoop(loop, () -> loop.metrics().inFlight() == inFlightBefore)).isTrue();
        assertThat(released.get()).isEqualTo(3);
    }

    @Test
    void cancelStopsTheRunningMemberAndTheChainStillReleasesEverything() {
        long inFlightBefore = TestSupport.liveMetrics(loop).inFlight();
        AtomicInteger released = new AtomicInteger();
        Op hour = Op.builder(Opcode.TIMEOUT).timespec(Duration.ofHours(1)).length(1).acceptedErrno(Errno.ETIME)
                .whenKernelDone(released::incrementAndGet).build();
        Op nop = Op.builder(Opcode.NOP).whenKernelDone(released::incrementAndGet).build();
        StepVerifier.create(loop.submitHardLinked(List.of(hour, nop)))
                .expectSubscription()
                .then(() -> assertThat(awaitOnLoop(loop, () -> loop.metrics().inFlight() > inFlightBefore)).isTrue())
                .thenCancel()
                .verify(T);
        // The hour-long timeout is gone only if IORING_OP_ASYNC_CANCEL reached it.
        assertThat(awaitOnLoop(loop, () -> released.get() == 2)).isTrue();
        assertThat(awaitOnLoop(loop, () -> loop.metrics().inFlight() == inFlightBefore)).isTrue();
    }

    @Test
    void aTimeoutMemberAndTheRestRun() {
        ChainResult r = loop.submitHardLinked(List.of(Op.timeout(Duration.ofMillis(1)), badRead(), Op.nop())).block(T);
        assertThat(r.result(0)).isEqualTo(-Errno.ETIME);
        assertThat(r.succeeded(0)).as("ETIME is the timeout's accepted errno").isTrue();
        assertThat(r.succeeded(1)).isFalse();
        assertThat(r.result(2)).isZero();
    }

    @Test
    void theMonoFailsOnlyWhenTheChainCannotRun() {
        UringLoop disposed = UringLoop.create("hard-link-disposed");
        disposed.disposeGracefully().block(T);
        StepVerifier.create(disposed.submitHardLinked(List.of(Op.nop(), Op.nop())))
                .expectError(RejectedExecutionException.class)
                .verify(T);
    }

    @Test
    void badChainsAreRejectedAtCallTime() {
        assertThatThrownBy(() -> loop.submitHardLinked(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> loop.submitHardLinked(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> loop.submitHardLinked(List.of(Op.nop().withTimeout(Duration.ofSeconds(1)))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void cancelReachesAMemberTheHardLinkStartsAfterTheCancel() {
        // Cancelling the first hour makes the hard link start the second one: ChainOp cancels that in turn.
        for (int i = 0; i < 50; i++) {
            long inFlightBefore = TestSupport.liveMetrics(loop).inFlight();
            AtomicInteger released = new AtomicInteger();
            Op hour1 = Op.builder(Opcode.TIMEOUT).timespec(Duration.ofHours(1)).length(1).acceptedErrno(Errno.ETIME)
                    .whenKernelDone(released::incrementAndGet).build();
            Op hour2 = Op.builder(Opcode.TIMEOUT).timespec(Duration.ofHours(1)).length(1).acceptedErrno(Errno.ETIME)
                    .whenKernelDone(released::incrementAndGet).build();
            StepVerifier.create(loop.submitHardLinked(List.of(hour1, hour2)))
                    .expectSubscription()
                    .then(() -> assertThat(awaitOnLoop(loop, () -> loop.metrics().inFlight() > inFlightBefore)).isTrue())
                    .thenCancel()
                    .verify(T);
            assertThat(awaitOnLoop(loop, () -> released.get() == 2)).as("iteration %d", i).isTrue();
        }
    }

    @Test
    void aChainIsNeverSplitByAFullSubmissionQueue(@TempDir Path dir) throws Exception {
        // The kernel ends a link at the end of each submission: a chain straddling an SQ-full flush
        // would run its tail on its own, here creating a file after the failed read.
        // A budget above the SQ, so one batch holds more SQEs than the SQ and is flushed mid-batch.
        UringLoop small = UringLoop.create("hard-link-small-sq", RingOptions.defaults().sqEntries(4).submissionsPerIteration(12));
        List<TestSupport.CPath> paths = new ArrayList<>();
        try {
            // Chains of 2 between single NOPs start at every offset modulo 4: whatever the SQ already
            // holds, one of them has its read in the last entry before a flush.
            List<Mono<?>> ops = new ArrayList<>();
            AtomicInteger failures = new AtomicInteger();
            for (int i = 0; i < 4; i++) {
                TestSupport.CPath path = new TestSupport.CPath(dir.resolve("never-created-" + i));
                paths.add(path);
                Op create = TestSupport.openat(path, 0100 | 01 | 02000000, 0644); // O_CREAT|O_WRONLY|O_CLOEXEC
                ops.add(small.submitLinked(List.of(badRead(), create))
                        .doOnError(ClosedChannelException.class, e -> failures.incrementAndGet())
                        .onErrorResume(ClosedChannelException.class, e -> Mono.empty()));
                ops.add(small.submit(Op.nop()));
            }
            // Subscribed in one loop task, so all are prepared into one batch.
            Mono.when(ops).subscribeOn(small).block(T);
            assertThat(failures.get()).isEqualTo(4);
            assertThat(TestSupport.liveMetrics(small).sqFullWaits()).as("the SQ filled up mid-batch").isPositive();
        } finally {
            small.disposeGracefully().block(T);
            paths.forEach(TestSupport.CPath::close);
        }
        for (int i = 0; i < 4; i++) {
            assertThat(Files.exists(dir.resolve("never-created-" + i))).as("the op after failure %d ran", i).isFalse();
        }
    }
}
