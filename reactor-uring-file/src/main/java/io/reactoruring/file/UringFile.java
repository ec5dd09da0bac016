package io.reactoruring.file;

import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.ByteBuffer;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An open file. Obtain one from {@link UringFiles#open}.
 *
 * <p><b>Back ends.</b> Normally every operation is an io_uring op on the file's
 * {@linkplain #loop() loop}. Where io_uring is unavailable ({@link io.reactoruring.core.Uring#isAvailable()}
 * is false, e.g. {@code -Dreactoruring.disabled=true}, an old kernel, a seccomp profile), files
 * opened through the loop-less {@link UringFiles} methods run on a {@link java.nio.channels.FileChannel}
 * on {@code Schedulers.boundedElastic()} instead ({@link #isUring()} is false), with the same results
 * and exception types; differences are noted per method.
 *
 * <p><b>Threads.</b> Every method returns a cold publisher: nothing reaches the kernel before
 * subscription. With io_uring the signals arrive on the file's {@linkplain #loop() loop thread}:
 * keep downstream work short there, or {@code publishOn} another scheduler; {@code block()} on the
 * loop thread throws. One exception: a {@link #read} subscribed on another thread, of a file not
 * opened with {@link UringOpenOption#DIRECT}, whose data is in the page cache, is done at once on the
 * subscribing thread (see {@link #read}) and its result is emitted there (or where it is requested).
 * A file opened with the defaults (a {@linkplain #isDirectDescriptor() direct descriptor}) gets one
 * extra process fd for this, installed on its first such read and closed with the file. With NIO
 * they arrive on a boundedElastic thread.
 *
 * <p><b>Misuse</b> that does not depend on timing (negative positions, heap or read-only buffers,
 * writing a file opened read-only) throws at call time, before anything is submitted. Using the
 * file after {@link #close()} errors with {@link java.nio.channels.ClosedChannelException}. Running
 * out of space or of file size (EFBIG past RLIMIT_FSIZE, ENOSPC, EDQUOT) fails with a
 * {@link java.nio.file.FileSystemException} that implements {@link io.reactoruring.core.UringError}
 * and names the errno.
 *
 * <p><b>Buffers you receive must be released.</b> {@link #readChunks} (and
 * {@link UringFiles#readAll}) hand out {@link PooledBuffer}s from a pool
 * ({@linkplain UringLoop#bufferPool() the loop's}, or the NIO fallback's own): the subscriber owns
 * each one and must call {@link PooledBuffer#release()} exactly once when done, also on error paths
 * ({@code doFinally}/{@code try-finally}). A forgotten buffer is never reused and its native memory is
 * not freed by the GC; {@code BufferPool.outstanding()} counts them.
 *
 * <p><b>Cancellation.</b> With io_uring, cancelling sends IORING_OP_ASYNC_CANCEL; the op keeps its
 * memory and the fd referenced until its CQE. With NIO a call that already started runs to its end
 * (the thread is never interrupted, which would close the channel), one not started is skipped.
 * Either way, for {@link #read}/{@link #write}/{@link #readv}/{@link #writev} the memory is the
 * caller's buffer: after cancelling, it may still be read or written until the op is done, so do not
 * reuse it for data you care about. The streaming methods ({@link #readChunks}, {@link #writeAll})
 * submit no new op after cancellation; the pooled buffers they own are released once nothing touches
 * them any more, without waiting for the GC. Native copies of paths, iovec arrays and statx buffers
 * are freed the same way.
 *
 * <p><b>Sharing.</b> A {@code UringFile} is thread-safe: any thread may start operations on it,
 * also concurrently (positional reads and writes are independent; ops using the file position are
 * not ordered with each other unless the caller orders them). {@link #close()} may be called from
 * any thread, once or more: the descriptor is closed when the last operation in flight has
 * completed.
 */
public final class UringFile {
    static final int STATX_BASIC_STATS = UringFileIo.STATX_BASIC_STATS;
    static final int AT_EMPTY_PATH = UringFileIo.AT_EMPTY_PATH;
    static final int IORING_FSYNC_DATASYNC = UringFileIo.IORING_FSYNC_DATASYNC;
    static final int STATX_SIZE = UringFileIo.STATX_SIZE;
    /** IOV_MAX: the most buffers one {@link #readv}/{@link #writev} takes. */
    public static final int MAX_VECTORS = 1024;
    /** sync_file_range flag: wait for write-out of pages in the range already under way before writing. */
    public static final int SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    /** sync_file_range flag: start write-out of dirty pages in the range. */
    public static final int SYNC_FILE_RANGE_WRITE = 2;
    /** sync_file_range flag: wait for the write-out of the range to finish. */
    public static final int SYNC_FILE_RANGE_WAIT_AFTER = 4;
    /** Largest length {@link #syncFileRange} and {@link #fadvise} take (the SQE field is 32 bits); 0 means "to the end". */
    public static final long MAX_RANGE_LENGTH = 0xFFFF_FFFFL;

    private final FileIo io;
    private final Path path;
    private final boolean readable;
    private final boolean writable;
    private final String target;

    UringFile(SharedFd fd, Path path, boolean readable, boolean writable, boolean oDirect) {
        this(new UringFileIo(fd, path, oDirect), path, readable, writable);
    }

    UringFile(FileIo io, Path path, boolean readable, boolean writable) {
        this.io = io;
        this.path = path;
        this.readable = readable;
        this.writable = writable;
        this.target = path.toString();
    }

    /** The path this file was opened with (as given, not resolved), also the target named in its errors. */
    public Path path() {
        return path;
    }

    /** True when this file runs on io_uring; false on the NIO fallback. */
    public boolean isUring() {
        return io.isUring();
    }

    /**
     * The io_uring loop every op of this file runs on.
     *
     * @throws UnsupportedOperationException on the NIO fallback ({@link #isUring()} false): there is no loop
     */
    public UringLoop loop() {
        return io.loop();
    }

    /**
     * The io_uring descriptor, for operations of other modules on this file (such as
     * reactor-uring-net's {@code sendFile(SharedFd, position, count)}, which then need not open it
     * again); null on the NIO fallback, and null for a file in its loop's registered file table
     * ({@link #isDirectDescriptor()}, the default where the kernel has it), whose descriptor means
     * nothing outside that ring: open with {@link UringOpenOption#PLAIN_FD} to share it. Operations
     * that use it hold a reference while they run, so {@link #close()} waits for them; it stays this
     * file's to close.
     */
    public @Nullable SharedFd sharedFd() {
        SharedFd fd = io.sharedFd();
        return fd == null || fd.isDirect() ? null : fd;
    }

    /** The descriptor this file's own ops use, direct or not (null on the NIO fallback). */
    @Nullable SharedFd ringFd() {
        return io.sharedFd();
    }

    /**
     * True when the file lives in its loop's registered file table (a direct descriptor: no process
     * fd, every op carries IOSQE_FIXED_FILE, the close goes through the ring). Files opened on
     * io_uring are, by default, where the kernel supports it and the table has room; see
     * {@link UringOpenOption#PLAIN_FD}.
     */
    public boolean isDirectDescriptor() {
        SharedFd fd = io.sharedFd();
        return fd != null && fd.isDirect();
    }

    /** The pool {@link #readChunks} and {@link #writeAll} take buffers from. */
    BufferPool bufferPool() {
        return io.bufferPool();
    }

    /**
     * The raw descriptor, for diagnostics; it is closed by {@link #close()}, never by the caller.
     * -1 on the NIO fallback, which does not expose it, and for a {@linkplain #isDirectDescriptor()
     * direct descriptor}, which has none.
     */
    public int fd() {
        return io.fd();
    }

    /**
     * True when opened for reading; reads of a file opened without it fail with {@link java.nio.channels.NonReadableChannelException} before reaching the kernel.
     */
    public boolean isReadable() {
        return readable;
    }

    /**
     * True when opened for writing; writes of a file opened without it fail with {@link java.nio.channels.NonWritableChannelException} before reaching the kernel.
     */
    public boolean isWritable() {
        return writable;
    }

    /** True once {@link #close()} has been called. */
    public boolean isClosing() {
        return io.isClosing();
    }

    /**
     * Reads up to {@code dst.remaining()} bytes at file {@code position} into {@code dst} (direct,
     * writable), advancing its position by the count. Emits the count, {@code -1} at end of file,
     * or {@code 0} when {@code dst} has no room (without a kernel call). One read, which may be short.
     *
     * <p><b>Page-cached reads skip the loop.</b> Subscribed on a thread other than the file's loop,
     * the read is first tried right there, at subscription, as {@code preadv2} with
     * {@code RWF_NOWAIT}: the kernel does it only if it needs no I/O (the data is in the page cache)
     * and refuses otherwise, so the subscribing thread never waits for the device. A refused read
     * goes through the ring as usual. This saves the two thread hand-offs of a ring op (to the loop
     * and back), which dominate a small cached read: a {@code read(..).block()} costs about what a
     * {@code FileChannel.read} does. It needs a process fd: a file in the loop's registered file
     * table (the default; {@link #isDirectDescriptor()}) has none, so its first such read asks the
     * loop to install one (IORING_OP_FIXED_FD_INSTALL) and itself goes through the ring; later ones
     * use that fd, which only these reads use (every ring op keeps using the table's slot) and which
     * is closed with the file: such a file holds one more process fd from then on. If the install
     * fails (e.g. EMFILE), reads keep going through the ring. Never with
     * {@link UringOpenOption#DIRECT}. Such a read may be shorter than a ring read would have been
     * (only the cached part is read), and its result is emitted on the thread that requests it rather
     * than on the loop thread.
     */
    public Mono<Integer> read(ByteBuffer dst, long position) {
        checkReadInto(dst, "dst");
        checkPosition(position);
        checkReadable();
        return Mono.defer(() -> {
            int len = dst.remaining();
            if (len == 0) {
                return Mono.just(0);
            }
            int start = dst.position();
            // The buffer's position moves when the count is delivered, not before (a subscriber that
            // cancels first never learns it), on both paths.
            java.util.function.Function<Integer, Integer> delivered = n -> {
                if (n == 0) {
                    return -1;
                }
                dst.position(start + n);
                return n;
            };
            int now = io.readNow(dst, start, len, position);
            if (now >= 0) {
                return Mono.just(now).map(delivered);
            }
            return io.transfer(false, dst, start, len, position).map(delivered);
        });
    }

    /**
     * Writes up to {@code src.remaining()} bytes of {@code src} (direct) at file {@code position},
     * advancing its position by the count, and emits the count. One write, which may be short. On a
     * file opened with APPEND the kernel ignores {@code position} and appends.
     */
    public Mono<Integer> write(ByteBuffer src, long position) {
        Objects.requireNonNull(src, "src");
        checkDirect(src, "src");
        checkPosition(position);
        checkWritable();
        return storing(Mono.defer(() -> {
            int len = src.remaining();
            if (len == 0) {
                return Mono.just(0);
            }
            int start = src.position();
            return io.transfer(true, src, start, len, position).doOnNext(n -> src.position(start + n));
        }));
    }

    /**
     * Scattering read (IORING_OP_READV, preadv(2)): fills {@code dsts} in order with the bytes at
     * {@code position}, advancing each buffer's position by what it received. Emits the total count,
     * {@code -1} at end of file, or {@code 0} when no buffer has room (without a kernel call). One
     * read, which may be short. The iovec array lives in native memory freed once the kernel is done
     * with it. On the NIO fallback (which has no positional scatter) this is one read per buffer,
     * stopping at the first short one.
     *
     * @param dsts 1 to {@link #MAX_VECTORS} direct, writable buffers
     */
    public Mono<Long> readv(ByteBuffer[] dsts, long position) {
        checkVectors(dsts, "dsts", false);
        checkPosition(position);
        checkReadable();
        ByteBuffer[] bufs = dsts.clone();
        return Mono.defer(() -> {
            long want = remaining(bufs);
            if (want == 0) {
                return Mono.just(0L);
            }
            return io.transferVectored(false, bufs, position).map(n -> {
                if (n == 0) {
                    return -1L;
                }
                advance(bufs, n);
                return n;
            });
        });
    }

    /**
     * Gathering write (IORING_OP_WRITEV, pwritev(2)): writes the remaining bytes of {@code srcs} in
     * order at {@code position}, advancing each buffer's position by what was written, and emits the
     * total. One write, which may be short. On the NIO fallback this is one write per buffer.
     *
     * @param srcs 1 to {@link #MAX_VECTORS} direct buffers
     */
    public Mono<Long> writev(ByteBuffer[] srcs, long position) {
        checkVectors(srcs, "srcs", true);
        checkPosition(position);
        checkWritable();
        ByteBuffer[] bufs = srcs.clone();
        return storing(Mono.defer(() -> {
            if (remaining(bufs) == 0) {
                return Mono.just(0L);
            }
            return io.transferVectored(true, bufs, position).doOnNext(n -> advance(bufs, n));
        }));
    }

    private static long remaining(ByteBuffer[] bufs) {
        long total = 0;
        for (ByteBuffer b : bufs) {
            total += b.remaining();
        }
        return total;
    }

    private static void advance(ByteBuffer[] bufs, long count) {
        long left = count;
        for (ByteBuffer b : bufs) {
            int n = (int) Math.min(left, b.remaining());
            b.position(b.position() + n);
            left -= n;
        }
    }

    /**
     * Streams {@code length} bytes from {@code position} (or up to end of file, whichever comes
     * first; pass {@link Long#MAX_VALUE} for "to the end") as pooled buffers of at most
     * {@code chunkSize} bytes, in file order, each positioned at 0 with its limit at the byte count.
     * Every chunk is full except at end of file (short reads are retried). At most
     * {@code readAhead} reads are in flight or waiting for demand.
     *
     * <p>Reads are sized to what is left of the file, whatever {@code chunkSize} says: the file's
     * size is read once (statx) when the stream starts and no read asks for more than what is left
     * up to it, so a small file costs small buffers even with huge chunks. Past that size one read of
     * at most 64 KiB checks for more; only if the file grew (or reports no size, like a pipe) do full
     * chunks follow, after that one shorter chunk. A {@code length} of at most
     * {@code min(chunkSize, 64 KiB)} is read at once without asking for the size (one op for a small
     * file whose length the caller knows). Pooled memory is never zeroed, so even a huge chunk costs no
     * page touching before the kernel writes into it.
     *
     * <p>The subscriber owns each emitted buffer and must {@link PooledBuffer#release()} it once.
     * Buffers read ahead and not yet delivered are released on cancel or error, by this method,
     * exactly once, whatever hooks are installed. A buffer already handed to {@code onNext} belongs
     * downstream, including when a downstream operator drops it because a cancel raced with it on
     * another thread ({@code timeout}, {@code dispose()}): Reactor passes such values to
     * {@code Hooks.onNextDropped}, so install {@code Hooks.onNextDropped(PooledBuffer::releaseDropped)}
     * when cancelling from other threads (see {@link PooledBuffer}).
     */
    public Flux<PooledBuffer> readChunks(long position, long length, int chunkSize, int readAhead) {
        checkPosition(position);
        if (length < 0) {
            throw new IllegalArgumentException("length must be >= 0, was " + length);
        }
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunkSize must be > 0, was " + chunkSize);
        }
        if (readAhead <= 0) {
            throw new IllegalArgumentException("readAhead must be > 0, was " + readAhead);
        }
        checkReadable();
        long end = length > Long.MAX_VALUE - position ? Long.MAX_VALUE : position + length;
        return ChunkReader.read(io, position, end, chunkSize, readAhead);
    }

    /**
     * Writes every buffer of {@code source} in full, back to back starting at file
     * {@code position}, with at most {@code maxInFlight} writes in flight, and emits the total
     * byte count. Buffers may be heap or direct; with io_uring heap buffers are copied into pooled
     * native memory. Buffers' positions are not changed; do not modify them until the returned Mono
     * terminates. Short writes are continued. If a write fails, the Mono errors and the file content
     * past {@code position} is unspecified.
     */
    public Mono<Long> writeAll(Publisher<ByteBuffer> source, long position, int maxInFlight) {
        Objects.requireNonNull(source, "source");
        checkPosition(position);
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("maxInFlight must be > 0, was " + maxInFlight);
        }
        checkWritable();
        return storing(Mono.defer(() -> {
            long[] next = {position};
            // onNext is serial, so offsets are assigned in source order before writes run concurrently.
            return Flux.from(source)
                    .map(b -> {
                        Objects.requireNonNull(b, "source emitted null");
                        long off = next[0];
                        next[0] = Math.addExact(off, b.remaining());
                        return new Object[] {b, off};
                    })
                    .flatMap(p -> writeChunk((ByteBuffer) p[0], (long) p[1]), maxInFlight, 1)
                    .reduce(0L, (a, n) -> a + n);
        }));
    }

    private Mono<Integer> writeChunk(ByteBuffer src, long off) {
        int len = src.remaining();
        if (len == 0) {
            return Mono.just(0);
        }
        // NIO copies heap buffers itself; io_uring needs native memory.
        if (src.isDirect() || !io.isUring()) {
            return io.transferFully(true, src, src.position(), len, off, src, n -> n, () -> { });
        }
        return Mono.defer(() -> {
            PooledBuffer copy = io.bufferPool().acquire(len);
            copy.buffer().clear();
            copy.buffer().put(src.duplicate());
            return io.transferFully(true, copy.buffer(), 0, len, off, copy, n -> {
                copy.release();
                return n;
            }, copy::release);
        });
    }

    /** The file's size in bytes (statx on the open descriptor; NIO: the channel's size). */
    public Mono<Long> size() {
        return stat().map(FileStat::size);
    }

    /**
     * statx(STATX_BASIC_STATS) of the open descriptor. On the NIO fallback the size is the open
     * channel's and the other fields are read by path (so they follow a rename of the path).
     */
    public Mono<FileStat> stat() {
        return io.stat();
    }

    static FileStat parseStatx(ByteBuffer b) {
        return UringFileIo.parseStatx(b);
    }

    /**
     * Sets the file's length to {@code size} bytes, like ftruncate(2): longer files are cut, shorter ones
     * are extended with zeros. Uses IORING_OP_FTRUNCATE (Linux 6.9+); on older kernels the same call runs
     * on {@code Schedulers.boundedElastic()} through {@link java.io.RandomAccessFile#setLength}.
     *
     * @throws NonWritableChannelException (signalled) if the file was not opened for writing
     */
    public Mono<Void> truncate(long size) {
        if (size < 0) {
            return Mono.error(new IllegalArgumentException("size must be >= 0, was " + size));
        }
        if (!writable) {
            return Mono.error(new NonWritableChannelException());
        }
        return storing(io.truncate(size));
    }

    /** fsync(2): data and metadata reach stable storage. */
    public Mono<Void> fsync() {
        return io.sync(false);
    }

    /** fdatasync(2): data (and the metadata needed to read it back) reach stable storage. */
    public Mono<Void> fdatasync() {
        return io.sync(true);
    }

    /**
     * sync_file_range(2) (IORING_OP_SYNC_FILE_RANGE): starts and/or waits for write-out of the dirty
     * pages of {@code [offset, offset + length)}; {@code length} 0 means "to the end of the file".
     * Unlike {@link #fdatasync()} it does not flush metadata or the disk cache: it is a write-out
     * hint, not a durability guarantee. On the NIO fallback this is {@link #fdatasync()} (which does
     * at least as much).
     *
     * @param flags a combination of {@link #SYNC_FILE_RANGE_WAIT_BEFORE}, {@link #SYNC_FILE_RANGE_WRITE}
     *              and {@link #SYNC_FILE_RANGE_WAIT_AFTER}
     * @throws IllegalArgumentException      for a negative offset, a length outside 0..{@link #MAX_RANGE_LENGTH}
     *                                       or unknown flags
     * @throws UnsupportedOperationException if this kernel's io_uring lacks the opcode
     */
    public Mono<Void> syncFileRange(long offset, long length, int flags) {
        checkRange(offset, length);
        if ((flags & ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)) != 0) {
            throw new IllegalArgumentException("unknown sync_file_range flags: 0x" + Integer.toHexString(flags));
        }
        return io.syncFileRange(offset, length, flags);
    }

    /**
     * fallocate(2) (IORING_OP_FALLOCATE) on {@code [offset, offset + length)}: see {@link FallocateMode}.
     * On the NIO fallback (no fallocate) the visible effect is reproduced without the space
     * accounting: ALLOCATE extends the size, KEEP_SIZE does nothing, PUNCH_HOLE and the ZERO_RANGE
     * modes write zeros.
     *
     * @throws IllegalArgumentException      for a negative offset, a length {@code <= 0} or a range past {@code Long.MAX_VALUE}
     * @throws NonWritableChannelException   if the file was not opened for writing
     * @throws UnsupportedOperationException if this kernel's io_uring lacks the opcode
     */
    public Mono<Void> fallocate(FallocateMode mode, long offset, long length) {
        Objects.requireNonNull(mode, "mode");
        checkPosition(offset);
        if (length <= 0) {
            throw new IllegalArgumentException("length must be > 0, was " + length);
        }
        if (offset + length < 0) {
            throw new IllegalArgumentException("offset + length overflows: " + offset + " + " + length);
        }
        checkWritable();
        return storing(io.fallocate(mode, offset, length));
    }

    /**
     * posix_fadvise(2) (IORING_OP_FADVISE): tells the kernel how {@code [offset, offset + length)}
     * will be used; {@code length} 0 means "to the end of the file". A hint only: on the NIO fallback,
     * which has none, it just checks that the file is open.
     *
     * @throws IllegalArgumentException      for a negative offset or a length outside 0..{@link #MAX_RANGE_LENGTH}
     * @throws UnsupportedOperationException if this kernel's io_uring lacks the opcode
     */
    public Mono<Void> fadvise(long offset, long length, FileAdvice advice) {
        Objects.requireNonNull(advice, "advice");
        checkRange(offset, length);
        return io.fadvise(offset, length, advice);
    }

    /**
     * Closes the file once every op using it has completed (IORING_OP_CLOSE, or FileChannel.close).
     * Idempotent; ops started after the close began fail with
     * {@link java.nio.channels.ClosedChannelException}. Cancelling the returned Mono does not stop the close.
     */
    public Mono<Void> close() {
        return io.close();
    }

    @Override
    public String toString() {
        SharedFd fd = io.sharedFd();
        return "UringFile[" + target + (fd != null && fd.isDirect() ? ", direct " + fd.directIndex()
                : io.isUring() ? ", fd " + io.fd() : ", nio") + (io.isClosing() ? ", closed" : "")
                + "]";
    }

    /** Out-of-space and file-size errors as a FileSystemException naming the errno, on both back ends. */
    private static <T> Mono<T> storing(Mono<T> write) {
        return write.onErrorMap(FileErrors::refine);
    }

    private void checkReadable() {
        if (!readable) {
            throw new NonReadableChannelException();
        }
    }

    private void checkWritable() {
        if (!writable) {
            throw new NonWritableChannelException();
        }
    }

    static void checkPosition(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
    }

    private static void checkRange(long offset, long length) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, was " + offset);
        }
        if (length < 0 || length > MAX_RANGE_LENGTH) {
            throw new IllegalArgumentException("length must be in 0.." + MAX_RANGE_LENGTH + " (0 = to the end), was "
                    + length);
        }
    }

    private static void checkDirect(ByteBuffer b, String name) {
        if (!b.isDirect()) {
            throw new IllegalArgumentException(name + " must be a direct ByteBuffer: io_uring needs off-heap memory");
        }
    }

    private static void checkReadInto(ByteBuffer b, String name) {
        Objects.requireNonNull(b, name);
        checkDirect(b, name);
        if (b.isReadOnly()) {
            throw new IllegalArgumentException(name + " is read-only");
        }
    }

    private static void checkVectors(ByteBuffer[] bufs, String name, boolean write) {
        Objects.requireNonNull(bufs, name);
        if (bufs.length == 0 || bufs.length > MAX_VECTORS) {
            throw new IllegalArgumentException(name + " must hold 1.." + MAX_VECTORS + " buffers, held " + bufs.length);
        }
        long total = 0;
        for (int i = 0; i < bufs.length; i++) {
            String each = name + "[" + i + "]";
            if (write) {
                Objects.requireNonNull(bufs[i], each);
                checkDirect(bufs[i], each);
            } else {
                checkReadInto(bufs[i], each);
            }
            total += bufs[i].remaining();
        }
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " hold more than Integer.MAX_VALUE bytes: " + total);
        }
    }
}
