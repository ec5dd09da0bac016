package io.reactoruring.file.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactoruring.core.UringLoop;
import java.io.IOException;
import java.nio.ByteBuffer;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The sentences of the {@link AsynchronousFileChannel} javadoc (and of {@code AsynchronousChannel} and
 * {@code AsynchronousChannelGroup} where they apply to file channels), each as a test that runs on
 * the JDK's own channel, the control that shows the test reads the specification right, and on
 * {@link UringAsynchronousFileChannel}. Quoted sentences are the javadoc's.
 */
class AsynchronousFileChannelContractTest {
    private static final long SECONDS = 30;
    private static UringLoop loop;
    private static ExecutorService executor;

    @TempDir
    Path dir;

    enum Impl {
        JDK, IO_URING;

        AsynchronousFileChannel open(Path p, Set<? extends OpenOption> options, ExecutorService ex) throws IOException {
            return this == JDK ? AsynchronousFileChannel.open(p, options, ex)
                    : UringAsynchronousFileChannel.open(loop, p, options, ex);
        }

        AsynchronousFileChannel open(Path p, OpenOption... options) throws IOException {
            return open(p, new HashSet<>(List.of(options)), null);
        }
    }

    @BeforeAll
    static void start() {
        loop = UringLoop.create("afc-contract");
        executor = Executors.newFixedThreadPool(3, r -> new Thread(r, "contract-executor"));
    }

    @AfterAll
    static void stop() {
        executor.shutdownNow();
        loop.disposeGracefully().block(java.time.Duration.ofSeconds(SECONDS));
    }

    private static <V> V get(Future<V> f) throws Exception {
        return f.get(SECONDS, TimeUnit.SECONDS);
    }

    private static Throwable failure(Future<?> f) {
        Throwable t = catchThrowable(() -> get(f));
        assertThat(t).isInstanceOf(ExecutionException.class);
        return t.getCause();
    }

    private Path file(int size) throws IOException {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return Files.write(dir.resolve("f" + size + "-" + System.nanoTime()), b);
    }

    /** Completes with what the handler got: the result or the exception, the attachment, and its thread. */
    private record Outcome(Object value, Object attachment, String thread) {
    }

    private static <V> CompletionHandler<V, Object> handler(CompletableFuture<Outcome> into) {
        return new CompletionHandler<>() {
            @Override
            public void completed(V result, Object attachment) {
                into.complete(new Outcome(result, attachment, Thread.currentThread().getName()));
            }

            @Override
            public void failed(Throwable exc, Object attachment) {
                into.complete(new Outcome(exc, attachment, Thread.currentThread().getName()));
            }
        };
    }

    // ------------------------------------------------------------------ open

    /** "READ Open for read access." / "If neither READ nor WRITE" is given the JDK opens for reading. */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void openWithoutReadOrWriteIsForReading(Impl impl) throws Exception {
        Path p = file(100);
        try (AsynchronousFileChannel ch = impl.open(p)) {
            assertThat(get(ch.read(ByteBuffer.allocate(10), 0))).isEqualTo(10);
            assertThatThrownBy(() -> ch.write(ByteBuffer.allocate(1), 0)).isInstanceOf(NonWritableChannelException.class);
        }
    }

    /** CREATE_NEW fails if the file exists; without CREATE a missing file fails; TRUNCATE_EXISTING with WRITE empties it. */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void openOptions(Impl impl) throws Exception {
        Path p = file(100);
        assertThatThrownBy(() -> impl.open(p, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> impl.open(dir.resolve("missing"), StandardOpenOption.READ))
                .isInstanceOf(NoSuchFileException.class);
        // "APPEND" is not allowed for asynchronous file channels: the JDK throws UnsupportedOperationException
        assertThatThrownBy(() -> impl.open(p, StandardOpenOption.WRITE, StandardOpenOption.APPEND))
                .isInstanceOf(UnsupportedOperationException.class);
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            assertThat(ch.size()).isZero();
        }
        Path created = dir.resolve("created-" + impl);
        try (AsynchronousFileChannel ch = impl.open(created, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
            assertThat(ch.isOpen()).isTrue();
        }
        assertThat(created).exists();
    }

    // ------------------------------------------------------------------ read

    /**
     * "Reads a sequence of bytes from this channel into the given buffer, starting at the given file
     * position." "returns the number of bytes read or -1 if the given position is greater than or
     * equal to the file's size at the time that the read is attempted." The buffer's position moves
     * by the bytes read (also on a short read), its limit does not.
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void readTransfersFromThePositionAndUpdatesTheBuffer(Impl impl) throws Exception {
        Path p = file(1000);
        byte[] data = Files.readAllBytes(p);
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.READ)) {
            for (boolean direct : new boolean[] {true, false}) {
                ByteBuffer b = direct ? ByteBuffer.allocateDirect(500) : ByteBuffer.allocate(500);
                b.position(10).limit(110);
                assertThat(get(ch.read(b, 200))).isEqualTo(100);
                assertThat(List.of(b.position(), b.limit())).isEqualTo(List.of(110, 110));
                byte[] got = new byte[100];
                b.position(10);
                b.get(got);
                assertThat(got).isEqualTo(Arrays.copyOfRange(data, 200, 300));

                ByteBuffer shortRead = direct ? ByteBuffer.allocateDirect(500) : ByteBuffer.allocate(500);
                assertThat(get(ch.read(shortRead, 900))).isEqualTo(100); // only 100 bytes left
                assertThat(List.of(shortRead.position(), shortRead.limit())).isEqualTo(List.of(100, 500));

                assertThat(get(ch.read(ByteBuffer.allocate(10), 1000))).isEqualTo(-1);
                assertThat(get(ch.read(ByteBuffer.allocate(10), 5000))).isEqualTo(-1);
                assertThat(get(ch.read(ByteBuffer.allocate(0), 0))).isZero(); // no room: nothing read
            }
        }
    }

    /** "IllegalArgumentException - If the position is negative or the buffer is read-only"; "NonReadableChannelException". */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void readArgumentsAreCheckedAtCallTime(Impl impl) throws Exception {
        Path p = file(10);
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(1), -1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(1).asReadOnlyBuffer(), 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ch.read(null, 0)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(1), 0, null, null))
                    .isInstanceOf(NullPointerException.class);
        }
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.WRITE)) {
            assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(1), 0)).isInstanceOf(NonReadableChannelException.class);
        }
    }

    /**
     * "This channel does not have a current position": concurrent reads at different positions are
     * allowed (no ReadPendingException, unlike socket channels) and each sees its own bytes.
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void manyConcurrentReadsNeedNoPendingCheck(Impl impl) throws Exception {
        Path p = file(256 * 1024);
        byte[] data = Files.readAllBytes(p);
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.READ)) {
            List<Future<Integer>> reads = new ArrayList<>();
            List<ByteBuffer> buffers = new ArrayList<>();
            for (int i = 0; i < 256; i++) {
                ByteBuffer b = i % 2 == 0 ? ByteBuffer.allocateDirect(1024) : ByteBuffer.allocate(1024);
                buffers.add(b);
                reads.add(ch.read(b, (long) ((i * 37) % 256) * 1024));
            }
            for (int i = 0; i < 256; i++) {
                assertThat(get(reads.get(i))).isEqualTo(1024);
                byte[] got = new byte[1024];
                buffers.get(i).flip().get(got);
                int at = ((i * 37) % 256) * 1024;
                assertThat(got).as("read %d", i).isEqualTo(Arrays.copyOfRange(data, at, at + 1024));
            }
        }
    }

    // ------------------------------------------------------------------ write

    /**
     * "Writes a sequence of bytes to this channel from the given buffer, starting at the given file
     * position. If the given position is greater than the file's size, at the time that the write is
     * attempted, then the file will be grown to accommodate the new bytes". The buffer's position
     * moves by the bytes written.
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void writeGrowsTheFileAndUpdatesTheBuffer(Impl impl) throws Exception {
        Path p = file(100);
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            for (boolean direct : new boolean[] {true, false}) {
                ByteBuffer src = direct ? ByteBuffer.allocateDirect(64) : ByteBuffer.allocate(64);
                src.put(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}).flip().position(2);
                long at = direct ? 50 : 500;
                assertThat(get(ch.write(src, at))).isEqualTo(6);
                assertThat(List.of(src.position(), src.limit())).isEqualTo(List.of(8, 8));
                ByteBuffer back = ByteBuffer.allocate(6);
                get(ch.read(back, at));
                assertThat(back.array()).containsExactly(3, 4, 5, 6, 7, 8);
            }
            assertThat(ch.size()).isEqualTo(506);
            assertThat(get(ch.write(ByteBuffer.allocate(0), 10_000))).isZero();
            assertThat(ch.size()).isEqualTo(506); // nothing written, nothing grown
        }
    }

    /** "IllegalArgumentException - If the position is negative"; "NonWritableChannelException". */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void writeArgumentsAreCheckedAtCallTime(Impl impl) throws Exception {
        Path p = file(10);
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.WRITE)) {
            assertThatThrownBy(() -> ch.write(ByteBuffer.allocate(1), -1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ch.write(null, 0)).isInstanceOf(NullPointerException.class);
        }
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> ch.write(ByteBuffer.allocate(1), 0)).isInstanceOf(NonWritableChannelException.class);
        }
    }

    // ------------------------------------------------------------------ size, truncate, force

    /**
     * truncate: "If the given size is less than the file's current size then the file is truncated
     * ... If the given size is greater than or equal to the file's current size then the file is not
     * modified." Returns "This file channel". "IllegalArgumentException - If the new size is negative",
     * "NonWritableChannelException - If this channel was not opened for writing".
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void truncateOnlyShrinks(Impl impl) throws Exception {
        Path p = file(1000);
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.WRITE)) {
            assertThat(ch.truncate(2000)).isSameAs(ch);
            assertThat(ch.size()).isEqualTo(1000);
            assertThat(ch.truncate(300)).isSameAs(ch);
            assertThat(ch.size()).isEqualTo(300);
            assertThatThrownBy(() -> ch.truncate(-1)).isInstanceOf(IllegalArgumentException.class);
            ch.force(true);
            ch.force(false);
        }
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> ch.truncate(0)).isInstanceOf(NonWritableChannelException.class);
            ch.force(false); // "force" is allowed on a channel opened for reading only
        }
    }

    /** size, truncate, force: "ClosedChannelException - If this channel is closed". */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void synchronousMethodsOnAClosedChannel(Impl impl) throws Exception {
        AsynchronousFileChannel ch = impl.open(file(10), StandardOpenOption.READ, StandardOpenOption.WRITE);
        ch.close();
        assertThat(ch.isOpen()).isFalse();
        ch.close(); // "If this channel is already closed then invoking this method has no effect."
        assertThatThrownBy(ch::size).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(() -> ch.force(true)).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(ch::tryLock).isInstanceOf(ClosedChannelException.class);
    }

    /** An operation initiated on a closed channel completes with ClosedChannelException, in both forms. */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void operationsOnAClosedChannelFailWithClosedChannelException(Impl impl) throws Exception {
        AsynchronousFileChannel ch = impl.open(file(10), Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE),
                executor);
        ch.close();
        assertThat(failure(ch.read(ByteBuffer.allocate(1), 0))).isInstanceOf(ClosedChannelException.class);
        assertThat(failure(ch.write(ByteBuffer.allocate(1), 0))).isInstanceOf(ClosedChannelException.class);
        assertThat(failure(ch.lock())).isInstanceOf(ClosedChannelException.class);
        CompletableFuture<Outcome> h = new CompletableFuture<>();
        ch.read(ByteBuffer.allocate(1), 0, "att", handler(h));
        Outcome o = get(h);
        assertThat(o.value()).isInstanceOf(ClosedChannelException.class);
        assertThat(o.attachment()).isEqualTo("att");
    }

    // ------------------------------------------------------------------ completion handlers and executors

    /**
     * open(..., executor, ...): "executor - The thread pool or null to associate the channel with the
     * default thread pool"; completion handlers are invoked by threads of that pool, with the
     * attachment given.
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void handlersRunOnTheExecutorWithTheirAttachment(Impl impl) throws Exception {
        Path p = file(100);
        try (AsynchronousFileChannel ch = impl.open(p, Set.of(StandardOpenOption.READ, StandardOpenOption.WRITE),
                executor)) {
            CompletableFuture<Outcome> read = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(10), 95, 42, handler(read));
            assertThat(get(read)).isEqualTo(new Outcome(5, 42, "contract-executor"));
            CompletableFuture<Outcome> write = new CompletableFuture<>();
            ch.write(ByteBuffer.wrap(new byte[3]), 0, null, handler(write));
            assertThat(get(write)).isEqualTo(new Outcome(3, null, "contract-executor"));
            CompletableFuture<Outcome> lock = new CompletableFuture<>();
            ch.lock(0, 10, false, "l", handler(lock));
            Outcome locked = get(lock);
            assertThat(locked.thread()).isEqualTo("contract-executor");
            assertThat(((FileLock) locked.value()).acquiredBy()).isSameAs(ch);
            ((FileLock) locked.value()).release();
            CompletableFuture<Outcome> failed = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(1), 0, "x", handler(failed));
            ch.close();
            // whatever came first, the handler ran on the executor
            assertThat(get(failed).thread()).isEqualTo("contract-executor");
        }
    }

    /** A handler may start the next operation, and may block waiting for it (handlers may block). */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void chainedOperationsFromHandlers(Impl impl) throws Exception {
        Path p = file(64 * 1024);
        byte[] data = Files.readAllBytes(p);
        Path copy = dir.resolve("copy-" + impl);
        try (AsynchronousFileChannel in = impl.open(p, StandardOpenOption.READ);
             AsynchronousFileChannel out = impl.open(copy, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            CompletableFuture<Long> done = new CompletableFuture<>();
            ByteBuffer b = ByteBuffer.allocate(4096);
            in.read(b, 0, 0L, new CompletionHandler<Integer, Long>() {
                @Override
                public void completed(Integer n, Long at) {
                    try {
                        if (n < 0) {
                            done.complete(at);
                            return;
                        }
                        b.flip();
                        while (b.hasRemaining()) {
                            out.write(b, at + b.position()).get(); // blocking inside a handler
                        }
                        b.clear();
                        in.read(b, at + n, at + n, this);
                    } catch (Exception e) {
                        done.completeExceptionally(e);
                    }
                }

                @Override
                public void failed(Throwable exc, Long at) {
                    done.completeExceptionally(exc);
                }
            });
            assertThat(get(done)).isEqualTo(data.length);
        }
        assertThat(Files.readAllBytes(copy)).isEqualTo(data);
    }

    // ------------------------------------------------------------------ locks

    /**
     * lock: "IllegalArgumentException - If the preconditions on the parameters do not hold",
     * "NonReadableChannelException - If shared is true but this channel was not opened for reading",
     * "NonWritableChannelException - If shared is false but this channel was not opened for writing",
     * "OverlappingFileLockException - If a lock is already held by this Java virtual machine, or there
     * is already a pending attempt to lock a region". The lock's acquiredBy() is this channel.
     */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void lockPreconditions(Impl impl) throws Exception {
        Path p = file(100);
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> ch.lock(0, 10, false)).isInstanceOf(NonWritableChannelException.class);
            assertThatThrownBy(() -> ch.tryLock(0, 10, false)).isInstanceOf(NonWritableChannelException.class);
            FileLock shared = get(ch.lock(0, 10, true));
            assertThat(shared.isShared()).isTrue();
            assertThat(shared.acquiredBy()).isSameAs(ch);
            shared.release();
        }
        try (AsynchronousFileChannel ch = impl.open(p, StandardOpenOption.WRITE)) {
            assertThatThrownBy(() -> ch.lock(0, 10, true)).isInstanceOf(NonReadableChannelException.class);
            assertThatThrownBy(() -> ch.lock(-1, 10, false)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ch.lock(0, -1, false)).isInstanceOf(IllegalArgumentException.class);
            FileLock l = get(ch.lock(10, 20, false));
            assertThat(List.of(l.position(), l.size(), l.isShared(), l.isValid())).isEqualTo(List.of(10L, 20L, false, true));
            assertThatThrownBy(() -> ch.lock(0, 11, false)).isInstanceOf(OverlappingFileLockException.class);
            assertThatThrownBy(() -> ch.tryLock(29, 1, false)).isInstanceOf(OverlappingFileLockException.class);
            FileLock other = ch.tryLock(30, 5, false); // adjacent, not overlapping
            assertThat(other).isNotNull();
            l.release();
            assertThat(l.isValid()).isFalse();
            // "If this channel is closed then the lock is invalidated" (FileLock: closing the channel releases its locks)
            ch.close();
            assertThat(other.isValid()).isFalse();
        }
    }

    // ------------------------------------------------------------------ Future

    /** The Future of a completed operation cannot be cancelled; get() returns the result again. */
    @ParameterizedTest
    @EnumSource(Impl.class)
    void futureOfACompletedOperation(Impl impl) throws Exception {
        try (AsynchronousFileChannel ch = impl.open(file(10), StandardOpenOption.READ)) {
            Future<Integer> f = ch.read(ByteBuffer.allocate(4), 0);
            assertThat(get(f)).isEqualTo(4);
            assertThat(f.isDone()).isTrue();
            assertThat(f.cancel(false)).isFalse();
            assertThat(f.isCancelled()).isFalse();
            assertThat(get(f)).isEqualTo(4);
        }
    }
}
