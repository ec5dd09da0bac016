package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static io.reactoruring.core.TestSupport.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.testing.CancelStorm;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;

/**
 * Issue 10 item 2: reads and writes through {@link Transfers#fully}, each cancelled at a random
 * moment ({@code take(1)}, {@code timeout(random ns)}, {@code dispose()} from another thread), never
 * leak a pooled buffer, never release one twice, and never let a buffer be reused while the kernel
 * may still write it (a write's bytes land only where that write was aimed).
 *
 * <p>The guarantee tested: every buffer is either handed to {@code onNext} once or released by the
 * library once. Reactor operators that receive a value while a cancel races on another thread drop
 * it to {@code Hooks.onNextDropped}; with a hook that releases PooledBuffers nothing is outstanding
 * afterwards; without one, exactly the buffers Reactor dropped after delivery are outstanding (each
 * seen leaving the library and never reaching the subscriber), and no other.
 *
 * <p>Sizes: 50,000 reads and 10,000 writes per run (100,000 and 20,000 over both runs); with the
 * file module's storm this keeps CI time modest. {@code -Dstorm.reads=... -Dstorm.writes=...} scale it.
 */
class CancelStormTest {
    private static final long FILE_SIZE = 1L << 30;
    private static final int READS = Integer.getInteger("storm.reads", 50_000);
    private static final int WRITES = Integer.getInteger("storm.writes", 10_000);
    private static final int SLOT = 512;
    private static final int CONCURRENCY = 32;

    @TempDir
    Path dir;

    @AfterEach
    void resetHooks() {
        Hooks.resetOnNextDropped();
    }

    @ParameterizedTest(name = "releasing hook installed: {0}")
    @ValueSource(booleans = {false, true})
    void randomlyCancelledReadsOfALargeSparseFileLeakNothing(boolean hooked) throws Exception {
        assumeUring();
        Path file = dir.resolve("sparse");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(FILE_SIZE);
        }
        long nativeBaseline = NativeMemory.allocatedBytes();
        long doubleReleases = PooledBuffer.doubleReleases();
        if (hooked) {
            Hooks.onNextDropped(PooledBuffer::releaseDropped);
        }
        UringLoop loop = UringLoop.create("storm-reads");
        Set<PooledBuffer> inFlightToSubscriber = ConcurrentHashMap.newKeySet();
        long[] received = new long[1];
        try (TestSupport.CPath path = new TestSupport.CPath(file)) {
            SharedFd fd = open(loop, path, 0);
            long poolBaseline = loop.bufferPool().outstanding();
            SplittableRandom seeds = new SplittableRandom(42);
            IntFunction<Mono<PooledBuffer>> read = i -> Mono.defer(() -> {
                SplittableRandom r = new SplittableRandom(i * 31L + 7);
                int len = 4096 << r.nextInt(6); // 4 KiB .. 128 KiB
                long off = r.nextLong(FILE_SIZE / 4096) * 4096;
                PooledBuffer buf = loop.bufferPool().acquire(len);
                return Transfers.<PooledBuffer>fully(loop, fd, false, buf.address(), len, off, buf, "sparse", n -> {
                    buf.buffer().clear().limit(n);
                    return buf;
                }, buf::release).doOnNext(inFlightToSubscriber::add); // left the library: now downstream's
            });
            CancelStorm.run(READS, CONCURRENCY, seeds, read, b -> {
                if (inFlightToSubscriber.remove(b)) {
                    received[0]++;
                }
                b.release();
            });
            assertThat(awaitOnLoop(loop, () -> loop.bufferPool().outstanding() - poolBaseline
                    == (hooked ? 0 : inFlightToSubscriber.size())))
                    .as("outstanding %d over baseline %d; dropped by Reactor after delivery: %d (hooked: %s)",
                            loop.bufferPool().outstanding(), poolBaseline, inFlightToSubscriber.size(), hooked)
                    .isTrue();
            assertThat(received[0]).as("the storm delivered reads at all").isPositive();
            if (!hooked) {
                inFlightToSubscriber.forEach(PooledBuffer::release); // lost to Reactor without a hook: clean up
            }
            assertThat(loop.bufferPool().outstanding()).isEqualTo(poolBaseline);
            fd.close().block(Duration.ofSeconds(10));
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(30));
        }
        assertThat(PooledBuffer.doubleReleases() - doubleReleases).as("double releases").isZero();
        assertThat(NativeMemory.allocatedBytes()).as("native bytes after the loop is gone").isEqualTo(nativeBaseline);
    }

    @ParameterizedTest(name = "releasing hook installed: {0}")
    @ValueSource(booleans = {false, true})
    void randomlyCancelledWritesLandOnlyWhereTheyWereAimed(boolean hooked) throws Exception {
        assumeUring();
        Path file = dir.resolve("patterns");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength((long) WRITES * SLOT);
        }
        long nativeBaseline = NativeMemory.allocatedBytes();
        long doubleReleases = PooledBuffer.doubleReleases();
        if (hooked) {
            Hooks.onNextDropped(PooledBuffer::releaseDropped);
        }
        UringLoop loop = UringLoop.create("storm-writes");
        AtomicLongArray acknowledged = new AtomicLongArray(WRITES);
        try (TestSupport.CPath path = new TestSupport.CPath(file)) {
            SharedFd fd = open(loop, path, 2); // O_RDWR
            long poolBaseline = loop.bufferPool().outstanding();
            IntFunction<Mono<Integer>> write = i -> Mono.defer(() -> {
                // Pooled memory, released the moment the write is done: reused by the next write at once.
                PooledBuffer buf = loop.bufferPool().acquire(SLOT);
                ByteBuffer b = buf.buffer();
                for (int k = 0; k < SLOT; k++) {
                    b.put(k, pattern(i, k));
                }
                return Transfers.<Integer>fully(loop, fd, true, buf.address(), SLOT, (long) i * SLOT, buf, "patterns",
                        n -> {
                            buf.release();
                            return i;
                        }, buf::release);
            });
            // A storm in which every write was acknowledged cancelled nothing in time and proved
            // nothing; on a loaded machine the timers can all fire late, so up to 5 storms (new seeds,
            // the same slots) until one cancelled some write. Only the last one's acks are checked.
            SplittableRandom seeds = new SplittableRandom(7);
            for (int storm = 0; storm < 5 && (storm == 0 || ackedCount(acknowledged) == WRITES); storm++) {
                for (int i = 0; i < WRITES; i++) {
                    acknowledged.set(i, 0);
                }
                CancelStorm.run(WRITES, CONCURRENCY, seeds.split(), write, i -> acknowledged.set(i, 1));
            }
            assertThat(awaitOnLoop(loop, () -> loop.bufferPool().outstanding() == poolBaseline))
                    .as("write buffers back: %d over %d", loop.bufferPool().outstanding(), poolBaseline).isTrue();
            fd.close().block(Duration.ofSeconds(10));
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(30));
        }
        ByteBuffer content = ByteBuffer.allocate(WRITES * SLOT);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (content.hasRemaining() && ch.read(content) > 0) {
                // read it all
            }
        }
        int acked = 0;
        for (int i = 0; i < WRITES; i++) {
            boolean ack = acknowledged.get(i) != 0;
            acked += ack ? 1 : 0;
            for (int k = 0; k < SLOT; k++) {
                byte got = content.get(i * SLOT + k);
                if (ack) {
                    assertThat(got).as("slot %d byte %d of an acknowledged write", i, k).isEqualTo(pattern(i, k));
                } else if (got != 0 && got != pattern(i, k)) {
                    throw new AssertionError("slot " + i + " byte " + k + " holds a foreign byte " + got
                            + ": another write's buffer landed here");
                }
            }
        }
        assertThat(acked).as("acknowledged writes of the last storm (of up to 5)").isPositive().isLessThan(WRITES);
        assertThat(PooledBuffer.doubleReleases() - doubleReleases).as("double releases").isZero();
        assertThat(NativeMemory.allocatedBytes()).as("native bytes after the loop is gone").isEqualTo(nativeBaseline);
    }

    private static int ackedCount(AtomicLongArray acknowledged) {
        int n = 0;
        for (int i = 0; i < acknowledged.length(); i++) {
            n += acknowledged.get(i) != 0 ? 1 : 0;
        }
        return n;
    }

    /** Distinct per slot and per byte, never 0. */
    private static byte pattern(int slot, int k) {
        int v = (slot * 131 + k * 7 + 1) % 255;
        return (byte) (v + 1);
    }

    private static SharedFd open(UringLoop loop, TestSupport.CPath path, int flags) {
        int fd = loop.submit(TestSupport.openat(path, flags, 0)).block(Duration.ofSeconds(10));
        return CoreAccess.adoptFd(fd, loop, "storm file");
    }
}
