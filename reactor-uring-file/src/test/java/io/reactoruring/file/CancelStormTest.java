package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.CancelStorm;
import io.reactoruring.core.testing.Poll;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;

/**
 * Issue 10 item 2 through the file API: {@link UringFile#readChunks} streams of a large sparse file
 * and {@link UringFile#writeAll} writes of distinct patterns at distinct offsets, each cancelled at
 * random ({@code take(1)}, {@code timeout(random ns)}, {@code dispose()} from another thread).
 * Nothing leaks, nothing is released twice, no write lands anywhere but its own slot. With a
 * {@code Hooks.onNextDropped} that releases PooledBuffers nothing is outstanding; without one,
 * exactly the buffers Reactor dropped after the library delivered them are (see {@link PooledBuffer}).
 */
class CancelStormTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static final long FILE_SIZE = 1L << 30;
    private static final int READS = Integer.getInteger("storm.reads", 20_000);
    private static final int WRITES = Integer.getInteger("storm.writes", 5_000);
    private static final int DIRECT_READS = Integer.getInteger("storm.directReads", 5_000);
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
    void randomlyCancelledChunkStreamsLeakNothing(boolean hooked) throws Exception {
        assumeTrue(Uring.isAvailable(), () -> "io_uring unavailable: " + Uring.unavailabilityCause());
        Path path = dir.resolve("sparse");
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.setLength(FILE_SIZE);
        }
        Accounts accounts = Accounts.open(hooked);
        UringLoop loop = UringLoop.create("file-storm-reads");
        Set<PooledBuffer> leftTheLibrary = ConcurrentHashMap.newKeySet();
        AtomicLong received = new AtomicLong();
        try {
            UringFile file = UringFiles.open(loop, path, Set.of(StandardOpenOption.READ)).block(T);
            long poolBaseline = loop.bufferPool().outstanding();
            IntFunction<Publisher<PooledBuffer>> read = i -> {
                SplittableRandom r = new SplittableRandom(i * 31L + 7);
                int chunk = 4096 << r.nextInt(5); // 4 KiB .. 64 KiB
                long off = r.nextLong(FILE_SIZE / 4096) * 4096;
                return file.readChunks(off, (long) chunk * (1 + r.nextInt(4)), chunk, 1 + r.nextInt(4))
                        .doOnNext(leftTheLibrary::add);
            };
            CancelStorm.run(READS, CONCURRENCY, new SplittableRandom(42), read, b -> {
                if (leftTheLibrary.remove(b)) {
                    received.incrementAndGet();
                }
                b.release();
            });
            assertThat(received.get()).isPositive();
            assertPoolBalances(loop, poolBaseline, leftTheLibrary, hooked);
            file.close().block(T);
        } finally {
            loop.disposeGracefully().block(T);
        }
        accounts.assertBalanced();
    }

    @ParameterizedTest(name = "releasing hook installed: {0}")
    @ValueSource(booleans = {false, true})
    void randomlyCancelledWritesLandOnlyWhereTheyWereAimed(boolean hooked) throws Exception {
        assumeTrue(Uring.isAvailable(), () -> "io_uring unavailable: " + Uring.unavailabilityCause());
        Path path = dir.resolve("patterns");
        try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
            raf.setLength((long) WRITES * SLOT);
        }
        Accounts accounts = Accounts.open(hooked);
        UringLoop loop = UringLoop.create("file-storm-writes");
        AtomicLongArray acknowledged = new AtomicLongArray(WRITES);
        try {
            UringFile file = UringFiles.open(loop, path, Set.of(StandardOpenOption.WRITE)).block(T);
            long poolBaseline = loop.bufferPool().outstanding();
            IntFunction<Publisher<Integer>> write = i -> {
                byte[] bytes = new byte[SLOT];
                for (int k = 0; k < SLOT; k++) {
                    bytes[k] = pattern(i, k);
                }
                // A heap buffer: writeAll copies it into pooled memory that the next write reuses at once.
                return file.writeAll(Mono.just(ByteBuffer.wrap(bytes)), (long) i * SLOT, 1).map(n -> i);
            };
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
            assertThat(Poll.untilOnLoop(loop, () -> loop.bufferPool().outstanding() == poolBaseline))
                    .as("write buffers back: %d over %d", loop.bufferPool().outstanding(), poolBaseline).isTrue();
            file.close().block(T);
        } finally {
            loop.disposeGracefully().block(T);
        }
        ByteBuffer content = ByteBuffer.allocate(WRITES * SLOT);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
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
                if (ack ? got != pattern(i, k) : got != 0 && got != pattern(i, k)) {
                    throw new AssertionError("slot " + i + " byte " + k + " holds " + got + ", expected "
                            + pattern(i, k) + (ack ? "" : " or 0") + ": a write landed where it was not aimed");
                }
            }
        }
        assertThat(acked).as("acknowledged writes of the last storm (of up to 5)").isPositive().isLessThan(WRITES);
        accounts.assertBalanced();
    }

    /**
     * The same storm over O_DIRECT {@code readChunks} of a file whose every 8-byte word holds its own
     * offset, so each delivered chunk proves it holds its own bytes: the device writes into pooled memory
     * by DMA while cancels release other reads' buffers for reuse. These reads also go to the kernel
     * through early submission (mid-burst enters), which the test requires to have happened.
     */
    @ParameterizedTest(name = "releasing hook installed: {0}")
    @ValueSource(booleans = {false, true})
    void randomlyCancelledDirectReadsOfDiskDataLeakNothingAndReadTheirOwnBytes(boolean hooked) throws Exception {
        assumeTrue(Uring.isAvailable(), () -> "io_uring unavailable: " + Uring.unavailabilityCause());
        Path path = dir.resolve("offsets");
        int size = 64 << 20;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer block = ByteBuffer.allocateDirect(1 << 20).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (long base = 0; base < size; base += block.capacity()) {
                block.clear();
                for (int k = 0; k < block.capacity(); k += 8) {
                    block.putLong(k, base + k);
                }
                while (block.hasRemaining()) {
                    ch.write(block, base + block.position());
                }
            }
            ch.force(true); // on the device: the O_DIRECT reads below cannot be served from the page cache
        }
        Accounts accounts = Accounts.open(hooked);
        UringLoop loop = UringLoop.create("file-storm-direct");
        Set<PooledBuffer> leftTheLibrary = ConcurrentHashMap.newKeySet();
        AtomicLong checked = new AtomicLong();
        java.util.Queue<String> wrong = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try {
            UringFile file = UringFiles.open(loop, path, Set.of(StandardOpenOption.READ, UringOpenOption.DIRECT)).block(T);
            long poolBaseline = loop.bufferPool().outstanding();
            io.reactoruring.core.UringMetrics before = FixedBuffersTest.metrics(loop);
            IntFunction<Publisher<PooledBuffer>> read = i -> {
                SplittableRandom r = new SplittableRandom(i * 17L + 3);
                int chunk = 4096 << r.nextInt(5); // 4 KiB .. 64 KiB
                int chunks = 1 + r.nextInt(4);
                long off = r.nextLong((size - (long) chunk * chunks) / 4096 + 1) * 4096;
                return file.readChunks(off, (long) chunk * chunks, chunk, 1 + r.nextInt(4)).index()
                        .map(t -> {
                            PooledBuffer b = t.getT2();
                            long at = off + t.getT1() * chunk;
                            ByteBuffer bytes = b.buffer().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
                            if (bytes.remaining() != chunk) {
                                wrong.add(chunk + "-byte chunk at " + at + " has " + bytes.remaining() + " bytes");
                            }
                            for (int k = 0; k + 8 <= bytes.remaining(); k += 512) {
                                long word = bytes.getLong(bytes.position() + k);
                                if (word != at + k) {
                                    wrong.add("chunk at " + at + ", byte " + k + ": holds the word of offset " + word);
                                    break;
                                }
                            }
                            checked.incrementAndGet();
                            return b;
                        })
                        .doOnNext(leftTheLibrary::add);
            };
            CancelStorm.run(DIRECT_READS, CONCURRENCY, new SplittableRandom(99), read, b -> {
                leftTheLibrary.remove(b);
                b.release();
            });
            assertThat(wrong).as("chunks holding other bytes than their own").isEmpty();
            assertThat(checked.get()).as("chunks checked").isPositive();
            io.reactoruring.core.UringMetrics after = FixedBuffersTest.metrics(loop);
            assertThat((after.enterCalls() - before.enterCalls()) - (after.iterations() - before.iterations())
                    - (after.sqFullWaits() - before.sqFullWaits()))
                    .as("enters beyond one per iteration: early submission of reads started mid-burst").isPositive();
            assertPoolBalances(loop, poolBaseline, leftTheLibrary, hooked);
            file.close().block(T);
        } finally {
            loop.disposeGracefully().block(T);
        }
        accounts.assertBalanced();
    }

    /**
     * With the releasing hook nothing is outstanding; without it, exactly the buffers Reactor dropped after
     * the library delivered them ({@code leftTheLibrary}), which this then releases.
     */
    private static void assertPoolBalances(UringLoop loop, long poolBaseline, Set<PooledBuffer> leftTheLibrary,
            boolean hooked) {
        assertThat(Poll.untilOnLoop(loop, () -> loop.bufferPool().outstanding() - poolBaseline
                == (hooked ? 0 : leftTheLibrary.size())))
                .as("outstanding %d over baseline %d; dropped by Reactor after delivery: %d (hooked: %s)",
                        loop.bufferPool().outstanding(), poolBaseline, leftTheLibrary.size(), hooked)
                .isTrue();
        if (!hooked) {
            leftTheLibrary.forEach(PooledBuffer::release); // lost to Reactor without a hook: clean up
        }
        assertThat(loop.bufferPool().outstanding()).isEqualTo(poolBaseline);
    }

    /** What a storm must give back, taken before it: native bytes in use and the double-release count. */
    private record Accounts(long nativeBytes, long doubleReleases) {
        /** Takes the accounts, then installs the releasing hook if {@code hooked} ({@link #resetHooks} removes it). */
        static Accounts open(boolean hooked) {
            Accounts accounts = new Accounts(nativeInUse(), PooledBuffer.doubleReleases());
            if (hooked) {
                Hooks.onNextDropped(PooledBuffer::releaseDropped);
            }
            return accounts;
        }

        /** After the loop is gone: no buffer was released twice and every native byte came back. */
        void assertBalanced() {
            assertThat(PooledBuffer.doubleReleases() - doubleReleases).as("double releases").isZero();
            assertThat(nativeInUse()).as("native bytes after the loop is gone").isEqualTo(nativeBytes);
        }
    }

    /**
     * The process's native memory minus the NIO fallback's idle cache: that pool, warmed by other tests
     * of this JVM, trims itself on a timer, and a trim during a storm is not a leak's opposite.
     */
    private static long nativeInUse() {
        return NativeMemory.allocatedBytes() - NioPathOps.POOL.cachedBytes();
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
        return (byte) ((slot * 131 + k * 7 + 1) % 255 + 1);
    }

}
