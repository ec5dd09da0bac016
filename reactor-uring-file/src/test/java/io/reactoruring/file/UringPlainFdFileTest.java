package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.Fds;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import org.reactivestreams.Subscription;

/**
 * The behaviour tests of {@link FileBackendTest} on io_uring with process fds
 * ({@link UringOpenOption#PLAIN_FD}), whose page-cached reads off the loop thread skip the ring
 * ({@link UringFile#read}); plus which reads take that path and which do not, by the loop's counters.
 */
class UringPlainFdFileTest extends FileBackendTest {
    private static UringLoop loop;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("file-plain-fd-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    @Override
    PathOps ops() {
        PathOps ring = UringFiles.on(loop);
        return new PathOps() {
            @Override
            public Mono<UringFile> open(Path path, OpenSpec spec) {
                Set<OpenOption> options = new HashSet<>(spec.options());
                options.add(UringOpenOption.PLAIN_FD);
                return ring.open(path, new OpenSpec(options, spec.flags(), spec.readable(), spec.writable(), spec.mode(),
                        spec.attrs()));
            }

            @Override
            public Mono<Void> delete(Path path, boolean directory) {
                return ring.delete(path, directory);
            }

            @Override
            public Mono<Void> createDirectory(Path path) {
                return ring.createDirectory(path);
            }

            @Override
            public Mono<Void> move(Path source, Path target) {
                return ring.move(source, target);
            }

            @Override
            public Mono<FileStat> stat(Path path) {
                return ring.stat(path);
            }

            @Override
            public Mono<Void> createSymbolicLink(Path link, Path target) {
                return ring.createSymbolicLink(link, target);
            }

            @Override
            public Mono<Void> createLink(Path link, Path existing) {
                return ring.createLink(link, existing);
            }
        };
    }

    @Override
    BufferPool pool() {
        return loop.bufferPool();
    }

    @Override
    void awaitReleased(String what, BooleanSupplier condition) {
        awaitReleasedQuietly(condition);
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    @Override
    void awaitReleasedQuietly(BooleanSupplier condition) {
        for (int i = 0; i < 10_000 && !condition.getAsBoolean(); i++) {
            Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        }
    }

    /** Ops the loop has submitted to its ring so far, read on the loop thread (current, not as of an iteration's end). */
    private static long ringOps() {
        UringMetrics m = Mono.fromCallable(loop::metrics).subscribeOn(loop).block(T);
        return m.submitted();
    }

    /** {@link UringMetrics#inlineReads()}: counted by the reading threads, so current from any thread. */
    private static long inlineReads() {
        return loop.metrics().inlineReads();
    }

    @Test
    void pageCachedReadsOffTheLoopDoNotTakeTheRing() throws Exception {
        byte[] data = random(64 * 1024, 7);
        Path p = Files.write(dir.resolve("cached"), data); // just written: in the page cache
        UringFile f = open(p, StandardOpenOption.READ);
        assertThat(f.isDirectDescriptor()).isFalse();
        ByteBuffer dst = ByteBuffer.allocateDirect(4096);
        long before = ringOps();
        long inlineBefore = inlineReads();
        assertThat(f.read(dst, 8192).block(T)).isEqualTo(4096);
        assertThat(dst.position()).isEqualTo(4096);
        assertThat(bytes(dst.flip())).isEqualTo(slice(data, 8192, 4096));
        // A short read at the end, then end of file: also without the ring.
        assertThat(f.read(dst.clear(), data.length - 100).block(T)).isEqualTo(100);
        assertThat(bytes(dst.flip())).isEqualTo(slice(data, data.length - 100, 100));
        assertThat(f.read(dst.clear(), data.length).block(T)).isEqualTo(-1);
        assertThat(dst.position()).isZero();
        // read before any loop round trip: the count is current even while the loop sleeps
        assertThat(inlineReads()).as("the loop's metrics count the three reads done inline").isEqualTo(inlineBefore + 3);
        assertThat(ringOps()).isEqualTo(before);

        // Subscribed on the loop thread, the same read is a ring op.
        assertThat(f.read(dst.clear(), 0).subscribeOn(loop).block(T)).isEqualTo(4096);
        assertThat(bytes(dst.flip())).isEqualTo(slice(data, 0, 4096));
        assertThat(ringOps()).isEqualTo(before + 1);
        assertThat(inlineReads()).isEqualTo(inlineBefore + 3);
        f.close().block(T);
    }

    @Test
    void aDirectDescriptorsFirstReadAndODirectFilesReadThroughTheRing() throws Exception {
        byte[] data = random(64 * 1024, 8);
        Path p = Files.write(dir.resolve("cached-too"), data);
        ByteBuffer dst = ByteBuffer.allocateDirect(4096);
        UringFile inTable = UringFiles.open(loop, p, Set.of(StandardOpenOption.READ)).block(T);
        long before = ringOps();
        assertThat(inTable.read(dst, 4096).block(T)).isEqualTo(4096);
        assertThat(bytes(dst.flip())).isEqualTo(slice(data, 4096, 4096));
        // A direct descriptor has no process fd: its first read off the loop asks for a shadow fd
        // (IORING_OP_FIXED_FD_INSTALL, queued first) and takes the ring; later ones skip it (UringShadowFdTest).
        assertThat(ringOps()).isEqualTo(before + (inTable.isDirectDescriptor() ? 2 : 0));
        inTable.close().block(T);

        // O_DIRECT: a synchronous direct read waits for the device even with RWF_NOWAIT, so never inline.
        UringFile direct;
        try {
            direct = open(p, StandardOpenOption.READ, UringOpenOption.DIRECT);
        } catch (RuntimeException e) {
            return; // the file system refuses O_DIRECT (tmpfs): nothing to check here
        }
        PooledBuffer aligned = loop.bufferPool().acquire(4096);
        try {
            before = ringOps();
            assertThat(direct.read(aligned.buffer().clear().limit(4096), 4096).block(T)).isEqualTo(4096);
            assertThat(bytes(aligned.buffer().flip())).isEqualTo(slice(data, 4096, 4096));
            assertThat(ringOps()).isEqualTo(before + 1);
        } finally {
            aligned.release();
            direct.close().block(T);
        }
    }

    @Test
    void anUncachedReadOffTheLoopCompletesThroughTheRing() throws Exception {
        byte[] data = random(1 << 20, 9);
        Path p = Files.write(dir.resolve("evicted"), data);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.force(true); // clean pages, which DONT_NEED drops
        }
        UringFile f = open(p, StandardOpenOption.READ);
        f.fadvise(0, 0, FileAdvice.DONT_NEED).block(T);
        ByteBuffer dst = ByteBuffer.allocateDirect(4096);
        long before = ringOps();
        assertThat(f.read(dst, 512 * 1024).block(T)).isEqualTo(4096);
        assertThat(bytes(dst.flip())).isEqualTo(slice(data, 512 * 1024, 4096));
        // RWF_NOWAIT refused it (EAGAIN: not cached), so the ring read it.
        assertThat(ringOps()).isEqualTo(before + 1);
        f.close().block(T);
    }

    @Test
    void aFileThatRefusesNowaitReadsThroughTheRing() throws Exception {
        // procfs has no RWF_NOWAIT (EOPNOTSUPP): every read goes to the ring, and still works.
        UringFile f = open(Paths.get("/proc/self/status"), StandardOpenOption.READ);
        ByteBuffer dst = ByteBuffer.allocateDirect(4096);
        long before = ringOps();
        for (int i = 0; i < 2; i++) {
            int n = f.read(dst.clear(), 0).block(T);
            assertThat(n).isPositive();
            assertThat(new String(bytes(dst.flip()), java.nio.charset.StandardCharsets.US_ASCII)).startsWith("Name:");
        }
        assertThat(ringOps()).isEqualTo(before + 2);
        f.close().block(T);
    }

    @Test
    void aReadCancelledBeforeItsRequestDeliversNothingAndHoldsNoFd() throws Exception {
        Path p = Files.write(dir.resolve("cancelled"), random(8192, 10));
        long fdsBefore = Fds.openOn(p);
        UringFile f = open(p, StandardOpenOption.READ);
        ByteBuffer dst = ByteBuffer.allocateDirect(4096);
        int[] signals = new int[1];
        f.read(dst, 0).subscribe(new BaseSubscriber<Integer>() {
            @Override
            protected void hookOnSubscribe(Subscription s) {
                cancel();
            }

            @Override
            protected void hookOnNext(Integer value) {
                signals[0]++;
            }

            @Override
            protected void hookOnComplete() {
                signals[0]++;
            }
        });
        assertThat(signals[0]).isZero();
        assertThat(dst.position()).as("the count was never delivered").isZero();
        // No reference is left behind: the close completes and the fd is gone.
        f.close().block(T);
        awaitReleased("the fd is closed", () -> Fds.openOn(p) == fdsBefore);
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static byte[] slice(byte[] data, int from, int n) {
        return java.util.Arrays.copyOfRange(data, from, from + n);
    }
}
