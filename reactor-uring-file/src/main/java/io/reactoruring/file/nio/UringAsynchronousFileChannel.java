package io.reactoruring.file.nio;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import io.reactoruring.file.UringOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;
import reactor.core.scheduler.NonBlocking;
import reactor.util.context.Context;

/**
 * An {@link AsynchronousFileChannel} whose reads, writes, {@link #size()}, {@link #truncate} and
 * {@link #force} are io_uring ops on one {@link UringLoop}, through {@link UringFile}.
 *
 * <p><b>Threads.</b> Kernel completions arrive on the loop thread, which never blocks, so a
 * {@link CompletionHandler} never runs there: it runs on the {@link ExecutorService} given to
 * {@link #open(Path, Set, ExecutorService, FileAttribute[])}, or, when none was given, on a
 * process-wide cached pool of daemon threads named {@code reactor-uring-afc-N} (the JDK runs its
 * handlers on a pool of its own in the same way). Handlers may block. A {@link Future} returned by
 * {@code read}/{@code write}/{@code lock} is completed without going through the executor; it is
 * not a {@link CompletableFuture}, so no caller code can end up running on the loop thread. Never
 * wait on such a Future, nor call the blocking methods ({@code open}, {@link #size()},
 * {@link #truncate}, {@link #force}), on a loop thread: its own completion could never arrive (the
 * blocking methods refuse with {@link IllegalStateException}). Other non-blocking threads
 * (Reactor's {@code parallel()}) may call them: they block there as the JDK's channel's do.
 *
 * <p><b>Chained ops run inline.</b> A read or write started by a completion handler that this
 * channel's executor is running (so on one of the pool's threads: the usual shape of chained I/O,
 * such as Spring's {@code DataBufferUtils}) does not go through the loop when the file is a regular
 * file: it runs on that thread as one system call, a read only if the kernel can serve it without
 * blocking ({@code preadv2} with {@code RWF_NOWAIT}: page-cached data; otherwise it takes the ring),
 * a write as {@code pwrite}, the JDK's own channel's call (a buffered write that the file system
 * cannot take without blocking, as on ext4, is what io_uring would hand to a kernel worker thread,
 * two thread wake-ups later). Its handler is then invoked directly by that thread, as the
 * {@link java.nio.channels.AsynchronousChannelGroup} javadoc allows for the group's own threads, at
 * most 16 handlers deep (the JDK's bound); deeper, it goes through the
 * executor. A handler invoked directly that throws reports to its thread's uncaught-exception
 * handler, not to the handler that started the op. Ops started from any other thread (including
 * another executor's) are not run inline with their handler: the handler goes through the executor.
 * A read among them whose data is in the page cache is still done at once on the calling thread
 * ({@link UringFile#read}'s {@code RWF_NOWAIT} path: the returned {@link Future} is already done);
 * other reads, and writes, go through the loop as described above.
 *
 * <p><b>Buffers.</b> Direct buffers are handed to the kernel as they are; their position is
 * advanced before the handler runs or the Future completes (on the loop thread, or on the calling
 * thread for an op done at once there). Heap buffers are
 * copied through a buffer of the loop's {@link io.reactoruring.core.buffer.BufferPool}, which the
 * channel owns from the call until the kernel is done with it (the op's completion, or, for an op
 * abandoned by {@link #close()}, until the file descriptor is closed); an inline op (above) of up to
 * 64 KiB copies through a direct buffer that its thread keeps for the purpose, as the JDK's channel
 * does. As with the JDK, do not touch a buffer while an operation on it is pending.
 *
 * <p><b>Exceptions</b> follow the JDK's implementation: a read into a read-only buffer, a negative
 * position or size, or a read (write) on a channel not opened for reading (writing) throw at call
 * time; an operation started on a closed channel completes with {@link ClosedChannelException};
 * kernel errors are the standard NIO exceptions from io_uring's errno mapping.
 *
 * <p><b>Close.</b> {@link #close()} marks the channel closed, releases its locks, completes every
 * pending operation on the ring at once with {@link AsynchronousCloseException} (an inline one
 * finishes its system call and then reports {@link AsynchronousCloseException}, as the JDK's channel
 * does) and cancels it in the kernel
 * (IORING_OP_ASYNC_CANCEL; a read from a pipe or FIFO is interrupted, a read from a regular file
 * usually finishes first), then waits until every one of its kernel ops has completed and the file
 * descriptor is closed, so that once it returns the kernel no longer touches any buffer of this
 * channel. Called on a loop thread, it starts the same close without
 * waiting. Cancelling a {@link Future} only completes the Future: the kernel op runs to its end and
 * its result is dropped.
 *
 * <p><b>Locks</b> go through a {@link FileChannel} opened on the same path on first use and closed
 * with this channel, so they are real POSIX record locks, visible to other processes, and share the
 * JVM-wide lock table of {@link FileChannel} ({@link java.nio.channels.OverlappingFileLockException}
 * for overlapping locks within the JVM, as the JDK's own channel reports). {@code lock} first tries
 * the lock at once; if another process holds it, one thread of the handler executor waits for it
 * (as in the JDK), and {@link #close()} ends that wait with {@link AsynchronousCloseException}. POSIX caveats: the lock
 * channel is opened by path, so if the file was renamed or replaced after this channel was opened,
 * the lock applies to whatever the path names now; and, as the {@link FileLock} javadoc warns,
 * closing any descriptor of the file in this process (this channel's, or another channel's) may
 * release every lock the process holds on it.
 */
public final class UringAsynchronousFileChannel extends AsynchronousFileChannel {
    private static final Set<? extends OpenOption> SUPPORTED_OPTIONS = supportedOptions();

    private final UringFile file;
    private final UringLoop loop;
    private final Path path;
    private final ExecutorService executor;
    private final Set<Pending<?>> pending = ConcurrentHashMap.newKeySet();
    private final Set<CompletableFuture<FileLock>> pendingLocks = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Set<OpenOption> lockChannelOptions;
    private final Object lockGuard = new Object();
    private @Nullable FileChannel lockChannel;
    /** The plain descriptor of a regular file, for inline transfers on handler threads; null: never inline. */
    private final @Nullable SharedFd inlineFd;
    private final LongAdder inlineTransfers = new LongAdder();

    /**
     * How deep handlers of this class may nest on one thread when an op started from a handler
     * completes inline and its handler is invoked directly (the JDK bounds its direct invocations
     * at 16 too); deeper, the handler goes through the executor.
     */
    static final int MAX_INLINE_DEPTH = 16;
    /** Transfers up to this size may run inline (heap buffers go through a pooled copy of this size). */
    static final int MAX_INLINE_BYTES = 1 << 20;
    /** Inline transfers of heap buffers up to this size copy through a direct buffer kept per thread. */
    static final int MAX_SCRATCH_BYTES = 64 * 1024;
    /** What the current thread is doing for this class: the executor whose handler it runs, and how deep. */
    private static final ThreadLocal<HandlerFrame> HANDLER_FRAME = ThreadLocal.withInitial(HandlerFrame::new);

    private UringAsynchronousFileChannel(UringFile file, UringLoop loop, Path path, ExecutorService executor,
            Set<OpenOption> lockChannelOptions, boolean regular) {
        this.file = file;
        this.loop = loop;
        this.path = path;
        this.executor = executor;
        this.lockChannelOptions = lockChannelOptions;
        SharedFd fd = file.sharedFd();
        // Inline transfers need a process fd (a direct descriptor has none: fd() would throw).
        this.inlineFd = regular && fd != null && !fd.isDirect() && fd.fd() >= 0 ? fd : null;
    }

    /**
     * {@link #open(Path, Set, ExecutorService, FileAttribute[])} with the default handler pool.
     *
     * @param file the file
     * @param options how to open it
     * @return the open channel
     * @throws IOException as {@link #open(Path, Set, ExecutorService, FileAttribute[])}
     */
    public static UringAsynchronousFileChannel open(Path file, OpenOption... options) throws IOException {
        Objects.requireNonNull(options, "options");
        return open(file, new HashSet<>(List.of(options)), null);
    }

    /**
     * Opens {@code file} like {@link AsynchronousFileChannel#open(Path, Set, ExecutorService, FileAttribute[])},
     * on a loop of {@link UringLoopGroup#shared()}. Blocks the caller until the file is open.
     *
     * @param executor where completion handlers run; {@code null} for the default pool (see class javadoc).
     *                 It is not shut down when the channel closes.
     * @throws UnsupportedOperationException if io_uring is unavailable here, for {@code attrs}
     *         (initial file attributes are not supported), APPEND (as in the JDK) or DELETE_ON_CLOSE
     * @throws ProviderMismatchException if {@code file} is not a path of the {@code file:} scheme
     * @throws IllegalStateException if called on a loop thread (other non-blocking threads, such as
     *         Reactor's {@code parallel()}, block here as they would in the JDK's channel)
     * @throws IOException the open's failure as the JDK's channel reports it ({@link java.nio.file.NoSuchFileException},
     *         {@link java.nio.file.AccessDeniedException}, ...; each also a {@link io.reactoruring.core.UringError})
     */
    public static UringAsynchronousFileChannel open(Path file, Set<? extends OpenOption> options,
            @Nullable ExecutorService executor, FileAttribute<?>... attrs) throws IOException {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(attrs, "attrs");
        if (attrs.length > 0) {
            throw new UnsupportedOperationException("initial file attributes are not supported on io_uring");
        }
        Uring.ensureAvailable();
        return open(UringLoopGroup.shared().next(), file, options, executor);
    }

    /**
     * Opens {@code file} with its ops on {@code loop}; see {@link #open(Path, Set, ExecutorService, FileAttribute[])}.
     * Blocks the caller until the file is open.
     *
     * @param loop the loop every op of the channel runs on
     * @param file the file
     * @param options how to open it
     * @param executor where completion handlers run; {@code null} for the default pool
     * @return the open channel
     * @throws IOException as {@link #open(Path, Set, ExecutorService, FileAttribute[])}
     */
    public static UringAsynchronousFileChannel open(UringLoop loop, Path file, Set<? extends OpenOption> options,
            @Nullable ExecutorService executor) throws IOException {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(options, "options");
        checkSupported(file, options);
        checkMayBlock("open");
        ExecutorService handlers = executor != null ? executor : DefaultExecutor.INSTANCE;
        // A plain fd: a handler thread's inline transfers (see the class javadoc) use it outside the ring.
        Set<OpenOption> openOptions = new HashSet<>(options);
        openOptions.add(UringOpenOption.PLAIN_FD);
        UringFile f = await(UringFiles.open(loop, file, openOptions).toFuture());
        Set<OpenOption> lockOptions = new HashSet<>();
        if (f.isReadable()) {
            lockOptions.add(StandardOpenOption.READ);
        }
        if (f.isWritable()) {
            lockOptions.add(StandardOpenOption.WRITE);
        }
        if (options.contains(LinkOption.NOFOLLOW_LINKS)) {
            lockOptions.add(LinkOption.NOFOLLOW_LINKS);
        }
        return new UringAsynchronousFileChannel(f, loop, file, handlers, lockOptions,
                isRegularFile(file, options.contains(LinkOption.NOFOLLOW_LINKS)));
    }

    /**
     * Whether inline transfers may be used: only on regular files, whose reads and writes end in
     * bounded time (a pipe's could block a handler thread, and {@link #close()} would wait for it).
     */
    private static boolean isRegularFile(Path file, boolean noFollow) {
        try {
            BasicFileAttributes a = noFollow
                    ? java.nio.file.Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS)
                    : java.nio.file.Files.readAttributes(file, BasicFileAttributes.class);
            return a.isRegularFile();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * True when {@link #open} accepts {@code file} and {@code options}: a {@code file:} path and only
     * options io_uring's open supports (what the JDK accepts minus DELETE_ON_CLOSE). Does not check
     * that io_uring is available.
     */
    static boolean supports(Path file, Set<? extends OpenOption> options) {
        return "file".equalsIgnoreCase(file.getFileSystem().provider().getScheme())
                && SUPPORTED_OPTIONS.containsAll(options);
    }

    private static void checkSupported(Path file, Set<? extends OpenOption> options) {
        if (!"file".equalsIgnoreCase(file.getFileSystem().provider().getScheme())) {
            throw new ProviderMismatchException("not a file: path: " + file);
        }
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "options contains null");
            if (o == StandardOpenOption.APPEND) {
                throw new UnsupportedOperationException("APPEND not allowed");
            }
            if (!SUPPORTED_OPTIONS.contains(o)) {
                throw new UnsupportedOperationException("unsupported open option: " + o);
            }
        }
    }

    private static Set<? extends OpenOption> supportedOptions() {
        Set<OpenOption> s = new HashSet<>(EnumSet.allOf(StandardOpenOption.class));
        s.remove(StandardOpenOption.APPEND);
        s.remove(StandardOpenOption.DELETE_ON_CLOSE);
        s.add(LinkOption.NOFOLLOW_LINKS);
        return Set.copyOf(s);
    }

    /** The loop this channel's ops run on (and whose buffer pool it borrows heap-buffer copies from). */
    public UringLoop loop() {
        return loop;
    }

    /** The path this channel was opened with. */
    public Path path() {
        return path;
    }

    // ------------------------------------------------------------------ read / write

    @Override
    public Future<Integer> read(ByteBuffer dst, long position) {
        return startRead(dst, position);
    }

    @Override
    public <A> void read(ByteBuffer dst, long position, @Nullable A attachment,
            CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        checkRead(dst, position);
        if (transferInline(dst, position, false, attachment, handler)) {
            return;
        }
        notifyOnExecutor(startRead(dst, position).result, attachment, handler);
    }

    private void checkRead(ByteBuffer dst, long position) {
        Objects.requireNonNull(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("Read-only buffer");
        }
        checkPosition(position);
        if (!file.isReadable()) {
            throw new NonReadableChannelException();
        }
    }

    private Pending<Integer> startRead(ByteBuffer dst, long position) {
        checkRead(dst, position);
        int n = dst.remaining();
        return startTransfer(dst, d -> file.read(d, position), (p, b) -> {
            ByteBuffer copy = Objects.requireNonNull(b).buffer().clear().limit(n);
            return file.read(copy, position).map(r -> {
                // After close() abandoned this op its caller was told so; leave their buffer alone.
                if (r > 0 && !p.result.isDone()) {
                    dst.put(copy.flip());
                }
                return r;
            });
        });
    }

    @Override
    public Future<Integer> write(ByteBuffer src, long position) {
        return startWrite(src, position);
    }

    @Override
    public <A> void write(ByteBuffer src, long position, @Nullable A attachment,
            CompletionHandler<Integer, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        checkWrite(src, position);
        if (transferInline(src, position, true, attachment, handler)) {
            return;
        }
        notifyOnExecutor(startWrite(src, position).result, attachment, handler);
    }

    private void checkWrite(ByteBuffer src, long position) {
        Objects.requireNonNull(src, "src");
        checkPosition(position);
        if (!file.isWritable()) {
            throw new NonWritableChannelException();
        }
    }

    private Pending<Integer> startWrite(ByteBuffer src, long position) {
        checkWrite(src, position);
        return startTransfer(src, s -> file.write(s, position), (p, b) -> {
            ByteBuffer copy = Objects.requireNonNull(b).buffer().clear().put(src.duplicate()).flip();
            return file.write(copy, position).doOnNext(w -> src.position(src.position() + w));
        });
    }

    /**
     * What a read and a write share once their arguments are checked: nothing to do for an empty
     * {@code buffer}, a direct one is used in place by {@code inPlace}, a heap one goes through a
     * pooled copy of its remaining bytes that {@code viaCopy} fills or drains.
     */
    private Pending<Integer> startTransfer(ByteBuffer buffer, Function<ByteBuffer, Mono<Integer>> inPlace,
            OpStarter<Integer> viaCopy) {
        int n = buffer.remaining();
        if (n == 0) {
            return start(0, (p, b) -> Mono.just(0));
        }
        if (buffer.isDirect()) {
            return start(0, (p, b) -> inPlace.apply(buffer));
        }
        return start(n, viaCopy);
    }

    /**
     * The inline path of a read or write started by a completion handler of this channel's executor
     * (so on one of its threads): the transfer runs on this thread as one system call, a read only
     * if the kernel can do it without blocking (preadv2 with RWF_NOWAIT: page-cached data), a write
     * as pwrite(2) (what the JDK's channel does on its pool thread, and what io_uring itself does
     * for a buffered write the file system cannot take without blocking, in an io-wq kernel thread,
     * after two more thread wake-ups); then the handler is invoked directly, at most
     * {@link #MAX_INLINE_DEPTH} handlers deep, else through the executor. Returns false, having
     * done nothing the caller can see, when the op must take the ring: not on a handler thread of
     * this executor, on a loop thread, not a regular file, an empty or large buffer, a closed channel, a read that
     * would block, or any error (the ring's op then reports it as usual).
     */
    private <A> boolean transferInline(ByteBuffer buffer, long position, boolean write, @Nullable A attachment,
            CompletionHandler<Integer, ? super A> handler) {
        SharedFd fd = inlineFd;
        int n = buffer.remaining();
        if (fd == null || n == 0 || n > MAX_INLINE_BYTES) {
            return false;
        }
        HandlerFrame frame = HANDLER_FRAME.get();
        // Not on a loop thread (where an executor that runs tasks on the calling thread puts handlers): never block it.
        if (frame.executor != executor || closed.get() || onLoopThread() || !CoreAccess.tryAcquire(fd)) {
            return false;
        }
        int res;
        try {
            if (buffer.isDirect()) {
                long addr = Native.addressOf(buffer) + buffer.position();
                res = write ? Native.pwritev2(fd.fd(), addr, n, position, 0)
                        : CoreAccess.readNowait(fd, addr, n, position);
                if (res > 0) {
                    buffer.position(buffer.position() + res);
                }
            } else {
                // A heap buffer goes through this thread's scratch buffer, or, when larger (or on a
                // virtual thread, which lives for one task), a pooled one.
                PooledBuffer copy = null;
                ByteBuffer c;
                if (n <= MAX_SCRATCH_BYTES && frame.keepsScratch) {
                    c = frame.scratch(n);
                } else {
                    try {
                        copy = loop.bufferPool().acquire(n);
                    } catch (RuntimeException e) { // the ring's op will meet (and report) the same
                        return false;
                    }
                    c = copy.buffer().clear().limit(n);
                }
                long addr = Native.addressOf(c);
                try {
                    res = transferHeap(fd, buffer, c, addr, n, position, write);
                } finally {
                    if (copy != null) {
                        copy.release();
                    }
                }
            }
        } finally {
            CoreAccess.release(fd);
        }
        return completeInline(res, write, frame, attachment, handler);
    }

    /** An inline transfer of {@code n} bytes between heap {@code buffer} and direct {@code c} (address {@code addr}). */
    private static int transferHeap(SharedFd fd, ByteBuffer buffer, ByteBuffer c, long addr, int n, long position,
            boolean write) {
        int res;
        if (write) {
            c.put(buffer.duplicate());
            res = Native.pwritev2(fd.fd(), addr, n, position, 0);
            if (res > 0) {
                buffer.position(buffer.position() + res);
            }
        } else {
            res = CoreAccess.readNowait(fd, addr, n, position);
            if (res > 0) {
                buffer.put(c.position(0).limit(res));
            }
        }
        return res;
    }

    /** After an inline transfer's system call: false for an error (the ring redoes the op), else the handler. */
    private <A> boolean completeInline(int res, boolean write, HandlerFrame frame, @Nullable A attachment,
            CompletionHandler<Integer, ? super A> handler) {
        if (res < 0) {
            return false;
        }
        inlineTransfers.increment();
        Integer result = res == 0 && !write ? -1 : res;
        // As the JDK's channel: an op that ran while the channel was closed reports that.
        Throwable failure = closed.get() ? new AsynchronousCloseException() : null;
        if (frame.depth < MAX_INLINE_DEPTH) {
            frame.depth++;
            try {
                invoke(handler, result, failure, attachment);
            } finally {
                frame.depth--;
            }
        } else {
            dispatch(handler, result, failure, attachment);
        }
        return true;
    }

    /** How many reads and writes of this channel ran inline on a handler thread (for tests and diagnostics). */
    long inlineTransfers() {
        return inlineTransfers.sum();
    }

    /** How deep the current thread is in directly invoked handlers of this class (0 in a handler the executor ran). */
    static int inlineDepth() {
        return HANDLER_FRAME.get().depth;
    }

    // ------------------------------------------------------------------ synchronous ops

    /** The file's current size (statx on the loop); blocks the caller. */
    @Override
    public long size() throws IOException {
        checkMayBlock("size");
        return await(this.<Long>start(0, (p, b) -> file.size()).result);
    }

    /**
     * Truncates the file to {@code size} bytes if it is longer, as {@link AsynchronousFileChannel#truncate}
     * specifies (never extends it); blocks the caller.
     */
    @Override
    public AsynchronousFileChannel truncate(long size) throws IOException {
        if (size < 0) {
            throw new IllegalArgumentException("Negative size");
        }
        if (!file.isWritable()) {
            throw new NonWritableChannelException();
        }
        checkMayBlock("truncate");
        await(this.<Void>start(0, (p, b) -> file.size()
                .flatMap(current -> size < current ? file.truncate(size) : Mono.empty())).result);
        return this;
    }

    /** fsync(2) when {@code metaData}, else fdatasync(2); blocks the caller. */
    @Override
    public void force(boolean metaData) throws IOException {
        checkMayBlock("force");
        await(this.<Void>start(0, (p, b) -> metaData ? file.fsync() : file.fdatasync()).result);
    }

    // ------------------------------------------------------------------ locks

    @Override
    public Future<FileLock> lock(long position, long size, boolean shared) {
        return startLock(position, size, shared);
    }

    @Override
    public <A> void lock(long position, long size, boolean shared, @Nullable A attachment,
            CompletionHandler<FileLock, ? super A> handler) {
        Objects.requireNonNull(handler, "handler");
        notifyOnExecutor(startLock(position, size, shared).result, attachment, handler);
    }

    /**
     * Tries the lock at once (so that {@link java.nio.channels.OverlappingFileLockException} and
     * bad arguments throw at call time, as in the JDK); if another process holds it, waits for it
     * on the handler executor, never on the loop.
     */
    private ResultFuture<FileLock> startLock(long position, long size, boolean shared) {
        checkLockMode(shared);
        ResultFuture<FileLock> future = new ResultFuture<>();
        FileChannel channel;
        FileLock now;
        try {
            channel = lockChannel();
            now = channel.tryLock(position, size, shared);
        } catch (IOException e) {
            future.result.completeExceptionally(e);
            return future;
        }
        if (now != null) {
            future.result.complete(new UringFileLock(this, now));
            return future;
        }
        // close() fails the pending lock with AsynchronousCloseException whether the wait has begun or not.
        pendingLocks.add(future.result);
        if (closed.get()) {
            closePendingLock(future.result);
            return future;
        }
        try {
            executor.execute(() -> {
                try {
                    FileLock l = channel.lock(position, size, shared);
                    if (closed.get()) { // close() released it with the lock channel
                        closePendingLock(future.result);
                    } else {
                        future.result.complete(new UringFileLock(this, l));
                    }
                } catch (Throwable e) {
                    if (closed.get()) {
                        closePendingLock(future.result);
                    } else {
                        future.result.completeExceptionally(e);
                    }
                } finally {
                    pendingLocks.remove(future.result);
                }
            });
        } catch (RejectedExecutionException e) {
            pendingLocks.remove(future.result);
            future.result.completeExceptionally(e);
        }
        return future;
    }

    @Override
    public @Nullable FileLock tryLock(long position, long size, boolean shared) throws IOException {
        checkLockMode(shared);
        FileLock l = lockChannel().tryLock(position, size, shared);
        return l == null ? null : new UringFileLock(this, l);
    }

    private static void closePendingLock(CompletableFuture<FileLock> lock) {
        lock.completeExceptionally(new AsynchronousCloseException());
    }

    private void checkLockMode(boolean shared) {
        if (shared && !file.isReadable()) {
            throw new NonReadableChannelException();
        }
        if (!shared && !file.isWritable()) {
            throw new NonWritableChannelException();
        }
    }

    private FileChannel lockChannel() throws IOException {
        synchronized (lockGuard) {
            if (closed.get()) {
                throw new ClosedChannelException();
            }
            FileChannel c = lockChannel;
            if (c == null) {
                c = FileChannel.open(path, lockChannelOptions);
                lockChannel = c;
            }
            return c;
        }
    }

    /** A lock acquired through the lock channel, reported as acquired by this channel. */
    private static final class UringFileLock extends FileLock {
        private final FileLock delegate;

        UringFileLock(UringAsynchronousFileChannel channel, FileLock delegate) {
            super(channel, delegate.position(), delegate.size(), delegate.isShared());
            this.delegate = delegate;
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public void release() throws IOException {
            if (!acquiredBy().isOpen()) {
                throw new ClosedChannelException();
            }
            delegate.release();
        }
    }

    // ------------------------------------------------------------------ close

    @Override
    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * Closes the channel; see the class javadoc for what happens to pending operations. Waits for
     * the file descriptor to be closed unless called on a loop thread. Idempotent.
     */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        IOException failure = null;
        for (CompletableFuture<FileLock> lock : pendingLocks) {
            closePendingLock(lock);
        }
        synchronized (lockGuard) {
            if (lockChannel != null) {
                try {
                    lockChannel.close();
                } catch (IOException e) {
                    failure = e;
                }
            }
        }
        List<Pending<?>> abandoned = new ArrayList<>(pending);
        pending.clear();
        for (Pending<?> p : abandoned) {
            p.abandon();
        }
        // Once the fd is closed, every op that used it has had its last CQE: their copies are free to go.
        // (doOnTerminate, not doFinally: released before close() returns.)
        Mono<Void> closing = file.close().doOnTerminate(() -> abandoned.forEach(Pending::releaseBuffer));
        if (onLoopThread()) {
            closing.subscribe(null, e -> Operators.onErrorDropped(e, Context.empty()));
        } else {
            try {
                await(closing.toFuture());
            } catch (IOException e) {
                failure = e;
            } catch (RuntimeException e) { // e.g. the loop was disposed under us
                failure = new IOException("closing " + path + " failed", e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "UringAsynchronousFileChannel[" + path + (isOpen() ? "" : ", closed") + "]";
    }

    // ------------------------------------------------------------------ op plumbing

    /** What an op does with its {@link Pending} and, when it asked for one, its pooled copy buffer. */
    @FunctionalInterface
    private interface OpStarter<T> {
        Mono<T> start(Pending<T> pending, @Nullable PooledBuffer copy);
    }

    /**
     * Registers a pending op (so {@link #close()} can find it), then, unless the channel is closed,
     * acquires a pooled buffer of {@code copyBytes} (when > 0) and subscribes to the op. The buffer is
     * released exactly once: when the op terminates, when it never starts, or, for an op abandoned by
     * {@link #close()}, once the fd is closed (every op on it has had its last CQE).
     */
    private <T> Pending<T> start(int copyBytes, OpStarter<T> op) {
        Pending<T> p = new Pending<>();
        pending.add(p);
        // Added before checking: close() either sees this op or this op sees the channel closed.
        if (closed.get()) {
            p.finish(null, new ClosedChannelException());
            return p;
        }
        Mono<T> mono;
        try {
            PooledBuffer b = null;
            if (copyBytes > 0) {
                b = loop.bufferPool().acquire(copyBytes);
                p.buffer = b;
            }
            mono = op.start(p, b);
        } catch (RuntimeException e) {
            p.finish(null, e);
            return p;
        }
        p.subscription.update(mono.subscribe(p::onNext, p::onError, p::onComplete));
        if (p.subscription.isDisposed()) {
            // close() abandoned this op while it was starting, possibly before its buffer existed, so
            // close() may have missed it: release it the same way, once the fd is closed.
            file.close().subscribe(null, e -> p.releaseBuffer(), p::releaseBuffer);
        }
        return p;
    }

    /** A Future that callers can neither complete nor chain onto (its dependents would run on the loop). */
    private static class ResultFuture<T> implements Future<T> {
        final CompletableFuture<T> result = new CompletableFuture<>();

        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            return result.cancel(mayInterruptIfRunning);
        }

        @Override
        public boolean isCancelled() {
            return result.isCancelled();
        }

        @Override
        public boolean isDone() {
            return result.isDone();
        }

        @Override
        public T get() throws InterruptedException, ExecutionException {
            return result.get();
        }

        @Override
        public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
            return result.get(timeout, unit);
        }
    }

    /** One io_uring-backed operation of this channel, from call to completion. */
    private final class Pending<T> extends ResultFuture<T> {
        final Disposable.Swap subscription = Disposables.swap();
        final AtomicBoolean released = new AtomicBoolean();
        volatile @Nullable PooledBuffer buffer;
        @Nullable T value;

        void onNext(T v) {
            value = v;
        }

        void onComplete() {
            finish(value, null);
        }

        void onError(Throwable e) {
            finish(null, closed.get() ? new AsynchronousCloseException() : e);
        }

        void finish(@Nullable T v, @Nullable Throwable e) {
            pending.remove(this);
            // Released before the caller hears of the result: once a Future is done its copy is back in the pool.
            releaseBuffer();
            if (e == null) {
                result.complete(v);
            } else {
                result.completeExceptionally(e);
            }
        }

        /** close(): tell the caller now, cancel in the kernel; the buffer waits for the fd to close. */
        void abandon() {
            result.completeExceptionally(new AsynchronousCloseException());
            subscription.dispose();
        }

        void releaseBuffer() {
            PooledBuffer b = buffer;
            if (b != null && released.compareAndSet(false, true)) {
                b.release();
            }
        }
    }

    private <V, A> void notifyOnExecutor(CompletableFuture<V> result, @Nullable A attachment,
            CompletionHandler<V, ? super A> handler) {
        result.whenComplete((v, e) -> dispatch(handler, v, e, attachment));
    }

    /** Runs the handler on the executor, its thread marked as a handler thread of that executor. */
    private <V, A> void dispatch(CompletionHandler<V, ? super A> handler, @Nullable V v, @Nullable Throwable e,
            @Nullable A attachment) {
        try {
            executor.execute(() -> {
                HandlerFrame frame = HANDLER_FRAME.get();
                ExecutorService outerExecutor = frame.executor;
                int outerDepth = frame.depth;
                frame.executor = executor;
                frame.depth = 0;
                try {
                    if (e == null) {
                        handler.completed(v, attachment);
                    } else {
                        handler.failed(e, attachment);
                    }
                } finally {
                    frame.executor = outerExecutor;
                    frame.depth = outerDepth;
                }
            });
        } catch (RejectedExecutionException rejected) {
            Operators.onErrorDropped(rejected, Context.empty());
        }
    }

    /**
     * A directly invoked handler: what it throws goes to this thread's uncaught-exception handler
     * (as when a handler run by the executor throws), not into the outer handler that started the op.
     */
    private static <V, A> void invoke(CompletionHandler<V, ? super A> handler, @Nullable V v, @Nullable Throwable e,
            @Nullable A attachment) {
        try {
            if (e == null) {
                handler.completed(v, attachment);
            } else {
                handler.failed(e, attachment);
            }
        } catch (RuntimeException thrown) {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, thrown);
        }
    }

    /**
     * Per thread: the executor whose handler this thread is running (null: none), how deep in direct
     * invocations, and the thread's direct buffer for inline transfers of heap buffers.
     */
    private static final class HandlerFrame {
        /** Not on a virtual thread (JDK 21+), which runs one task: a buffer kept there would be allocated per op. */
        final boolean keepsScratch = !Thread.currentThread().getClass().getName().equals("java.lang.VirtualThread");
        @Nullable ExecutorService executor;
        int depth;
        private @Nullable ByteBuffer scratch;

        /**
         * This thread's direct buffer, cleared, limit {@code n} (at most {@link #MAX_SCRATCH_BYTES}),
         * reused while it is large enough, as the JDK keeps a temporary direct buffer per thread for
         * the same purpose (no pool traffic per op, and the same memory stays in the CPU's caches);
         * the GC frees it with its thread.
         */
        ByteBuffer scratch(int n) {
            ByteBuffer b = scratch;
            if (b == null || b.capacity() < n) {
                b = ByteBuffer.allocateDirect(Math.max(4096, Integer.highestOneBit(n - 1) << 1));
                scratch = b;
            }
            return b.clear().limit(n);
        }
    }

    private static void checkPosition(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("Negative position");
        }
    }

    private static void checkMayBlock(String operation) {
        if (onLoopThread()) {
            throw new IllegalStateException(operation + "() blocks and cannot run on loop thread "
                    + Thread.currentThread().getName());
        }
    }

    /**
     * True on a reactor-uring loop thread, which must never wait for a loop. Other non-blocking
     * threads (Reactor's {@code parallel()}) may: the JDK's channel blocks them in the same calls
     * (open, size, truncate, force, close are system calls on the caller's thread there).
     */
    static boolean onLoopThread() {
        Thread t = Thread.currentThread();
        return t instanceof NonBlocking && t.getClass().getName().startsWith("io.reactoruring.core.");
    }

    /**
     * Waits for {@code f} without giving up on interrupt (as the JDK's channel, whose syscalls an
     * interrupt does not stop), restoring the interrupt status afterwards; rethrows its failure.
     */
    static <T> T await(CompletableFuture<T> f) throws IOException {
        boolean interrupted = false;
        try {
            for (;;) {
                try {
                    return f.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IOException(cause);
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The handler pool used when {@link #open} got no executor, created on first use as the JDK
     * creates its default thread pool: a cached pool whose threads come from the
     * {@value #THREAD_FACTORY_PROPERTY} system property's class (instantiated through the system
     * class loader) or, without it, are daemon threads named {@code reactor-uring-afc-N}; a
     * {@value #INITIAL_SIZE_PROPERTY} that is not an integer fails like the JDK's (an
     * {@link Error}, thrown from {@link #open} as an {@link ExceptionInInitializerError}). The
     * initial size itself is for a group's own I/O threads, which file channels do not have, in
     * the JDK as here.
     */
    static final class DefaultExecutor {
        static final String THREAD_FACTORY_PROPERTY = "java.nio.channels.DefaultThreadPool.threadFactory";
        static final String INITIAL_SIZE_PROPERTY = "java.nio.channels.DefaultThreadPool.initialSize";
        private static final AtomicInteger COUNT = new AtomicInteger();
        static final ExecutorService INSTANCE = create();

        private DefaultExecutor() {
        }

        private static ExecutorService create() {
            String size = System.getProperty(INITIAL_SIZE_PROPERTY);
            if (size != null) {
                try {
                    Integer.parseInt(size);
                } catch (NumberFormatException x) {
                    throw new Error("Value of property '" + INITIAL_SIZE_PROPERTY + "' is invalid: " + x, x);
                }
            }
            String factory = System.getProperty(THREAD_FACTORY_PROPERTY);
            ThreadFactory threads;
            if (factory != null) {
                try {
                    threads = (ThreadFactory) Class.forName(factory, true, ClassLoader.getSystemClassLoader())
                            .getDeclaredConstructor().newInstance();
                } catch (ReflectiveOperationException | ClassCastException x) {
                    throw new Error(x);
                }
            } else {
                threads = r -> {
                    Thread t = new Thread(r, "reactor-uring-afc-" + COUNT.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                };
            }
            return Executors.newCachedThreadPool(threads);
        }
    }
}
