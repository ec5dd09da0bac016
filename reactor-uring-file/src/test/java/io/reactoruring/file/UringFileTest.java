package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.Fds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

/** The behaviour tests of {@link FileBackendTest} on io_uring, plus what only io_uring has. */
class UringFileTest extends FileBackendTest {
    private static UringLoop loop;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("file-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    @Override
    PathOps ops() {
        return UringFiles.on(loop);
    }

    @Override
    BufferPool pool() {
        return loop.bufferPool();
    }

    @Override
    void awaitReleased(String what, BooleanSupplier condition) {
        awaitOnLoop(what, condition);
    }

    /** Two round trips through the loop: every CQE that was ready before has been dispatched. */
    private static void flushLoop() {
        loop.submit(Op.nop()).block(T);
        loop.submit(Op.nop()).block(T);
    }

    /**
     * Round trips through the loop until {@code condition} holds (at most 10,000): hooks that free
     * native memory run on the loop thread, right after the op's signal. No sleeps, no GC.
     */
    static void awaitOnLoop(String what, BooleanSupplier condition) {
        awaitOnLoopQuietly(condition);
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    private static void awaitOnLoopQuietly(BooleanSupplier condition) {
        for (int i = 0; i < 10_000 && !condition.getAsBoolean(); i++) {
            Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        }
    }

    @Override
    void awaitReleasedQuietly(BooleanSupplier condition) {
        awaitOnLoopQuietly(condition);
    }



    @Test
    void filesRunOnTheirLoop() throws Exception {
        UringFile f = open(Files.createFile(dir.resolve("on-loop")), StandardOpenOption.READ);
        assertThat(f.isUring()).isTrue();
        assertThat(f.loop()).isSameAs(loop);
        // By default a direct descriptor: nothing to share outside the loop's ring, no process fd.
        assertThat(f.isDirectDescriptor()).isTrue();
        assertThat(f.sharedFd()).isNull();
        assertThat(f.fd()).isEqualTo(-1);
        f.close().block(T);
        UringFile plain = open(dir.resolve("on-loop"), StandardOpenOption.READ, UringOpenOption.PLAIN_FD);
        assertThat(plain.isDirectDescriptor()).isFalse();
        assertThat(plain.sharedFd()).isNotNull();
        assertThat(plain.fd()).isEqualTo(plain.sharedFd().fd());
        plain.close().block(T);
    }

    @Test
    void publicEntryPointsRejectBadOptionsAtCallTime() {
        Path p = dir.resolve("x");
        assertThatThrownBy(() -> UringFiles.open(loop, p, Set.of(StandardOpenOption.READ, StandardOpenOption.APPEND)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UringFiles.open(loop, p, Set.of(StandardOpenOption.DELETE_ON_CLOSE)))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> UringFiles.open(null, p, Set.of())).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> UringFiles.createSymbolicLink(loop, p, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> UringFiles.readAll(loop, p, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Files.exists(p)).isFalse();
    }

    /**
     * The race core cannot see: openat's CQE reached a live subscriber, then the cancel came before
     * the file got through. The source below stands for that CQE: it ignores the cancel and emits a
     * real, freshly opened fd afterwards. The hand-off must close it, or the fd leaks.
     */
    @Test
    void anFdArrivingAfterTheCancelIsClosed() throws Exception {
        Path p = Files.write(dir.resolve("orphan"), new byte[] {1});
        long before = Fds.openOn(p);
        UringFile probe = open(p, StandardOpenOption.READ, UringOpenOption.PLAIN_FD); // any fd of ours, taken over below
        int fd = probe.fd();
        assertThat(Fds.openOn(p)).isEqualTo(before + 1);
        TestPublisher<Integer> cqe = TestPublisher.createNoncompliant(TestPublisher.Violation.DEFER_CANCELLATION);
        List<Integer> closed = new ArrayList<>();
        Mono<String> handed = UringPathOps.handOff(cqe.mono(), n -> "file " + n, n -> {
            closed.add(n);
            loop.submit(Op.close(n)).subscribe();
        });
        StepVerifier.create(handed).expectSubscription().thenCancel().verify(T);
        cqe.next(fd); // the value still arrives
        assertThat(closed).containsExactly(fd);
        awaitOnLoop("the orphaned fd is closed", () -> Fds.openOn(p) == before);
        // And without a cancel the value is delivered, not closed.
        TestPublisher<Integer> live = TestPublisher.create();
        StepVerifier.create(UringPathOps.handOff(live.mono(), n -> "file " + n, closed::add))
                .then(() -> live.emit(42)).expectNext("file 42").expectComplete().verify(T);
        assertThat(closed).containsExactly(fd);
    }

    /**
     * Cancels racing real openat completions, from other threads and from the loop: every fd is
     * delivered (and closed by the subscriber) or closed by us. The subscriber takes whatever it
     * receives, even after its cancel, as Reactive Streams requires (§2.8); Reactor's lambda
     * {@code subscribe(Consumer)} instead drops such a value (onNextDropped), which no publisher can
     * see, so it is not used here.
     */
    @Test
    void cancelsRacingOpensLeakNoFd() throws Exception {
        Path p = Files.write(dir.resolve("race"), new byte[] {1});
        open(p, StandardOpenOption.READ, UringOpenOption.PLAIN_FD).close().block(T); // warm-up
        long before = Fds.openOn(p);
        for (int i = 0; i < 300; i++) {
            BaseSubscriber<UringFile> s = new BaseSubscriber<>() {
                @Override
                protected void hookOnNext(UringFile f) {
                    f.close().subscribe();
                }
            };
            // Plain fds, counted in /proc/self/fd (FixedFilesTest storms direct descriptors).
            UringFiles.open(loop, p, Set.of(StandardOpenOption.READ, UringOpenOption.PLAIN_FD)).subscribe(s);
            // Vary the cancelling thread, so cancels land before, during and after the CQE.
            if (i % 3 == 0) {
                Schedulers.parallel().schedule(s::dispose);
            } else if (i % 3 == 1) {
                s.dispose();
            } else {
                loop.schedule(s::dispose);
            }
        }
        flushLoop();
        awaitOnLoop("every fd opened was closed", () -> Fds.openOn(p) == before);
    }

    @Test
    void cancelWithReadAheadQueuedReturnsEveryBuffer() throws Exception {
        Path p = Files.write(dir.resolve("cancel2"), random(1024 * 1024, 6));
        UringFile f = open(p, StandardOpenOption.READ);
        CountDownLatch first = new CountDownLatch(1);
        BaseSubscriber<PooledBuffer> s = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                request(1);
            }

            @Override
            protected void hookOnNext(PooledBuffer b) {
                b.release();
                first.countDown();
            }
        };
        f.readChunks(0, Long.MAX_VALUE, 16 * 1024, 8).subscribe(s);
        assertThat(first.await(10, TimeUnit.SECONDS)).isTrue();
        // Let the read-ahead complete, so its buffers sit undelivered in the operator queues and
        // the cancel below has to discard them (rather than abandon reads still in the kernel).
        flushLoop();
        assertThat(loop.bufferPool().outstanding()).isPositive();
        s.cancel();
        StepVerifier.create(f.close()).expectComplete().verify(T);
        flushLoop();
        awaitOnLoop("pooled buffers returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void cancelledOpsInTheKernelFreeNativeMemoryWithoutGc() throws Exception {
        int chunk = 16 * 1024;
        Path p = Files.write(dir.resolve("nogc"), random(4 * 1024 * 1024, 7));
        UringFile f = open(p, StandardOpenOption.READ);
        // Warm the pool, so chunks below come from its cache and NativeMemory only counts what we leak.
        List<PooledBuffer> warm = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            warm.add(loop.bufferPool().acquire(chunk));
        }
        warm.forEach(PooledBuffer::release);
        long blocks = NativeMemory.allocatedBlocks();
        long outstanding = loop.bufferPool().outstanding();
        java.nio.ByteBuffer[] vec = {java.nio.ByteBuffer.allocateDirect(100), java.nio.ByteBuffer.allocateDirect(100)};
        for (int i = 0; i < 20; i++) {
            // readChunks cancelled mid-stream while read-ahead reads are still in the kernel.
            List<PooledBuffer> received = new ArrayList<>();
            StepVerifier.create(f.readChunks(0, Long.MAX_VALUE, chunk, 8), 3)
                    .recordWith(() -> received)
                    .expectNextCount(3)
                    .thenCancel()
                    .verify(T);
            received.forEach(PooledBuffer::release);
            // Path, statx and iovec ops cancelled right after subscription: before or while in the kernel.
            UringFiles.stat(loop, p).subscribe().dispose();
            f.stat().subscribe().dispose();
            f.readv(vec, 0).subscribe().dispose();
            UringFiles.createDirectory(loop, dir.resolve("d" + i)).subscribe().dispose();
            UringFiles.createSymbolicLink(loop, dir.resolve("l" + i), p).subscribe().dispose();
            UringFiles.open(loop, p, Set.of(StandardOpenOption.READ)).subscribe(g -> g.close().subscribe()).dispose();
        }
        // The file stays open: the cancellations alone, not a close, return the memory.
        awaitOnLoop("pooled buffers returned", () -> loop.bufferPool().outstanding() == outstanding);
        awaitOnLoop("native blocks freed", () -> NativeMemory.allocatedBlocks() == blocks);
        assertThat(f.isClosing()).isFalse();
        StepVerifier.create(f.close()).expectComplete().verify(T);
    }

    @Test
    void sharedGroupOverloadsWork() throws Exception {
        Path p = dir.resolve("shared");
        UringFile f = UringFiles.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).block(T);
        assertThat(UringFiles.usesUring()).isTrue();
        assertThat(f.isUring()).isTrue();
        assertThat(f.loop()).isNotSameAs(loop);
        f.write(direct(new byte[] {7, 8}), 0).block(T);
        f.close().block(T);
        assertThat(Files.readAllBytes(p)).containsExactly(7, 8);
        UringFiles.createLink(dir.resolve("shared-link"), p).block(T);
        UringFiles.createSymbolicLink(dir.resolve("shared-sym"), p).block(T);
        assertThat(Files.readSymbolicLink(dir.resolve("shared-sym"))).isEqualTo(p);
        UringFiles.delete(p).block(T);
        assertThat(Files.exists(p)).isFalse();
    }

    @Test
    void theOpcodesUsedAreSupportedHere() {
        // The io_uring paths are exercised, not silently replaced by the NIO ones.
        for (int op : new int[] {Opcode.READV, Opcode.WRITEV, Opcode.SYNC_FILE_RANGE, Opcode.FALLOCATE, Opcode.FADVISE,
                Opcode.SYMLINKAT, Opcode.LINKAT}) {
            assertThat(loop.supports(op)).as("opcode %d", op).isTrue();
        }
    }
}
