package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.Fds;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;

/**
 * Files opened with the defaults (direct descriptors, no process fd) read page-cached data off the
 * loop thread through a shadow process fd ({@link UringFile#read}): installed on the first such read,
 * closed with the file, never for O_DIRECT. Counted by the loop's submissions and by the fds open on
 * the test's file.
 */
class UringShadowFdTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final int PAGE = 4096;
    private static UringLoop loop;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("file-shadow-fd-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    @Test
    void aDefaultFileReadOffTheLoopSkipsTheRingOnceItsShadowIsInstalled() throws Exception {
        byte[] data = random(64 * 1024, 21);
        Path p = Files.write(dir.resolve("cached"), data); // just written: in the page cache
        UringFile f = open(loop, p, StandardOpenOption.READ);
        assertThat(f.isDirectDescriptor()).isTrue();
        ByteBuffer dst = ByteBuffer.allocateDirect(PAGE);
        readUntilInline(loop, f, data, dst);
        long before = ringOps(loop);
        long inlineBefore = loop.metrics().inlineReads(); // counted by the reading threads: current from any thread
        for (int i = 0; i < 200; i++) {
            int position = (i * 1000) % (data.length - PAGE);
            assertThat(f.read(dst.clear(), position).block(T)).isEqualTo(PAGE);
            assertThat(bytes(dst.flip())).as("read %d at %d", i, position).isEqualTo(slice(data, position, PAGE));
        }
        // The end of the file, short then EOF, also inline.
        assertThat(f.read(dst.clear(), data.length - 100).block(T)).isEqualTo(100);
        assertThat(bytes(dst.flip())).isEqualTo(slice(data, data.length - 100, 100));
        assertThat(f.read(dst.clear(), data.length).block(T)).isEqualTo(-1);
        assertThat(ringOps(loop)).as("submissions for 202 cached reads").isEqualTo(before);
        assertThat(loop.metrics().inlineReads()).as("UringMetrics.inlineReads").isEqualTo(inlineBefore + 202);

        // On the loop thread a read is still a ring op, on the slot.
        assertThat(f.read(dst.clear(), 0).subscribeOn(loop).block(T)).isEqualTo(PAGE);
        assertThat(bytes(dst.flip())).isEqualTo(slice(data, 0, PAGE));
        assertThat(ringOps(loop)).isEqualTo(before + 1);
        f.close().block(T);
    }

    @Test
    void theShadowIsOneProcessFdClosedWithTheFile() throws Exception {
        byte[] data = random(16 * 1024, 22);
        Path p = Files.write(dir.resolve("counted"), data);
        long beforeOpen = Fds.openOn(p);
        UringFile f = open(loop, p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        assertThat(Fds.openOn(p)).as("a direct descriptor has no process fd").isEqualTo(beforeOpen);
        ByteBuffer dst = ByteBuffer.allocateDirect(PAGE);
        readUntilInline(loop, f, data, dst);
        assertThat(Fds.openOn(p)).as("the shadow").isEqualTo(beforeOpen + 1);
        // More reads and a write through the slot do not add any.
        for (int i = 0; i < 10; i++) {
            assertThat(f.read(dst.clear(), i * 100L).block(T)).isEqualTo(PAGE);
        }
        ByteBuffer src = ByteBuffer.allocateDirect(3).put(new byte[] {1, 2, 3}).flip();
        assertThat(f.write(src, 0).block(T)).isEqualTo(3);
        // The shadow reads the same open file: it sees the write at once.
        assertThat(f.read(dst.clear().limit(3), 0).block(T)).isEqualTo(3);
        assertThat(bytes(dst.flip())).containsExactly(1, 2, 3);
        assertThat(Fds.openOn(p)).isEqualTo(beforeOpen + 1);
        f.close().block(T);
        // close(2) of the shadow runs before the slot's IORING_OP_CLOSE, whose completion ends close().
        assertThat(Fds.openOn(p)).as("the shadow is closed with the file").isEqualTo(beforeOpen);
        assertThat(failure(() -> f.read(dst.clear(), 0).block(T))).isInstanceOf(ClosedChannelException.class);
        assertThat(Fds.openOn(p)).isEqualTo(beforeOpen);
    }

    @Test
    void aFileClosedWhileItsShadowIsBeingInstalledLeaksNoFd() throws Exception {
        byte[] data = random(8192, 23);
        Path p = Files.write(dir.resolve("closed-early"), data);
        long beforeOpen = Fds.openOn(p);
        ByteBuffer dst = ByteBuffer.allocateDirect(PAGE);
        for (int round = 0; round < 50; round++) {
            UringFile f = open(loop, p, StandardOpenOption.READ);
            // The first read asks for the shadow and takes the ring; the close races with the install.
            assertThat(f.read(dst.clear(), 0).block(T)).isEqualTo(PAGE);
            f.close().block(T);
            // The install holds the descriptor: the close completes only after its CQE, whose fd is
            // closed on the spot by whichever side (the install's result, the close) comes second.
            assertThat(Fds.openOn(p)).as("round %d", round).isEqualTo(beforeOpen);
        }
    }

    @Test
    void inlineReadsRacingTheCloseReturnTheFileOrClosedChannel() throws Exception {
        byte[] data = random(64 * 1024, 24);
        Path p = Files.write(dir.resolve("raced"), data);
        // Another file opened and closed all along takes the lowest free fd number: a shadow closed
        // under a read would be that file within microseconds, and the read would return its bytes.
        Path other = Files.write(dir.resolve("other"), random(64 * 1024, 27));
        long beforeOpen = Fds.openOn(p);
        int threads = 3;
        for (int round = 0; round < 20; round++) {
            UringFile f = open(loop, p, StandardOpenOption.READ);
            readUntilInline(loop, f, data, ByteBuffer.allocateDirect(PAGE));
            CountDownLatch reading = new CountDownLatch(threads);
            ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
            AtomicLong closedErrors = new AtomicLong();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = round * 31L + t;
                Thread reader = new Thread(() -> readUntilClosed(f, data, seed, reading, wrong, closedErrors),
                        "shadow-reader-" + t);
                readers.add(reader);
                reader.start();
            }
            AtomicBoolean stop = new AtomicBoolean();
            Thread churn = new Thread(() -> churn(other, stop, wrong), "shadow-fd-churn");
            churn.start();
            assertThat(reading.await(T.toMillis(), TimeUnit.MILLISECONDS)).as("every reader read").isTrue();
            f.close().block(T);
            for (Thread reader : readers) {
                reader.join(T.toMillis());
                assertThat(reader.isAlive()).as("%s stopped", reader.getName()).isFalse();
            }
            stop.set(true);
            churn.join(T.toMillis());
            assertThat(churn.isAlive()).isFalse();
            assertThat(wrong).as("round %d", round).isEmpty();
            assertThat(closedErrors.get()).as("every reader ended on ClosedChannelException").isEqualTo(threads);
            // The last reader out closes a shadow the close found in use: all of them have returned.
            assertThat(Fds.openOn(p)).as("round %d", round).isEqualTo(beforeOpen);
        }
    }

    @Test
    void aLoopThatTerminatesWithTheFileOpenClosesItsShadow() throws Exception {
        byte[] data = random(8192, 25);
        Path p = Files.write(dir.resolve("outlived"), data);
        long beforeOpen = Fds.openOn(p);
        UringLoop own = UringLoop.create("file-shadow-fd-dispose");
        UringFile f;
        try {
            f = open(own, p, StandardOpenOption.READ);
            readUntilInline(own, f, data, ByteBuffer.allocateDirect(PAGE));
            assertThat(Fds.openOn(p)).isEqualTo(beforeOpen + 1);
        } finally {
            own.disposeGracefully().block(T);
        }
        assertThat(Fds.openOn(p)).as("closed when the loop terminated").isEqualTo(beforeOpen);
        ByteBuffer dst = ByteBuffer.allocateDirect(PAGE);
        // No read through the closed shadow, nor a new one: the loop is gone, so the read fails.
        failure(() -> f.read(dst, 0).block(T));
        assertThat(Fds.openOn(p)).as("no new shadow after the loop's end").isEqualTo(beforeOpen);
        f.close().block(T); // the owner's close after the loop's: nothing left to close
        assertThat(Fds.openOn(p)).isEqualTo(beforeOpen);
    }

    @Test
    void oDirectFilesNeverGetAShadow() throws Exception {
        byte[] data = random(64 * 1024, 26);
        Path p = Files.write(dir.resolve("o-direct"), data);
        long beforeOpen = Fds.openOn(p);
        UringFile f = open(loop, p, StandardOpenOption.READ, UringOpenOption.DIRECT);
        assertThat(f.isDirectDescriptor()).isTrue();
        PooledBuffer aligned = loop.bufferPool().acquire(PAGE);
        try {
            for (int i = 0; i < 20; i++) {
                long before = ringOps(loop);
                int position = (i % 16) * PAGE;
                assertThat(f.read(aligned.buffer().clear().limit(PAGE), position).block(T)).isEqualTo(PAGE);
                assertThat(bytes(aligned.buffer().flip())).isEqualTo(slice(data, position, PAGE));
                assertThat(ringOps(loop)).as("read %d: the read alone, no install", i).isEqualTo(before + 1);
            }
            assertThat(Fds.openOn(p)).as("no shadow").isEqualTo(beforeOpen);
        } finally {
            aligned.release();
            f.close().block(T);
        }
        assertThat(Fds.openOn(p)).isEqualTo(beforeOpen);
    }

    /**
     * Reads from this thread until one adds no submission to the loop (the shadow is installed; the
     * first read asked for it and took the ring), at most 10,000 times, checking every read's bytes.
     */
    static void readUntilInline(UringLoop loop, UringFile f, byte[] data, ByteBuffer dst) {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            int position = (attempt * 512) % (data.length - dst.capacity());
            long before = ringOps(loop);
            assertThat(f.read(dst.clear(), position).block(T)).isEqualTo(dst.capacity());
            assertThat(bytes(dst.flip())).isEqualTo(slice(data, position, dst.capacity()));
            if (ringOps(loop) == before) {
                return;
            }
        }
        throw new AssertionError("10,000 reads of " + f + " all took the ring: no shadow fd was installed");
    }

    /** Reads at random positions, checking each, until the file is closed (the first ClosedChannelException). */
    private static void readUntilClosed(UringFile f, byte[] data, long seed, CountDownLatch reading,
            ConcurrentLinkedQueue<String> wrong, AtomicLong closedErrors) {
        Random random = new Random(seed);
        ByteBuffer dst = ByteBuffer.allocateDirect(PAGE);
        for (int i = 0; i < 1_000_000; i++) {
            int position = random.nextInt(data.length - PAGE);
            Integer n;
            try {
                n = f.read(dst.clear(), position).block(T);
            } catch (RuntimeException e) {
                Throwable cause = Exceptions.unwrap(e);
                if (cause instanceof ClosedChannelException && f.isClosing()) {
                    closedErrors.incrementAndGet();
                } else {
                    wrong.add("read at " + position + " failed: " + cause);
                }
                reading.countDown(); // also when it failed before reading anything
                return;
            }
            if (n == null || n != PAGE) {
                wrong.add("read at " + position + " returned " + n);
            } else if (!Arrays.equals(bytes(dst.flip()), slice(data, position, PAGE))) {
                wrong.add("read at " + position + " returned other bytes");
            }
            if (i == 20) {
                reading.countDown();
            }
        }
        wrong.add("still reading after 1,000,000 reads: the close never showed");
        reading.countDown();
    }

    /** Opens and closes {@code file} until {@code stop} (at most 10,000,000 times). */
    private static void churn(Path file, AtomicBoolean stop, ConcurrentLinkedQueue<String> wrong) {
        ByteBuffer b = ByteBuffer.allocate(16);
        try {
            for (int i = 0; i < 10_000_000 && !stop.get(); i++) {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    ch.read(b.clear(), 0);
                }
            }
        } catch (IOException e) {
            wrong.add("churn: " + e);
        }
    }

    /** Ops the loop has submitted to its ring so far, read on the loop thread (current, not as of an iteration's end). */
    private static long ringOps(UringLoop loop) {
        UringMetrics m = Mono.fromCallable(loop::metrics).subscribeOn(loop).block(T);
        return m.submitted();
    }

    private static UringFile open(UringLoop loop, Path p, OpenOption... options) {
        return UringFiles.open(loop, p, Set.of(options)).block(T);
    }

    /** What {@code r} threw, unwrapped from Reactor's {@code block()} wrapper; fails if it threw nothing. */
    private static Throwable failure(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            return Exceptions.unwrap(e);
        }
        throw new AssertionError("expected a failure");
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static byte[] slice(byte[] data, int from, int n) {
        return Arrays.copyOfRange(data, from, from + n);
    }
}
