package io.reactoruring.file;

import io.reactoruring.core.buffer.PooledBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link UringFile#readChunks}: a file range as pooled chunks, in order, with read-ahead.
 *
 * <p><b>Sizing.</b> Reads are sized to what is left of the file, not to {@code chunkSize}: the size
 * is taken once (statx) when the stream starts, chunks up to it are {@code chunkSize} except the
 * last, which holds the rest. Past that size one probe read of at most {@link #PROBE} bytes checks
 * for more (a file that grew, or one that reports no size, such as a pipe or a /proc file); only if
 * it finds some do full chunks follow. So a 10-byte file read with 256 MiB chunks allocates a page
 * and a probe, not read-ahead times 256 MiB. A range no longer than {@code min(chunkSize, PROBE)} skips
 * the size: it is one read of the range (short reads retried up to EOF).
 *
 * <p><b>Ownership.</b> Inside the pipeline a completed read travels as a {@link Chunk} token, never
 * as a bare PooledBuffer, so no Reactor operator or global hook ({@code Hooks.onNextDropped}) can
 * release it behind our back. A token is "undelivered" until handed downstream; whoever removes it
 * from that set (delivery, a discard, or the final sweep) owns its buffer, so each buffer is
 * delivered or released exactly once. A read whose subscriber left before its result was claimed
 * releases the buffer itself ({@code Transfers.fully}'s abandon).
 */
final class ChunkReader {
    /** The largest read past the size seen at the start. */
    static final int PROBE = 64 * 1024;

    /** A completed read on its way downstream. */
    private static final class Chunk {
        final PooledBuffer buf;

        Chunk(PooledBuffer buf) {
            this.buf = buf;
        }
    }

    private final FileIo io;
    private final long position;
    private final long end;
    private final int chunkSize;
    private final int readAhead;
    /** Lowest offset known to be at or past EOF: stops generating reads there. */
    private final AtomicLong eof = new AtomicLong(Long.MAX_VALUE);
    private final Set<Chunk> undelivered = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean terminated = new AtomicBoolean();

    private ChunkReader(FileIo io, long position, long end, int chunkSize, int readAhead) {
        this.io = io;
        this.position = position;
        this.end = end;
        this.chunkSize = chunkSize;
        this.readAhead = readAhead;
    }

    static Flux<PooledBuffer> read(FileIo io, long position, long end, int chunkSize, int readAhead) {
        return Flux.defer(() -> new ChunkReader(io, position, end, chunkSize, readAhead).stream());
    }

    private Flux<PooledBuffer> stream() {
        // A range no longer than one probe (a small file served with its known length, a header) is one
        // read: asking for the size first would cost a statx (an io-wq round trip, three ops on a direct
        // descriptor) to save at most a probe's worth of buffer.
        Flux<Chunk> chunks = end - position <= Math.min(chunkSize, PROBE)
                ? range(position, end, chunkSize, 1)
                : sized();
        return chunks
                .<PooledBuffer>handle((c, sink) -> {
                    if (undelivered.remove(c)) {
                        sink.next(c.buf);
                    }
                })
                .doOnDiscard(Chunk.class, this::releaseIfOwned)
                .doFinally(signal -> {
                    terminated.set(true);
                    for (Chunk c : undelivered) {
                        releaseIfOwned(c);
                    }
                });
    }

    /** The range sized by the file's size at the start, then probed past it (see the class comment). */
    private Flux<Chunk> sized() {
        return io.stat()
                .flatMapMany(st -> {
                    long known = Math.min(end, Math.max(position, st.size()));
                    int probe = Math.min(chunkSize, PROBE);
                    return Flux.concat(
                            range(position, known, chunkSize, readAhead),
                            Flux.defer(() -> {
                                if (known >= Math.min(end, eof.get())) {
                                    return Flux.empty();
                                }
                                long probeEnd = Math.min(end, known + probe);
                                return range(known, probeEnd, probe, 1)
                                        .concatWith(Flux.defer(() -> probeEnd >= Math.min(end, eof.get())
                                                ? Flux.empty()
                                                : range(probeEnd, end, chunkSize, readAhead)));
                            }));
                });
    }

    /** Reads of {@code size} bytes (the last one shorter) over {@code [from, to)}, stopping at EOF. */
    private Flux<Chunk> range(long from, long to, int size, int ahead) {
        Flux<long[]> ranges = Flux.generate(() -> from, (off, sink) -> {
            long limit = Math.min(to, eof.get());
            if (off >= limit) {
                sink.complete();
                return off;
            }
            int len = (int) Math.min(size, limit - off);
            sink.next(new long[] {off, len});
            return off + len;
        });
        // A chunk past EOF completes empty instead of emitting an empty buffer: an element to drop
        // would need downstream demand, and the stream could stall before completing.
        return ranges.flatMapSequential(r -> readChunk(r[0], (int) r[1]), ahead, 1);
    }

    private Mono<Chunk> readChunk(long off, int len) {
        return Mono.defer(() -> {
            PooledBuffer buf = io.bufferPool().acquire(len);
            return io.transferFully(false, buf.buffer(), 0, len, off, buf, n -> {
                if (n < len) {
                    eof.accumulateAndGet(off + n, Math::min);
                }
                if (n == 0) {
                    buf.release();
                    return null;
                }
                buf.buffer().clear().limit(n);
                Chunk c = new Chunk(buf);
                undelivered.add(c);
                // The stream may have ended while this read was in flight: nobody will sweep again.
                if (terminated.get()) {
                    releaseIfOwned(c);
                    return null;
                }
                return c;
            }, buf::release);
        });
    }

    private void releaseIfOwned(Chunk c) {
        if (undelivered.remove(c)) {
            c.buf.release();
        }
    }
}
