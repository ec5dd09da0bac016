package io.reactoruring.file;

import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.Native;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * An open file on one io_uring loop. Obtain one from {@link UringFiles#open}.
 *
 * <p><b>Threads.</b> Every method returns a cold publisher: nothing reaches the kernel before
 * subscription, and all signals arrive on the file's {@linkplain #loop() loop thread}. Keep
 * downstream work short there, or {@code publishOn} another scheduler; {@code block()} on the loop
 * thread throws.
 *
 * <p><b>Misuse</b> that does not depend on timing (negative positions, heap or read-only buffers,
 * writing a file opened read-only) throws at call time, before anything is submitted. Using the
 * file after {@link #close()} errors with {@link java.nio.channels.ClosedChannelException}.
 *
 * <p><b>Cancellation.</b> {@link #read}, {@link #write}, {@link #size}, {@link #stat} and the syncs
 * send IORING_OP_ASYNC_CANCEL; the op keeps its memory and the fd referenced until its CQE. For
 * {@link #read}/{@link #write} that memory is the caller's buffer: after cancelling, the kernel may
 * still read or write it until the CQE, so do not reuse it for data you care about. The streaming
 * methods ({@link #readChunks}, {@link #writeAll}) cancel their ops in the kernel too and submit no
 * new op after cancellation; the pooled buffers they own are released once the kernel is done with
 * them (at each cancelled op's CQE), without waiting for the GC. Native copies of paths and statx
 * buffers are freed the same way.
 */
public final class UringFile {
    static final int STATX_BASIC_STATS = 0x7ff;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int IORING_FSYNC_DATASYNC = 1;
    static final int STATX_SIZE = 256;

    private final SharedFd fd;
    private final Path path;
    private final boolean readable;
    private final boolean writable;
    private final String target;

    UringFile(SharedFd fd, Path path, boolean readable, boolean writable) {
        this.fd = fd;
        this.path = path;
        this.readable = readable;
        this.writable = writable;
        this.target = path.toString();
    }

    public Path path() {
        return path;
    }

    public UringLoop loop() {
        return fd.loop();
    }

    /** The raw descriptor, for diagnostics; it is closed by {@link #close()}, never by the caller. */
    public int fd() {
        return fd.fd();
    }

    public boolean isReadable() {
        return readable;
    }

    public boolean isWritable() {
        return writable;
    }

    /** True once {@link #close()} has been called. */
    public boolean isClosing() {
        return fd.isClosing();
    }

    /**
     * Reads up to {@code dst.remaining()} bytes at file {@code position} into {@code dst} (direct,
     * writable), advancing its position by the count. Emits the count, {@code -1} at end of file,
     * or {@code 0} when {@code dst} has no room (without a kernel call). One read, which may be short.
     */
    public Mono<Integer> read(ByteBuffer dst, long position) {
        Objects.requireNonNull(dst, "dst");
        checkPosition(position);
        checkDirect(dst, "dst");
        if (dst.isReadOnly()) {
            throw new IllegalArgumentException("dst is read-only");
        }
        if (!readable) {
            throw new NonReadableChannelException();
        }
        return Mono.defer(() -> {
            int len = dst.remaining();
            if (len == 0) {
                return Mono.just(0);
            }
            int start = dst.position();
            Op op = Op.builder(Opcode.READ).fd(fd).addr(Native.addressOf(dst) + start).length(len).offset(position)
                    .keepAlive(dst).name("read").target(target).build();
            return fd.loop().submit(op).map(n -> {
                if (n == 0) {
                    return -1;
                }
                dst.position(start + n);
                return n;
            });
        });
    }

    /**
     * Writes up to {@code src.remaining()} bytes of {@code src} (direct) at file {@code position},
     * advancing its position by the count, and emits the count. One write, which may be short. On a
     * file opened with APPEND the kernel ignores {@code position} and appends.
     */
    public Mono<Integer> write(ByteBuffer src, long position) {
        Objects.requireNonNull(src, "src");
        checkPosition(position);
        checkDirect(src, "src");
        if (!writable) {
            throw new NonWritableChannelException();
        }
        return Mono.defer(() -> {
            int len = src.remaining();
            if (len == 0) {
                return Mono.just(0);
            }
            int start = src.position();
            Op op = Op.builder(Opcode.WRITE).fd(fd).addr(Native.addressOf(src) + start).length(len).offset(position)
                    .keepAlive(src).name("write").target(target).build();
            return fd.loop().submit(op).doOnNext(n -> src.position(start + n));
        });
    }

    /**
     * Streams {@code length} bytes from {@code position} (or up to end of file, whichever comes
     * first; pass {@link Long#MAX_VALUE} for "to the end") as pooled buffers of at most
     * {@code chunkSize} bytes, in file order, each positioned at 0 with its limit at the byte count.
     * Every chunk is full except at end of file (short reads are retried). At most
     * {@code readAhead} reads are in flight or waiting for demand.
     *
     * <p>The subscriber owns each emitted buffer and must {@link PooledBuffer#release()} it once.
     * Buffers read ahead and not yet delivered are released on cancel or error.
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
        if (!readable) {
            throw new NonReadableChannelException();
        }
        long end = length > Long.MAX_VALUE - position ? Long.MAX_VALUE : position + length;
        return Flux.defer(() -> {
            // Lowest offset known to be at or past EOF: stops generating reads there.
            AtomicLong eof = new AtomicLong(Long.MAX_VALUE);
            // Why our own bookkeeping: flatMapSequential (reactor-core 3.7) does not discard the
            // values queued in its inners on cancel, so doOnDiscard alone leaks read-ahead buffers.
            // A completed read is "undelivered" until handed downstream; whoever removes it from
            // this set (delivery, discard, or the final sweep) owns it, so each buffer is released
            // or delivered exactly once.
            Set<PooledBuffer> undelivered = ConcurrentHashMap.newKeySet();
            AtomicBoolean terminated = new AtomicBoolean();
            Flux<long[]> ranges = Flux.generate(() -> position, (off, sink) -> {
                long limit = Math.min(end, eof.get());
                if (off >= limit) {
                    sink.complete();
                    return off;
                }
                int len = (int) Math.min(chunkSize, end - off);
                sink.next(new long[] {off, len});
                return off + len;
            });
            return ranges
                    // A chunk past EOF completes empty instead of emitting an empty buffer: an element
                    // to drop would need downstream demand, and the stream could stall before completing.
                    .flatMapSequential(r -> readChunk(r[0], (int) r[1], eof, undelivered, terminated), readAhead, 1)
                    .<PooledBuffer>handle((b, sink) -> {
                        if (undelivered.remove(b)) {
                            sink.next(b);
                        }
                    })
                    .doOnDiscard(PooledBuffer.class, b -> releaseIfOwned(undelivered, b))
                    .doFinally(signal -> {
                        terminated.set(true);
                        for (PooledBuffer b : undelivered) {
                            releaseIfOwned(undelivered, b);
                        }
                    });
        });
    }

    private Mono<PooledBuffer> readChunk(long off, int len, AtomicLong eof, Set<PooledBuffer> undelivered,
            AtomicBoolean terminated) {
        return Mono.defer(() -> {
            PooledBuffer buf = fd.loop().bufferPool().acquire(len);
            return Transfer.fully(fd.loop(), fd, false, buf.address(), len, off, buf, target, n -> {
                if (n < len) {
                    eof.accumulateAndGet(off + n, Math::min);
                }
                if (n == 0) {
                    buf.release();
                    return null;
                }
                buf.buffer().clear().limit(n);
                undelivered.add(buf);
                // The stream may have ended while this read was in the kernel: nobody will sweep again.
                if (terminated.get()) {
                    releaseIfOwned(undelivered, buf);
                    return null;
                }
                return buf;
            }, buf::release);
        });
    }

    private static void releaseIfOwned(Set<PooledBuffer> undelivered, PooledBuffer b) {
        if (undelivered.remove(b)) {
            b.release();
        }
    }

    /**
     * Writes every buffer of {@code source} in full, back to back starting at file
     * {@code position}, with at most {@code maxInFlight} writes in the kernel, and emits the total
     * byte count. Buffers may be heap or direct; heap buffers are copied into pooled native memory.
     * Buffers' positions are not changed; do not modify them until the returned Mono terminates.
     * Short writes are continued. If a write fails, the Mono errors and the file content past
     * {@code position} is unspecified.
     */
    public Mono<Long> writeAll(Publisher<ByteBuffer> source, long position, int maxInFlight) {
        Objects.requireNonNull(source, "source");
        checkPosition(position);
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("maxInFlight must be > 0, was " + maxInFlight);
        }
        if (!writable) {
            throw new NonWritableChannelException();
        }
        return Mono.defer(() -> {
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
        });
    }

    private Mono<Integer> writeChunk(ByteBuffer src, long off) {
        int len = src.remaining();
        if (len == 0) {
            return Mono.just(0);
        }
        if (src.isDirect()) {
            long addr = Native.addressOf(src) + src.position();
            return Transfer.fully(fd.loop(), fd, true, addr, len, off, src, target, n -> n, () -> { });
        }
        return Mono.defer(() -> {
            PooledBuffer copy = fd.loop().bufferPool().acquire(len);
            copy.buffer().clear();
            copy.buffer().put(src.duplicate());
            return Transfer.fully(fd.loop(), fd, true, copy.address(), len, off, copy, target, n -> {
                copy.release();
                return n;
            }, copy::release);
        });
    }

    /** The file's size in bytes (statx on the open descriptor). */
    public Mono<Long> size() {
        return stat().map(FileStat::size);
    }

    /** statx(STATX_BASIC_STATS) of the open descriptor. */
    public Mono<FileStat> stat() {
        return Mono.defer(() -> {
            // statx buffer, then the empty path AT_EMPTY_PATH needs (already zero: NativeMemory zeroes).
            NativeBlock block = NativeBlock.allocate(STATX_SIZE + 8);
            Op op = Op.builder(Opcode.STATX).fd(fd).addr(block.address() + STATX_SIZE).length(STATX_BASIC_STATS)
                    .opFlags(AT_EMPTY_PATH).offset(block.address()).whenKernelDone(block::free).name("statx").target(target)
                    .build();
            // The hook frees the block only after the subscriber was signalled, so map can still read it.
            return fd.loop().submit(op).map(res -> parseStatx(block.buffer()));
        });
    }

    static FileStat parseStatx(ByteBuffer b) {
        long size = b.getLong(40);
        int mode = Short.toUnsignedInt(b.getShort(28));
        int blksize = b.getInt(4);
        long sec = b.getLong(112);
        int nsec = b.getInt(120);
        return new FileStat(size, mode, blksize, Instant.ofEpochSecond(sec, Integer.toUnsignedLong(nsec)));
    }

    /**
     * Sets the file's length to {@code size} bytes, like ftruncate(2): longer files are cut, shorter ones
     * are extended with zeros. Uses IORING_OP_FTRUNCATE (Linux 6.9+); on older kernels the same call runs
     * on {@link Schedulers#boundedElastic()} through {@link RandomAccessFile#setLength}.
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
        if (fd.loop().supports(Opcode.FTRUNCATE)) {
            return Mono.defer(() -> fd.loop()
                    .submit(Op.builder(Opcode.FTRUNCATE).fd(fd).offset(size).name("ftruncate").target(target).build())
                    .then());
        }
        return Mono.<Void>fromCallable(() -> {
            try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
                raf.setLength(size);
            }
            return null;
        }).subscribeOn(Schedulers.boundedElastic());
    }

    /** fsync(2): data and metadata reach stable storage. */
    public Mono<Void> fsync() {
        return sync(0, "fsync");
    }

    /** fdatasync(2): data (and the metadata needed to read it back) reach stable storage. */
    public Mono<Void> fdatasync() {
        return sync(IORING_FSYNC_DATASYNC, "fdatasync");
    }

    private Mono<Void> sync(int flags, String name) {
        return Mono.defer(() -> fd.loop()
                .submit(Op.builder(Opcode.FSYNC).fd(fd).opFlags(flags).name(name).target(target).build())
                .then());
    }

    /**
     * Closes the file once every op using it has completed (IORING_OP_CLOSE). Idempotent; ops started
     * after the close began fail with {@link java.nio.channels.ClosedChannelException}. Cancelling the
     * returned Mono does not stop the close.
     */
    public Mono<Void> close() {
        return Mono.defer(fd::close);
    }

    @Override
    public String toString() {
        return "UringFile[" + target + ", fd " + fd.fd() + (fd.isClosing() ? ", closed" : "") + "]";
    }

    static void checkPosition(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
    }

    private static void checkDirect(ByteBuffer b, String name) {
        if (!b.isDirect()) {
            throw new IllegalArgumentException(name + " must be a direct ByteBuffer: io_uring needs off-heap memory");
        }
    }
}
