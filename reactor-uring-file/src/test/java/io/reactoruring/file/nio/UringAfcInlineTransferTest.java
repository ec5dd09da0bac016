package io.reactoruring.file.nio;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.testing.Fds;
import io.reactoruring.file.FileAdvice;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;

/**
 * Reads and writes started by a completion handler on one of the executor's threads run inline on
 * that thread and invoke the next handler directly, at most {@link UringAsynchronousFileChannel#MAX_INLINE_DEPTH}
 * deep (issue 12): the data, the order, the threads, the bound, and close while a chain runs.
 */
class UringAfcInlineTransferTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static final int OPS = 10_000;
    private static final int CHUNK = 512;
    private static UringLoop loop;

    @TempDir
    Path dir;
    private final Set<Thread> poolThreads = ConcurrentHashMap.newKeySet();
    private ExecutorService pool;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("afc-inline-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    @BeforeEach
    void newPool() {
        AtomicInteger n = new AtomicInteger();
        pool = Executors.newFixedThreadPool(3, r -> {
            Thread t = new Thread(r, "inline-test-pool-" + n.incrementAndGet());
            poolThreads.add(t);
            return t;
        });
    }

    @AfterEach
    void stopPool() throws InterruptedException {
        pool.shutdownNow();
        assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + i / 4093);
        }
        return b;
    }

    private static int stackDepth() {
        return StackWalker.getInstance().walk(s -> (int) s.count());
    }

    /** What every handler of a chain saw. */
    private static final class Probe {
        final AtomicInteger maxDepth = new AtomicInteger();
        final AtomicInteger maxFrames = new AtomicInteger();
        final AtomicInteger framesAtDepth0 = new AtomicInteger(-1);
        final AtomicInteger framesAtDepth1 = new AtomicInteger(-1);
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();

        void record() {
            int depth = UringAsynchronousFileChannel.inlineDepth();
            int frames = stackDepth();
            threads.add(Thread.currentThread());
            maxDepth.accumulateAndGet(depth, Math::max);
            maxFrames.accumulateAndGet(frames, Math::max);
            if (depth == 0) {
                framesAtDepth0.compareAndSet(-1, frames);
            } else if (depth == 1) {
                framesAtDepth1.compareAndSet(-1, frames);
            }
        }

        /** The depth counter stays within the bound and the stack grows by one level per nesting, no more. */
        void assertBounded() {
            assertThat(maxDepth.get()).as("deepest direct invocation")
                    .isEqualTo(UringAsynchronousFileChannel.MAX_INLINE_DEPTH);
            int base = framesAtDepth0.get();
            int perLevel = framesAtDepth1.get() - base;
            assertThat(base).isPositive();
            assertThat(perLevel).isPositive();
            assertThat(maxFrames.get()).as("deepest stack of a handler")
                    .isLessThanOrEqualTo(base + UringAsynchronousFileChannel.MAX_INLINE_DEPTH * perLevel);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aChainOfTenThousandReadsFromPoolThreadsReadsInOrderWithBoundedNesting(boolean direct) throws Exception {
        byte[] data = pattern(OPS * CHUNK);
        Path p = dir.resolve("data");
        Files.write(p, data);
        long fds = Fds.openUnder(dir);
        long outstanding = loop.bufferPool().outstanding();
        Probe probe = new Probe();
        List<Long> positions = new ArrayList<>();
        CompletableFuture<Integer> done = new CompletableFuture<>();
        try (UringAsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.READ), pool)) {
            ByteBuffer buf = direct ? ByteBuffer.allocateDirect(CHUNK) : ByteBuffer.allocate(CHUNK);
            ch.read(buf, 0, 0L, new CompletionHandler<Integer, Long>() {
                @Override
                public void completed(Integer n, Long pos) {
                    probe.record();
                    positions.add(pos);
                    byte[] got = new byte[CHUNK];
                    buf.flip().get(got);
                    int i = positions.size() - 1;
                    if (n != CHUNK || !Arrays.equals(got, Arrays.copyOfRange(data, i * CHUNK, (i + 1) * CHUNK))) {
                        done.completeExceptionally(new AssertionError("read " + i + " at " + pos + ": " + n));
                        return;
                    }
                    if (positions.size() == OPS) {
                        done.complete(positions.size());
                        return;
                    }
                    buf.clear();
                    ch.read(buf, pos + CHUNK, pos + CHUNK, this);
                }

                @Override
                public void failed(Throwable e, Long pos) {
                    done.completeExceptionally(e);
                }
            });
            assertThat(done.get(60, TimeUnit.SECONDS)).isEqualTo(OPS);
            assertThat(ch.inlineTransfers()).as("reads that ran inline").isPositive().isLessThan(OPS);
        }
        for (int i = 0; i < OPS; i++) {
            assertThat(positions.get(i)).isEqualTo((long) i * CHUNK);
        }
        assertThat(poolThreads).containsAll(probe.threads);
        probe.assertBounded();
        UringAsynchronousFileChannelTest.awaitOnLoop(loop, "pooled copies returned",
                () -> loop.bufferPool().outstanding() == outstanding);
        assertThat(Fds.openUnder(dir)).isEqualTo(fds);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aChainOfWritesFromPoolThreadsWritesEveryByteWithBoundedNesting(boolean direct) throws Exception {
        byte[] data = pattern(OPS * CHUNK);
        Path p = dir.resolve("out");
        long fds = Fds.openUnder(dir);
        Probe probe = new Probe();
        AtomicInteger count = new AtomicInteger();
        CompletableFuture<Integer> done = new CompletableFuture<>();
        try (UringAsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), pool)) {
            ByteBuffer buf = direct ? ByteBuffer.allocateDirect(CHUNK) : ByteBuffer.allocate(CHUNK);
            buf.put(data, 0, CHUNK).flip();
            ch.write(buf, 0, 0L, new CompletionHandler<Integer, Long>() {
                @Override
                public void completed(Integer n, Long pos) {
                    probe.record();
                    if (n != CHUNK || buf.hasRemaining()) {
                        done.completeExceptionally(new AssertionError("write at " + pos + ": " + n));
                        return;
                    }
                    int i = count.incrementAndGet();
                    if (i == OPS) {
                        done.complete(i);
                        return;
                    }
                    buf.clear().put(data, i * CHUNK, CHUNK).flip();
                    ch.write(buf, pos + CHUNK, pos + CHUNK, this);
                }

                @Override
                public void failed(Throwable e, Long pos) {
                    done.completeExceptionally(e);
                }
            });
            assertThat(done.get(60, TimeUnit.SECONDS)).isEqualTo(OPS);
            assertThat(ch.inlineTransfers()).as("writes that ran inline").isPositive().isLessThan(OPS);
        }
        assertThat(Files.readAllBytes(p)).isEqualTo(data);
        assertThat(poolThreads).containsAll(probe.threads);
        probe.assertBounded();
        assertThat(Fds.openUnder(dir)).isEqualTo(fds);
    }

    @Test
    void opsStartedOutsideThisExecutorsHandlersDoNotRunTheirHandlerInline() throws Exception {
        Path p = dir.resolve("small");
        Files.write(p, pattern(4096));
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (UringAsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.READ), pool);
                UringAsynchronousFileChannel viaOther = UringAsynchronousFileChannel.open(loop, p,
                        Set.of(StandardOpenOption.READ), other)) {
            // From the test thread (not a handler thread): not inline with its handler (the read itself
            // is done at once by UringFile.read's page-cached path; the handler goes through the executor).
            CompletableFuture<Integer> first = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(100), 0, null, handler(first));
            assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo(100);
            // From a handler of another executor: not inline either; the handler still runs on this channel's pool.
            CompletableFuture<Integer> second = new CompletableFuture<>();
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            viaOther.read(ByteBuffer.allocate(100), 0, null, new CompletionHandler<Integer, Object>() {
                @Override
                public void completed(Integer n, Object a) {
                    ch.read(ByteBuffer.allocate(50), 0, null, new CompletionHandler<Integer, Object>() {
                        @Override
                        public void completed(Integer m, Object b) {
                            ranOn.set(Thread.currentThread());
                            second.complete(m);
                        }

                        @Override
                        public void failed(Throwable e, Object b) {
                            second.completeExceptionally(e);
                        }
                    });
                }

                @Override
                public void failed(Throwable e, Object a) {
                    second.completeExceptionally(e);
                }
            });
            assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(50);
            assertThat(poolThreads).contains(ranOn.get());
            assertThat(ch.inlineTransfers()).isZero();
            // From a handler of this channel's own executor: inline.
            CompletableFuture<Integer> third = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Object>() {
                @Override
                public void completed(Integer n, Object a) {
                    ch.read(ByteBuffer.allocate(20), 0, null, handler(third));
                }

                @Override
                public void failed(Throwable e, Object a) {
                    third.completeExceptionally(e);
                }
            });
            assertThat(third.get(10, TimeUnit.SECONDS)).isEqualTo(20);
            assertThat(ch.inlineTransfers()).isEqualTo(1);
        } finally {
            other.shutdownNow();
        }
    }

    /** Ops the loop has submitted to its ring so far, read on the loop thread (current, not as of an iteration's end). */
    private static long ringOps() {
        return Mono.fromCallable(() -> loop.metrics().submitted()).subscribeOn(loop).block(T);
    }

    /**
     * Issue 13: a Future read started on any other thread reads page-cached data at once on that
     * thread (UringFile.read's RWF_NOWAIT path): the Future is done when read() returns, and the
     * ring saw nothing. Direct and heap buffers.
     */
    @Test
    void aFutureReadOfCachedDataFromAnotherThreadIsDoneOnReturnWithoutTheRing() throws Exception {
        Path p = dir.resolve("future");
        byte[] data = pattern(8192);
        Files.write(p, data);
        try (UringAsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.READ), pool)) {
            long before = ringOps();
            ByteBuffer direct = ByteBuffer.allocateDirect(4096);
            java.util.concurrent.Future<Integer> f = ch.read(direct, 4096);
            assertThat(f.isDone()).isTrue();
            assertThat(f.get()).isEqualTo(4096);
            byte[] got = new byte[4096];
            direct.flip().get(got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(data, 4096, 8192));
            ByteBuffer heap = ByteBuffer.allocate(100);
            java.util.concurrent.Future<Integer> g = ch.read(heap, 10);
            assertThat(g.isDone()).isTrue();
            assertThat(g.get()).isEqualTo(100);
            assertThat(Arrays.copyOf(heap.array(), 100)).isEqualTo(Arrays.copyOfRange(data, 10, 110));
            assertThat(ch.read(ByteBuffer.allocateDirect(10), data.length).get()).isEqualTo(-1);
            assertThat(ringOps()).isEqualTo(before);
        }
    }

    @Test
    void withAnExecutorThatRunsTasksOnTheLoopThreadChainedOpsStillTakeTheRing() throws Exception {
        Path p = dir.resolve("direct-executor");
        Files.write(p, pattern(4096));
        ExecutorService callerRuns = new java.util.concurrent.AbstractExecutorService() {
            @Override
            public void execute(Runnable command) {
                command.run();
            }

            @Override
            public void shutdown() {
            }

            @Override
            public List<Runnable> shutdownNow() {
                return List.of();
            }

            @Override
            public boolean isShutdown() {
                return false;
            }

            @Override
            public boolean isTerminated() {
                return false;
            }

            @Override
            public boolean awaitTermination(long timeout, TimeUnit unit) {
                return true;
            }
        };
        CompletableFuture<Integer> second = new CompletableFuture<>();
        AtomicReference<Boolean> firstOnLoop = new AtomicReference<>();
        try (UringAsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.READ), callerRuns)) {
            // Started on the loop thread, the first op completes there, so its handler runs there.
            Mono.fromRunnable(() -> ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Object>() {
                @Override
                public void completed(Integer n, Object a) {
                    firstOnLoop.set(UringAsynchronousFileChannel.onLoopThread());
                    ch.read(ByteBuffer.allocate(30), 0, null, handler(second));
                }

                @Override
                public void failed(Throwable e, Object a) {
                    second.completeExceptionally(e);
                }
            })).subscribeOn(loop).block(T);
            assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(30);
            assertThat(firstOnLoop.get()).as("the handler ran on the loop thread").isTrue();
            assertThat(ch.inlineTransfers()).isZero();
        }
    }

    @Test
    void aReadOfDataNotInThePageCacheTakesTheRingAndStillDeliversOnThePool() throws Exception {
        byte[] data = pattern(16 << 20);
        Path p = dir.resolve("cold");
        Files.write(p, data);
        // Clean pages (after fsync) go with DONT_NEED: the far half of the file leaves the page cache.
        UringFile f = UringFiles.open(loop, p, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE)).block(T);
        try {
            f.fsync().block(T);
            f.fadvise(0, data.length, FileAdvice.DONT_NEED).block(T);
        } finally {
            f.close().block(T);
        }
        int far = 12 << 20;
        CompletableFuture<byte[]> got = new CompletableFuture<>();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        try (UringAsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.READ), pool)) {
            ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Object>() {
                @Override
                public void completed(Integer n, Object a) {
                    ByteBuffer b = ByteBuffer.allocate(4096);
                    ch.read(b, far, null, new CompletionHandler<Integer, Object>() {
                        @Override
                        public void completed(Integer m, Object x) {
                            ranOn.set(Thread.currentThread());
                            got.complete(Arrays.copyOf(b.array(), m));
                        }

                        @Override
                        public void failed(Throwable e, Object x) {
                            got.completeExceptionally(e);
                        }
                    });
                }

                @Override
                public void failed(Throwable e, Object a) {
                    got.completeExceptionally(e);
                }
            });
            assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo(Arrays.copyOfRange(data, far, far + 4096));
            assertThat(ch.inlineTransfers()).as("a read that would have blocked").isZero();
            assertThat(poolThreads).contains(ranOn.get());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {UringAsynchronousFileChannel.MAX_SCRATCH_BYTES, 200 * 1024})
    void largeHeapBuffersCopyThroughAPooledBufferThatGoesBack(int size) throws Exception {
        byte[] data = pattern(size * 10);
        Path src = dir.resolve("large-src");
        Path dst = dir.resolve("large-dst");
        Files.write(src, data);
        long outstanding = loop.bufferPool().outstanding();
        CompletableFuture<Long> done = new CompletableFuture<>();
        try (UringAsynchronousFileChannel in = UringAsynchronousFileChannel.open(loop, src,
                Set.of(StandardOpenOption.READ), pool);
                UringAsynchronousFileChannel out = UringAsynchronousFileChannel.open(loop, dst,
                        Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), pool)) {
            // read -> write -> read ..., each op started by the previous one's handler.
            new Object() {
                void read(long pos) {
                    ByteBuffer b = ByteBuffer.allocate(size);
                    in.read(b, pos, null, new CompletionHandler<Integer, Object>() {
                        @Override
                        public void completed(Integer n, Object a) {
                            if (n < 0) {
                                done.complete(pos);
                                return;
                            }
                            write(b.flip(), pos);
                        }

                        @Override
                        public void failed(Throwable e, Object a) {
                            done.completeExceptionally(e);
                        }
                    });
                }

                void write(ByteBuffer b, long pos) {
                    out.write(b, pos, null, new CompletionHandler<Integer, Object>() {
                        @Override
                        public void completed(Integer n, Object a) {
                            if (b.hasRemaining()) {
                                write(b, pos + n);
                            } else {
                                read(pos + n);
                            }
                        }

                        @Override
                        public void failed(Throwable e, Object a) {
                            done.completeExceptionally(e);
                        }
                    });
                }
            }.read(0);
            assertThat(done.get(30, TimeUnit.SECONDS)).isEqualTo(data.length);
            assertThat(in.inlineTransfers()).as("reads inline").isGreaterThanOrEqualTo(9);
            assertThat(out.inlineTransfers()).as("writes inline").isGreaterThanOrEqualTo(10);
        }
        assertThat(Files.readAllBytes(dst)).isEqualTo(data);
        UringAsynchronousFileChannelTest.awaitOnLoop(loop, "pooled copies returned",
                () -> loop.bufferPool().outstanding() == outstanding);
    }

    @Test
    void anInlineReadAtEndOfFileCompletesWithMinusOne() throws Exception {
        Path p = dir.resolve("eof");
        Files.write(p, pattern(100));
        CompletableFuture<Integer> atEof = new CompletableFuture<>();
        try (UringAsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.READ), pool)) {
            ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Object>() {
                @Override
                public void completed(Integer n, Object a) {
                    ch.read(ByteBuffer.allocate(10), 100, null, handler(atEof));
                }

                @Override
                public void failed(Throwable e, Object a) {
                    atEof.completeExceptionally(e);
                }
            });
            assertThat(atEof.get(10, TimeUnit.SECONDS)).isEqualTo(-1);
            assertThat(ch.inlineTransfers()).isEqualTo(1);
        }
    }

    @Test
    void aHandlerThatThrowsInlineDoesNotThrowIntoTheHandlerThatStartedIt() throws Exception {
        Path p = dir.resolve("throws");
        Files.write(p, pattern(100));
        List<Throwable> uncaught = new java.util.concurrent.CopyOnWriteArrayList<>();
        ExecutorService throwing = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "inline-test-uncaught");
            t.setUncaughtExceptionHandler((th, e) -> uncaught.add(e));
            return t;
        });
        CompletableFuture<String> outer = new CompletableFuture<>();
        try (UringAsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.READ), throwing)) {
            ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Object>() {
                @Override
                public void completed(Integer n, Object a) {
                    try {
                        ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Object>() {
                            @Override
                            public void completed(Integer m, Object b) {
                                throw new IllegalStateException("from the inner handler");
                            }

                            @Override
                            public void failed(Throwable e, Object b) {
                            }
                        });
                        outer.complete("returned normally");
                    } catch (RuntimeException e) {
                        outer.complete("threw " + e);
                    }
                }

                @Override
                public void failed(Throwable e, Object a) {
                    outer.completeExceptionally(e);
                }
            });
            assertThat(outer.get(10, TimeUnit.SECONDS)).isEqualTo("returned normally");
            assertThat(ch.inlineTransfers()).isEqualTo(1);
            assertThat(uncaught).singleElement().satisfies(e -> assertThat(e).hasMessage("from the inner handler"));
        } finally {
            throwing.shutdownNow();
        }
    }

    @Test
    void closeWhileAChainRunsFailsItsNextOpAndLeaksNothing() throws Exception {
        byte[] data = pattern(1 << 20);
        Path p = dir.resolve("closing");
        Files.write(p, data);
        long fds = Fds.openUnder(dir);
        long outstanding = loop.bufferPool().outstanding();
        AtomicLong completedOps = new AtomicLong();
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        UringAsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p, Set.of(StandardOpenOption.READ),
                pool);
        ch.read(ByteBuffer.allocate(CHUNK), 0, 0L, new CompletionHandler<Integer, Long>() {
            @Override
            public void completed(Integer n, Long pos) {
                completedOps.incrementAndGet();
                long next = (pos + CHUNK) % data.length;
                ch.read(ByteBuffer.allocate(CHUNK), next, next, this); // forever, until close
            }

            @Override
            public void failed(Throwable e, Long pos) {
                failure.complete(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (ch.inlineTransfers() < 1000 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        assertThat(ch.inlineTransfers()).isGreaterThanOrEqualTo(1000);
        ch.close();
        Throwable e = failure.get(30, TimeUnit.SECONDS);
        assertThat(e).isInstanceOfAny(AsynchronousCloseException.class, ClosedChannelException.class);
        assertThat(completedOps.get()).isGreaterThanOrEqualTo(1000);
        UringAsynchronousFileChannelTest.awaitOnLoop(loop, "pooled copies returned",
                () -> loop.bufferPool().outstanding() == outstanding);
        assertThat(Fds.openUnder(dir)).isEqualTo(fds);
    }

    private static <A> CompletionHandler<Integer, A> handler(CompletableFuture<Integer> f) {
        return new CompletionHandler<>() {
            @Override
            public void completed(Integer n, A a) {
                f.complete(n);
            }

            @Override
            public void failed(Throwable e, A a) {
                f.completeExceptionally(e);
            }
        };
    }
}
