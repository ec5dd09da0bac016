package io.reactoruring.spring;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.nio.ByteBuffer;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Files as Spring {@link DataBuffer} streams on io_uring: the reactor-uring counterpart of
 * {@code DataBufferUtils.read(Path, ...)} and {@code DataBufferUtils.write(Publisher, Path, ...)}.
 *
 * <p><b>No copy.</b> The kernel reads into pooled native memory of the file's loop, and that memory
 * is what the returned buffers expose: on Reactor Netty's {@code NettyDataBufferFactory} as
 * {@code NettyDataBuffer}s (which Spring hands to Netty as they are), for any other factory as
 * {@link org.springframework.core.io.buffer.PooledDataBuffer}s. The factory argument only selects
 * that form; nothing is allocated from it. Releasing a buffer ({@link DataBufferUtils#release})
 * returns its memory to the pool.
 *
 * <p><b>Demand.</b> Reads are issued as downstream demand arrives, with at most
 * {@code readAhead} chunks read in advance (in the kernel, or read and not yet requested). On
 * cancel or error the chunks read ahead are released once the kernel is done with them, and a
 * file these methods opened is closed (its descriptor is closed after the last in-flight op).
 *
 * <p><b>Threads.</b> Buffers are emitted on the file's io_uring loop thread; keep work there short.
 */
public final class UringDataBuffers {
    /** Default chunk size: 64 KiB, a pool size class and a good socket write size. */
    public static final int DEFAULT_CHUNK_SIZE = 64 * 1024;
    /** Default number of chunks read ahead of demand. */
    public static final int DEFAULT_READ_AHEAD = 2;

    private UringDataBuffers() {
    }

    /**
     * Streams {@code count} bytes of {@code path} from {@code position} ({@link Long#MAX_VALUE}
     * for "to the end"), opening the file on {@code loop} at subscription and closing it when the
     * stream terminates or is cancelled. The subscriber releases every buffer it receives.
     *
     * @param factory the exchange's factory ({@code response.bufferFactory()}): selects the buffer type
     */
    public static Flux<DataBuffer> read(UringLoop loop, Path path, long position, long count, DataBufferFactory factory,
                                        int chunkSize, int readAhead) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(factory, "factory");
        checkRange(position, count, chunkSize, readAhead);
        return Flux.usingWhen(UringFiles.open(loop, path, Set.of(StandardOpenOption.READ)),
                f -> read(f, position, count, factory, chunkSize, readAhead),
                UringFile::close);
    }

    /**
     * Streams {@code count} bytes of an open {@code file} from {@code position}; the file stays
     * open (the caller closes it). See the class comment for demand, release and threads.
     */
    public static Flux<DataBuffer> read(UringFile file, long position, long count, DataBufferFactory factory,
                                        int chunkSize, int readAhead) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(factory, "factory");
        checkRange(position, count, chunkSize, readAhead);
        PooledDataBufferAdapter adapter = PooledDataBufferAdapter.forFactory(factory);
        // map() is synchronous: a chunk is owned by readChunks until it is wrapped, then by the subscriber.
        return file.readChunks(position, count, chunkSize, readAhead).map(adapter::wrap);
    }

    private static void checkRange(long position, long count, int chunkSize, int readAhead) {
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, was " + count);
        }
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunkSize must be > 0, was " + chunkSize);
        }
        if (readAhead <= 0) {
            throw new IllegalArgumentException("readAhead must be > 0, was " + readAhead);
        }
    }

    /**
     * Writes every buffer of {@code source} back to back into {@code path} from offset 0, opening
     * it on {@code loop} with {@code options} (default: WRITE, CREATE, TRUNCATE_EXISTING) and
     * closing it at the end; emits the byte count. See {@link #write(Publisher, UringFile, long, int)}.
     */
    public static Mono<Long> write(Publisher<? extends DataBuffer> source, UringLoop loop, Path path, int maxInFlight,
                                   OpenOption... options) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        checkInFlight(maxInFlight);
        Set<OpenOption> opts = options.length == 0
                ? Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING)
                : Set.of(options);
        return Mono.usingWhen(UringFiles.open(loop, path, opts), f -> write(source, f, 0, maxInFlight), UringFile::close);
    }

    /**
     * {@link #write(Publisher, UringLoop, Path, int, OpenOption...)} on a loop of {@code group} (null: the
     * shared group), or, where io_uring cannot be used, through Spring's
     * {@link DataBufferUtils#write(Publisher, Path, OpenOption...)} after this module's one warning: the
     * same file content, byte count and buffer releases either way. For applications that take the
     * auto-configured group as {@code ObjectProvider<UringLoopGroup>.getIfAvailable()}.
     */
    public static Mono<Long> write(Publisher<? extends DataBuffer> source, @Nullable UringLoopGroup group, Path path,
                                   int maxInFlight, OpenOption... options) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        checkInFlight(maxInFlight);
        return Mono.defer(() -> {
            UringLoopGroup g = group != null ? group : UringGroups.sharedOrNull();
            if (g != null) {
                return write(source, g.next(), path, maxInFlight, options);
            }
            AtomicLong bytes = new AtomicLong();
            Flux<DataBuffer> counted = Flux.<DataBuffer>from(source).doOnNext(b -> bytes.addAndGet(b.readableByteCount()));
            return DataBufferUtils.write(counted, path, options).then(Mono.fromSupplier(bytes::get));
        });
    }

    /**
     * Writes every buffer of {@code source} back to back into {@code file} from {@code position},
     * with at most {@code maxInFlight} source buffers being written at once (the source is
     * requested only as writes finish), and emits the total byte count.
     *
     * <p>Each source buffer is released as soon as its bytes are written, or when the write fails
     * or is cancelled; buffers the source emits after an error or cancel are released through
     * Reactor's discard hook. Direct buffers are written from their own memory; heap buffers are
     * copied into pooled native memory first. After a cancel, the kernel may still read a released
     * buffer's memory until its cancelled write completes: the file's content is then unspecified,
     * but no memory is written.
     */
    public static Mono<Long> write(Publisher<? extends DataBuffer> source, UringFile file, long position,
                                   int maxInFlight) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(file, "file");
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        checkInFlight(maxInFlight);
        return Mono.defer(() -> {
            long[] next = {position};
            // flatMap calls the mapper in onNext order, so offsets follow the source order.
            return Flux.<DataBuffer>from(source)
                    .flatMap(b -> {
                        long off = next[0];
                        next[0] = Math.addExact(off, b.readableByteCount());
                        return writeOne(file, b, off);
                    }, maxInFlight, 1)
                    .reduce(0L, Long::sum)
                    .doOnDiscard(DataBuffer.class, DataBufferUtils::release);
        });
    }

    private static Mono<Long> writeOne(UringFile file, DataBuffer buffer, long offset) {
        return Mono.defer(() -> {
            DataBuffer.ByteBufferIterator views = buffer.readableByteBuffers();
            List<ByteBuffer> parts = new ArrayList<>(1);
            views.forEachRemaining(parts::add);
            AtomicBoolean done = new AtomicBoolean();
            Runnable release = () -> {
                if (done.compareAndSet(false, true)) {
                    views.close();
                    DataBufferUtils.release(buffer);
                }
            };
            // Released before the completion reaches flatMap, which then requests the next source
            // buffer: at most maxInFlight source buffers are ever held.
            return file.writeAll(Flux.fromIterable(parts), offset, 1)
                    .doOnTerminate(release)
                    .doOnCancel(release);
        });
    }

    private static void checkInFlight(int maxInFlight) {
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("maxInFlight must be > 0, was " + maxInFlight);
        }
    }
}
