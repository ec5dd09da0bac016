package io.reactoruring.file.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.testing.Fds;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Mono;

/**
 * The io_uring channel against the JDK's own {@link AsynchronousFileChannel} (the platform provider's,
 * since this JVM runs with the default provider): same inputs, same results and exceptions.
 */
class UringAsynchronousFileChannelTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final long SECONDS = 10;
    private static UringLoop loop;
    private static ExecutorService handlers;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("afc-test");
        handlers = Executors.newFixedThreadPool(2, r -> new Thread(r, "afc-test-handler"));
    }

    @AfterAll
    static void stop() {
        handlers.shutdownNow();
        loop.disposeGracefully().block(T);
    }

    private static UringAsynchronousFileChannel ours(Path p, OpenOption... options) throws IOException {
        return UringAsynchronousFileChannel.open(loop, p, Set.of(options), null);
    }

    private static AsynchronousFileChannel jdks(Path p, OpenOption... options) throws IOException {
        return AsynchronousFileChannel.open(p, options);
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static long openFds() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    /** Round trips through the loop until {@code condition} holds: buffers are released on the loop thread. */
    static void awaitOnLoop(UringLoop loop, String what, BooleanSupplier condition) {
        for (int i = 0; i < 10_000 && !condition.getAsBoolean(); i++) {
            Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    private static <V> V get(Future<V> f) throws Exception {
        return f.get(SECONDS, TimeUnit.SECONDS);
    }

    /** What a Future-based call ends with: its value, or the class of the exception it throws or completes with. */
    private static Object outcome(FutureCall call) {
        try {
            return get(call.start());
        } catch (ExecutionException e) {
            return e.getCause().getClass();
        } catch (Exception | Error e) {
            return e.getClass();
        }
    }

    private interface FutureCall {
        Future<?> start() throws Exception;
    }

    private static Object syncOutcome(SyncCall call) {
        try {
            return String.valueOf(call.run());
        } catch (Exception e) {
            return e.getClass();
        }
    }

    private interface SyncCall {
        Object run() throws Exception;
    }

    /**
     * Our outcomes against the JDK's, element by element: equal values, or an exception of the JDK's
     * class or a subclass (io_uring's errors are subclasses naming the errno, e.g. Errno.NoSuchFile).
     */
    private static void assertSameOutcomes(List<Object> ours, List<Object> jdks) {
        assertThat(ours).hasSameSizeAs(jdks);
        for (int i = 0; i < ours.size(); i++) {
            Object o = ours.get(i);
            Object j = jdks.get(i);
            if (o instanceof Class<?> oc && j instanceof Class<?> jc) {
                assertThat(oc).as("outcome %d", i).isAssignableTo(jc);
            } else {
                assertThat(o).as("outcome %d", i).isEqualTo(j);
            }
        }
    }

    private static ByteBuffer buffer(boolean direct, int capacity) {
        return direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    }

    /** Result of one read plus the buffer's position and the bytes it received. */
    private static List<Object> readResult(AsynchronousFileChannel ch, boolean direct, int capacity, long position)
            throws Exception {
        ByteBuffer b = buffer(direct, capacity);
        int n = get(ch.read(b, position));
        byte[] got = new byte[b.position()];
        b.flip().get(got);
        return List.of(n, got.length, Arrays.hashCode(got));
    }

    @Test
    void readsMatchTheJdkIncludingEofPastEofPartialAndEmpty() throws Exception {
        Path p = dir.resolve("data");
        byte[] data = random(100_000, 1);
        Files.write(p, data);
        long fds = Fds.openUnder(dir);
        long outstanding = loop.bufferPool().outstanding();
        long[][] cases = {
            {0, 4096}, {1, 70_000}, {99_000, 4096} /* partial */, {100_000, 10} /* EOF */,
            {250_000, 10} /* past EOF */, {5, 0} /* no room */, {0, 200_000} /* whole file, short */,
        };
        try (AsynchronousFileChannel u = ours(p, StandardOpenOption.READ); AsynchronousFileChannel j = jdks(p)) {
            for (long[] c : cases) {
                for (boolean direct : new boolean[] {true, false}) {
                    List<Object> expected = readResult(j, direct, (int) c[1], c[0]);
                    assertThat(readResult(u, direct, (int) c[1], c[0]))
                            .as("read at %d into %d bytes, direct=%s", c[0], c[1], direct).isEqualTo(expected);
                }
            }
            assertThat(readResult(u, false, 10, 100_000).get(0)).isEqualTo(-1);
            assertThat(readResult(u, true, 10, 99_995)).isEqualTo(List.of(5, 5,
                    Arrays.hashCode(Arrays.copyOfRange(data, 99_995, 100_000))));
            assertThat(u.size()).isEqualTo(j.size()).isEqualTo(100_000);
        }
        awaitOnLoop(loop, "pooled copies returned", () -> loop.bufferPool().outstanding() == outstanding);
        assertThat(Fds.openUnder(dir)).isEqualTo(fds);
    }

    @Test
    void readIntoASliceLeavesTheRestOfTheBufferAlone() throws Exception {
        Path p = dir.resolve("slice");
        Files.write(p, random(1000, 2));
        for (boolean direct : new boolean[] {true, false}) {
            try (AsynchronousFileChannel u = ours(p); AsynchronousFileChannel j = jdks(p)) {
                ByteBuffer a = buffer(direct, 64).position(10).limit(30);
                ByteBuffer b = buffer(direct, 64).position(10).limit(30);
                assertThat(get(u.read(a, 100))).isEqualTo(get(j.read(b, 100))).isEqualTo(20);
                assertThat(a.position()).isEqualTo(b.position()).isEqualTo(30);
                assertThat(a.clear()).isEqualTo(b.clear());
            }
        }
    }

    @Test
    void largeWritesMatchTheJdk() throws Exception {
        byte[] big = random(9 * 1024 * 1024, 3); // above the pool's largest class: an unpooled copy
        byte[] small = random(300_000, 4);
        Path pu = dir.resolve("ours");
        Path pj = dir.resolve("jdks");
        long outstanding = loop.bufferPool().outstanding();
        try (AsynchronousFileChannel u = ours(pu, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             AsynchronousFileChannel j = jdks(pj, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (AsynchronousFileChannel ch : List.of(u, j)) {
                ByteBuffer heap = ByteBuffer.wrap(big);
                ByteBuffer direct = ByteBuffer.allocateDirect(small.length).put(small).flip();
                assertThat(get(ch.write(heap, 0))).isEqualTo(big.length);
                assertThat(heap.hasRemaining()).isFalse();
                assertThat(get(ch.write(direct, big.length + 5000L))).isEqualTo(small.length); // leaves a hole
                assertThat(direct.hasRemaining()).isFalse();
                assertThat(get(ch.write(ByteBuffer.allocate(0), 7))).isZero();
                ch.force(true);
                ch.force(false);
            }
            assertThat(u.size()).isEqualTo(j.size()).isEqualTo(big.length + 5000L + small.length);
        }
        assertThat(Files.mismatch(pu, pj)).isEqualTo(-1);
        awaitOnLoop(loop, "pooled copies returned", () -> loop.bufferPool().outstanding() == outstanding);
    }

    @Test
    void misuseThrowsTheSameExceptionsAsTheJdk() throws Exception {
        Path p = dir.resolve("m");
        Files.write(p, random(100, 5));
        try (AsynchronousFileChannel ur = ours(p, StandardOpenOption.READ);
             AsynchronousFileChannel jr = jdks(p, StandardOpenOption.READ);
             AsynchronousFileChannel uw = ours(p, StandardOpenOption.WRITE);
             AsynchronousFileChannel jw = jdks(p, StandardOpenOption.WRITE)) {
            List<List<Object>> results = new ArrayList<>();
            for (AsynchronousFileChannel[] pair : List.of(new AsynchronousFileChannel[] {ur, uw},
                    new AsynchronousFileChannel[] {jr, jw})) {
                AsynchronousFileChannel r = pair[0];
                AsynchronousFileChannel w = pair[1];
                results.add(List.of(
                        outcome(() -> r.read(ByteBuffer.allocate(8).asReadOnlyBuffer(), 0)),
                        outcome(() -> r.read(ByteBuffer.allocateDirect(8).asReadOnlyBuffer(), 0)),
                        outcome(() -> r.read(ByteBuffer.allocate(8), -1)),
                        outcome(() -> r.read(null, 0)),
                        outcome(() -> w.read(ByteBuffer.allocate(8), 0)),
                        outcome(() -> r.write(ByteBuffer.allocate(8), 0)),
                        outcome(() -> w.write(ByteBuffer.allocate(8), -1)),
                        outcome(() -> w.write(ByteBuffer.allocate(8).asReadOnlyBuffer(), 90)), // allowed
                        syncOutcome(() -> {
                            r.read(ByteBuffer.allocate(8), 0, null, null);
                            return "accepted";
                        }),
                        syncOutcome(() -> r.truncate(0)),
                        syncOutcome(() -> w.truncate(-1)),
                        syncOutcome(() -> r.tryLock(0, 10, false)),
                        syncOutcome(() -> w.tryLock(0, 10, true)),
                        syncOutcome(() -> w.tryLock(-1, 10, false)),
                        outcome(() -> r.lock(0, 10, false)),
                        outcome(() -> w.lock(0, 10, true))));
            }
            assertSameOutcomes(results.get(0), results.get(1));
            assertThat(results.get(0)).containsExactly(
                    IllegalArgumentException.class, IllegalArgumentException.class, IllegalArgumentException.class,
                    NullPointerException.class, NonReadableChannelException.class, NonWritableChannelException.class,
                    IllegalArgumentException.class, 8, NullPointerException.class,
                    NonWritableChannelException.class, IllegalArgumentException.class,
                    NonWritableChannelException.class, NonReadableChannelException.class,
                    IllegalArgumentException.class, NonWritableChannelException.class,
                    NonReadableChannelException.class);
        }
    }

    @Test
    void openFailuresMatchTheJdk() throws Exception {
        Path missing = dir.resolve("missing");
        Path existing = Files.write(dir.resolve("existing"), new byte[1]);
        List<SyncCall> ourCalls = List.of(
                () -> ours(missing, StandardOpenOption.READ),
                () -> ours(existing, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                () -> ours(existing, StandardOpenOption.APPEND));
        List<SyncCall> jdkCalls = List.of(
                () -> jdks(missing, StandardOpenOption.READ),
                () -> jdks(existing, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                () -> jdks(existing, StandardOpenOption.APPEND));
        List<Object> ourOutcomes = ourCalls.stream().map(UringAsynchronousFileChannelTest::syncOutcome).toList();
        assertSameOutcomes(ourOutcomes, jdkCalls.stream().map(UringAsynchronousFileChannelTest::syncOutcome).toList());
        assertThat((Class<?>) ourOutcomes.get(0)).isAssignableTo(NoSuchFileException.class);
        assertThat((Class<?>) ourOutcomes.get(1)).isAssignableTo(FileAlreadyExistsException.class);
        assertThat(ourOutcomes.get(2)).isEqualTo(UnsupportedOperationException.class);
        // What io_uring's open cannot do is refused (the provider falls back to the JDK for these).
        assertThatThrownBy(() -> UringAsynchronousFileChannel.open(existing, Set.of(StandardOpenOption.DELETE_ON_CLOSE),
                null)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> UringAsynchronousFileChannel.open(dir.resolve("new"), Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.WRITE), null, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
                "rw-------")))).isInstanceOf(UnsupportedOperationException.class);
        assertThat(dir.resolve("new")).doesNotExist();
    }

    @Test
    void truncateOnlyShrinksLikeTheJdk() throws Exception {
        Path pu = Files.write(dir.resolve("tu"), random(1000, 6));
        Path pj = Files.write(dir.resolve("tj"), random(1000, 6));
        try (AsynchronousFileChannel u = ours(pu, StandardOpenOption.READ, StandardOpenOption.WRITE);
             AsynchronousFileChannel j = jdks(pj, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (long size : new long[] {5000, 1000, 400, 0}) {
                assertThat(u.truncate(size)).isSameAs(u);
                j.truncate(size);
                assertThat(u.size()).as("after truncate(%d)", size).isEqualTo(j.size());
                assertThat(Files.readAllBytes(pu)).isEqualTo(Files.readAllBytes(pj));
            }
            assertThat(u.size()).isZero();
        }
    }

    @Test
    void closedChannelBehavesLikeTheJdk() throws Exception {
        Path p = Files.write(dir.resolve("c"), random(100, 7));
        List<List<Object>> results = new ArrayList<>();
        for (boolean uring : new boolean[] {true, false}) {
            AsynchronousFileChannel ch = uring ? ours(p, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : jdks(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            ch.close();
            ch.close(); // idempotent
            CompletableFuture<Throwable> handled = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(8), 0, null, failureInto(handled));
            results.add(Arrays.asList(ch.isOpen(),
                    outcome(() -> ch.read(ByteBuffer.allocate(8), 0)),
                    outcome(() -> ch.read(ByteBuffer.allocate(0), 0)),
                    outcome(() -> ch.write(ByteBuffer.allocate(8), 0)),
                    outcome(() -> ch.lock(0, 10, false)),
                    syncOutcome(ch::size),
                    syncOutcome(() -> ch.truncate(0)),
                    syncOutcome(() -> {
                        ch.force(true);
                        return null;
                    }),
                    syncOutcome(() -> ch.tryLock(0, 10, false)),
                    handled.get(SECONDS, TimeUnit.SECONDS).getClass()));
        }
        // Every call ends with ClosedChannelException, as the javadoc says. One JDK quirk is not copied:
        // its truncate() on a closed channel throws AsynchronousCloseException (its end(false) replaces
        // the ClosedChannelException from begin()), where AsynchronousFileChannel.truncate documents
        // ClosedChannelException.
        int truncate = 6;
        assertThat(results.get(1).get(truncate)).isEqualTo(AsynchronousCloseException.class);
        results.get(1).set(truncate, ClosedChannelException.class);
        assertSameOutcomes(results.get(0), results.get(1));
        assertThat(results.get(0)).containsExactly(false, ClosedChannelException.class, ClosedChannelException.class,
                ClosedChannelException.class, ClosedChannelException.class, ClosedChannelException.class,
                ClosedChannelException.class, ClosedChannelException.class, ClosedChannelException.class,
                ClosedChannelException.class);
    }

    private static <V> CompletionHandler<V, Object> failureInto(CompletableFuture<Throwable> into) {
        return new CompletionHandler<>() {
            @Override
            public void completed(V result, Object attachment) {
                into.completeExceptionally(new AssertionError("completed with " + result));
            }

            @Override
            public void failed(Throwable exc, Object attachment) {
                into.complete(exc);
            }
        };
    }

    /** Result, attachment and thread of one handler call. */
    private record Handled(Object result, Object attachment, String thread) {
    }

    private static <V> CompletionHandler<V, Object> into(CompletableFuture<Handled> into) {
        return new CompletionHandler<>() {
            @Override
            public void completed(V result, Object attachment) {
                into.complete(new Handled(result, attachment, Thread.currentThread().getName()));
            }

            @Override
            public void failed(Throwable exc, Object attachment) {
                into.complete(new Handled(exc, attachment, Thread.currentThread().getName()));
            }
        };
    }

    @Test
    void handlersRunOnTheGivenExecutorOrTheDefaultPoolNeverOnTheLoop() throws Exception {
        Path p = Files.write(dir.resolve("h"), random(5000, 8));
        try (AsynchronousFileChannel given = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE), handlers);
             AsynchronousFileChannel dflt = ours(p, StandardOpenOption.READ)) {
            CompletableFuture<Handled> read = new CompletableFuture<>();
            given.read(ByteBuffer.allocate(100), 10, "att", into(read));
            assertThat(read.get(SECONDS, TimeUnit.SECONDS)).isEqualTo(new Handled(100, "att", "afc-test-handler"));

            CompletableFuture<Handled> write = new CompletableFuture<>();
            given.write(ByteBuffer.allocateDirect(7), 4999, 42, into(write));
            assertThat(write.get(SECONDS, TimeUnit.SECONDS)).isEqualTo(new Handled(7, 42, "afc-test-handler"));

            CompletableFuture<Handled> failed = new CompletableFuture<>();
            given.read(ByteBuffer.allocate(0), 0, null, into(failed)); // completes at once: still on the executor
            assertThat(failed.get(SECONDS, TimeUnit.SECONDS).thread()).isEqualTo("afc-test-handler");

            CompletableFuture<Handled> lock = new CompletableFuture<>();
            given.lock(0, 10, false, "l", into(lock));
            Handled locked = lock.get(SECONDS, TimeUnit.SECONDS);
            assertThat(locked.thread()).isEqualTo("afc-test-handler");
            ((FileLock) locked.result()).release();

            CompletableFuture<Handled> byDefault = new CompletableFuture<>();
            dflt.read(ByteBuffer.allocateDirect(100), 0, null, into(byDefault));
            Handled h = byDefault.get(SECONDS, TimeUnit.SECONDS);
            assertThat(h.result()).isEqualTo(100);
            assertThat(h.thread()).startsWith("reactor-uring-afc-").isNotEqualTo(loop.name());
        }
    }

    @Test
    void handlerMayBlockOnAnotherOperationOfTheSameChannel() throws Exception {
        Path p = Files.write(dir.resolve("chain"), random(10_000, 9));
        try (AsynchronousFileChannel ch = ours(p, StandardOpenOption.READ)) {
            CompletableFuture<Integer> second = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Object>() {
                @Override
                public void completed(Integer result, Object attachment) {
                    try {
                        second.complete(ch.read(ByteBuffer.allocate(20), 10).get() + result);
                    } catch (Exception e) {
                        second.completeExceptionally(e);
                    }
                }

                @Override
                public void failed(Throwable exc, Object attachment) {
                    second.completeExceptionally(exc);
                }
            });
            assertThat(second.get(SECONDS, TimeUnit.SECONDS)).isEqualTo(30);
        }
    }

    @Test
    void locksAreOsLocksAndOverlapLikeTheJdk() throws Exception {
        Path p = Files.write(dir.resolve("lock"), random(1000, 10));
        try (AsynchronousFileChannel u = ours(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
             AsynchronousFileChannel j = jdks(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock l = u.tryLock(0, 100, false);
            assertThat(l).isNotNull();
            assertThat(l.acquiredBy()).isSameAs(u);
            assertThat(l.isValid()).isTrue();
            assertThat(List.of(l.position(), l.size(), l.isShared())).isEqualTo(List.of(0L, 100L, false));
            // Same JVM, overlapping region: the JDK's lock table reports it, through either channel.
            assertThatThrownBy(() -> u.tryLock(50, 100, false)).isInstanceOf(OverlappingFileLockException.class);
            assertThatThrownBy(() -> j.tryLock(50, 100, true)).isInstanceOf(OverlappingFileLockException.class);
            assertThatThrownBy(() -> u.lock(99, 1, false)).isInstanceOf(OverlappingFileLockException.class);
            FileLock other = get(u.lock(100, 100, true));
            assertThat(other.isShared()).isTrue();
            l.release();
            assertThat(l.isValid()).isFalse();
            FileLock jl = j.tryLock(0, 100, false);
            assertThat(jl).isNotNull();
            jl.release();
            other.release();
        }
    }

    @Test
    void lockHeldByAnotherProcessIsWaitedForOffTheLoop() throws Exception {
        Path p = Files.write(dir.resolve("contended"), random(10, 14));
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockHolderChild.class.getName(), p.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (AsynchronousFileChannel u = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE), handlers);
             AsynchronousFileChannel j = jdks(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
             BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream()))) {
            assertThat(out.readLine()).isEqualTo("locked true");
            // A real OS lock held elsewhere: tryLock says so, as the JDK's does, and lock() waits.
            assertThat(u.tryLock()).isNull();
            assertThat(j.tryLock()).isNull();
            CompletableFuture<Handled> locked = new CompletableFuture<>();
            u.lock(0, Long.MAX_VALUE, false, "a", into(locked));
            assertThat(locked.isDone()).isFalse(); // cannot complete while the other process holds it
            holder.getOutputStream().close(); // the holder exits, which releases its lock
            Handled h = locked.get(SECONDS, TimeUnit.SECONDS);
            assertThat(h.thread()).isEqualTo("afc-test-handler");
            FileLock l = (FileLock) h.result();
            assertThat(l.isValid()).isTrue();
            assertThat(l.acquiredBy()).isSameAs(u);
            l.release();
        } finally {
            holder.getOutputStream().close();
            assertThat(holder.waitFor()).isZero();
        }
    }

    @Test
    void closingAChannelWithAPendingLockFailsItWithAsynchronousCloseLikeTheJdk() throws Exception {
        Path p = Files.write(dir.resolve("contended-close"), random(10, 15));
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), LockHolderChild.class.getName(), p.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream()))) {
            assertThat(out.readLine()).isEqualTo("locked true");
            // Closed at once after lock(), before or after the waiting thread reached fcntl: always
            // AsynchronousCloseException (it used to be ClosedChannelException in about half the tries).
            for (boolean uring : new boolean[] {true, false}) {
                for (int i = 0; i < 40; i++) {
                    AsynchronousFileChannel ch = uring
                            ? ours(p, StandardOpenOption.READ, StandardOpenOption.WRITE)
                            : jdks(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
                    Future<FileLock> future = ch.lock(0, 5, false);
                    CompletableFuture<Handled> handled = new CompletableFuture<>();
                    ch.lock(5, 5, true, i, into(handled));
                    if (i % 2 == 1) {
                        Thread.yield(); // vary the interleaving; correctness does not depend on it
                    }
                    ch.close();
                    String which = (uring ? "io_uring" : "JDK") + " try " + i;
                    assertThat(catchThrowable(() -> future.get(SECONDS, TimeUnit.SECONDS)))
                            .as(which).isInstanceOf(ExecutionException.class)
                            .cause().isInstanceOf(AsynchronousCloseException.class);
                    assertThat(handled.get(SECONDS, TimeUnit.SECONDS).result())
                            .as(which).isInstanceOf(AsynchronousCloseException.class);
                }
            }
        } finally {
            holder.getOutputStream().close();
            assertThat(holder.waitFor()).isZero();
        }
    }

    @Test
    void closeInvalidatesLocksLikeTheJdk() throws Exception {
        Path p = Files.write(dir.resolve("lock2"), random(10, 11));
        List<List<Object>> results = new ArrayList<>();
        for (boolean uring : new boolean[] {true, false}) {
            AsynchronousFileChannel ch = uring ? ours(p, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : jdks(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l = get(ch.lock());
            ch.close();
            results.add(List.of(l.isValid(), syncOutcome(() -> {
                l.release();
                return "released";
            })));
        }
        assertSameOutcomes(results.get(0), results.get(1));
        assertThat(results.get(0).get(0)).isEqualTo(false);
    }

    @Test
    void closeFailsAPendingReadWithAsynchronousCloseAndFreesEverything() throws Exception {
        // A FIFO opened read-write never blocks the open, and a read from it waits in the kernel until
        // someone writes: an operation that is certainly in flight when close() runs.
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(mkfifo.waitFor()).isZero();
        long fds = Fds.openUnder(dir);
        long outstanding = loop.bufferPool().outstanding();
        AsynchronousFileChannel ch = ours(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Future<Integer> heapRead = ch.read(ByteBuffer.allocate(64), 0);
        CompletableFuture<Throwable> directRead = new CompletableFuture<>();
        ch.read(ByteBuffer.allocateDirect(64), 0, null, failureInto(directRead));
        Future<Integer> cancelled = ch.read(ByteBuffer.allocate(32), 0);
        assertThat(cancelled.cancel(false)).isTrue();
        assertThat(heapRead.isDone()).isFalse();
        assertThat(loop.bufferPool().outstanding()).isEqualTo(outstanding + 2); // the heap reads' copies

        ch.close(); // returns once the cancelled kernel reads completed and the fd is closed

        Throwable e = catchThrowable(() -> get(heapRead));
        assertThat(e).isInstanceOf(ExecutionException.class).hasCauseInstanceOf(AsynchronousCloseException.class);
        assertThat(directRead.get(SECONDS, TimeUnit.SECONDS)).isInstanceOf(AsynchronousCloseException.class);
        assertThat(cancelled.isCancelled()).isTrue();
        assertThat(loop.bufferPool().outstanding()).isEqualTo(outstanding);
        assertThat(Fds.openUnder(dir)).isEqualTo(fds);
    }

    @Test
    void concurrentReadsFromManyThreadsSeeTheRightBytes() throws Exception {
        Path p = dir.resolve("many");
        byte[] data = random(1 << 20, 12);
        Files.write(p, data);
        long fds = Fds.openUnder(dir);
        long outstanding = loop.bufferPool().outstanding();
        ExecutorService callers = Executors.newFixedThreadPool(8);
        try (AsynchronousFileChannel ch = ours(p, StandardOpenOption.READ)) {
            List<Future<Integer>> mismatches = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                long seed = t;
                mismatches.add(callers.submit(() -> {
                    Random r = new Random(seed);
                    int bad = 0;
                    for (int i = 0; i < 200; i++) {
                        int pos = r.nextInt(data.length);
                        int len = 1 + r.nextInt(20_000);
                        ByteBuffer b = buffer(r.nextBoolean(), len);
                        int n = ch.read(b, pos).get(SECONDS, TimeUnit.SECONDS);
                        int expected = Math.min(len, data.length - pos);
                        byte[] got = new byte[b.flip().remaining()];
                        b.get(got);
                        if (n != expected || !Arrays.equals(got, Arrays.copyOfRange(data, pos, pos + expected))) {
                            bad++;
                        }
                    }
                    return bad;
                }));
            }
            for (Future<Integer> m : mismatches) {
                assertThat(get(m)).isZero();
            }
        } finally {
            callers.shutdownNow();
        }
        assertThat(loop.bufferPool().outstanding()).isEqualTo(outstanding);
        assertThat(Fds.openUnder(dir)).isEqualTo(fds);
    }

    @Test
    void closeRacingWithReadsFromManyThreadsLosesNothing() throws Exception {
        Path p = Files.write(dir.resolve("race"), random(256 * 1024, 13));
        long fds = Fds.openUnder(dir);
        long outstanding = loop.bufferPool().outstanding();
        AsynchronousFileChannel ch = ours(p, StandardOpenOption.READ);
        int threads = 4;
        CountDownLatch started = new CountDownLatch(threads * 50);
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        List<Future<List<Future<Integer>>>> issued = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            boolean direct = t % 2 == 0;
            issued.add(callers.submit(() -> {
                List<Future<Integer>> reads = new ArrayList<>();
                Random r = new Random();
                for (int i = 0; i < 2000; i++) {
                    reads.add(ch.read(buffer(direct, 8192), r.nextInt(256 * 1024)));
                    started.countDown();
                }
                return reads;
            }));
        }
        assertThat(started.await(SECONDS, TimeUnit.SECONDS)).isTrue();
        ch.close();
        int done = 0;
        int closedMidway = 0;
        for (Future<List<Future<Integer>>> f : issued) {
            for (Future<Integer> read : get(f)) {
                try {
                    assertThat(get(read)).isPositive();
                    done++;
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOfAny(AsynchronousCloseException.class,
                            ClosedChannelException.class);
                    closedMidway++;
                }
            }
        }
        callers.shutdownNow();
        assertThat(done + closedMidway).isEqualTo(threads * 2000);
        assertThat(loop.bufferPool().outstanding()).isEqualTo(outstanding);
        assertThat(Fds.openUnder(dir)).isEqualTo(fds);
    }

    @Test
    void blockingCallsAreRefusedOnTheLoopThread() {
        Throwable e = Mono.fromCallable(() -> catchThrowable(() -> ours(dir.resolve("x"), StandardOpenOption.READ)))
                .subscribeOn(loop).block(T);
        assertThat(e).isInstanceOf(IllegalStateException.class).hasMessageContaining("loop thread");
    }
}
