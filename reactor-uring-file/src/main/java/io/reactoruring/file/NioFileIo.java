package io.reactoruring.file;

import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The NIO back end of {@link UringFile}, used where io_uring is unavailable: positional
 * {@link FileChannel} calls run as {@link BlockingCall}s on {@code Schedulers.boundedElastic()}.
 * Like {@link SharedFd}, each call holds a reference to the channel, so {@link #close()} closes it
 * only after the calls in progress have returned.
 */
final class NioFileIo implements FileIo {
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(64 * 1024).asReadOnlyBuffer();

    /** A positional channel call; runs with a reference held. */
    private interface ChannelCall<R> {
        R call(FileChannel ch) throws IOException;
    }

    private final FileChannel channel;
    private final Path path;
    private final String target;
    private final BufferPool pool;
    private final AtomicInteger refs = new AtomicInteger(1); // the owner's reference
    private final AtomicBoolean closing = new AtomicBoolean();
    private final Sinks.Empty<Void> closed = Sinks.empty();

    NioFileIo(FileChannel channel, Path path, BufferPool pool) {
        this.channel = channel;
        this.path = path;
        this.target = path.toString();
        this.pool = pool;
    }

    @Override
    public boolean isUring() {
        return false;
    }

    @Override
    public @Nullable SharedFd sharedFd() {
        return null;
    }

    @Override
    public UringLoop loop() {
        throw new UnsupportedOperationException("this file runs on the NIO fallback (io_uring unavailable: "
                + NioPathOps.unavailability() + "), not on an io_uring loop");
    }

    @Override
    public int fd() {
        return -1;
    }

    @Override
    public BufferPool bufferPool() {
        return pool;
    }

    @Override
    public boolean isClosing() {
        return closing.get();
    }

    /** Each call holds a reference to the channel from before its body to after its last hook. */
    private final BlockingCall.Gate gate = new BlockingCall.Gate() {
        @Override
        public boolean enter() {
            return tryAcquire();
        }

        @Override
        public void exit() {
            release();
        }
    };

    private <R> Mono<R> call(String name, ChannelCall<R> call) {
        return BlockingCall.of(name, target, gate, () -> call.call(channel));
    }

    private boolean tryAcquire() {
        for (;;) {
            int r = refs.get();
            if (r == 0 || closing.get()) {
                return false;
            }
            if (refs.compareAndSet(r, r + 1)) {
                return true;
            }
        }
    }

    private void release() {
        if (refs.decrementAndGet() == 0) {
            try {
                channel.close();
                closed.tryEmitEmpty();
            } catch (IOException e) {
                closed.tryEmitError(e);
            }
        }
    }

    private static ByteBuffer region(ByteBuffer buf, int start, int len) {
        return buf.duplicate().limit(start + len).position(start);
    }

    /** One pread/pwrite; 0 at end of file, like the kernel. */
    private static int once(FileChannel ch, boolean write, ByteBuffer region, long position) throws IOException {
        if (write) {
            return ch.write(region, position);
        }
        return Math.max(ch.read(region, position), 0);
    }

    @Override
    public Mono<Integer> transfer(boolean write, ByteBuffer buf, int start, int len, long position) {
        return call(write ? "write" : "read", ch -> once(ch, write, region(buf, start, len), position));
    }

    @Override
    public <T> Mono<T> transferFully(boolean write, ByteBuffer buf, int start, int len, long position,
            Object keepAlive, IntFunction<@Nullable T> finish, Runnable abandon) {
        BlockingCall.Body<Integer> body = () -> {
            FileChannel ch = channel;
            ByteBuffer region = region(buf, start, len);
            int done = 0;
            while (done < len) {
                int n = once(ch, write, region, position + done);
                if (n == 0) {
                    if (write) {
                        throw new IOException("write made no progress at offset " + (position + done) + " of " + target);
                    }
                    break;
                }
                done += n;
            }
            return done;
        };
        return new BlockingCall<Integer, T>(write ? "write" : "read", target, gate, body, finish::apply,
                n -> abandon.run(), abandon);
    }

    @Override
    public Mono<Long> transferVectored(boolean write, ByteBuffer[] buffers, long position) {
        // FileChannel has no positional scatter/gather: one pread/pwrite per buffer, stopping at a short one.
        return call(write ? "writev" : "readv", ch -> {
            long done = 0;
            for (ByteBuffer b : buffers) {
                int want = b.remaining();
                if (want == 0) {
                    continue;
                }
                int n = once(ch, write, b.duplicate(), position + done);
                done += n;
                if (n < want) {
                    break;
                }
            }
            return done;
        });
    }

    @Override
    public Mono<FileStat> stat() {
        return call("statx", ch -> NioPathOps.stat(path, ch.size()));
    }

    @Override
    public Mono<Void> truncate(long size) {
        return call("ftruncate", ch -> {
            long current = ch.size();
            if (size < current) {
                ch.truncate(size);
            } else if (size > current) {
                ch.write(ByteBuffer.allocate(1), size - 1); // extends with zeros, as ftruncate does
            }
            return (Void) null;
        }).then();
    }

    @Override
    public Mono<Void> sync(boolean dataOnly) {
        return call(dataOnly ? "fdatasync" : "fsync", ch -> {
            ch.force(!dataOnly);
            return (Void) null;
        }).then();
    }

    /** NIO has no sync_file_range: fdatasync writes out (and waits for) at least the range. */
    @Override
    public Mono<Void> syncFileRange(long offset, long length, int flags) {
        return sync(true);
    }

    @Override
    public Mono<Void> fallocate(FallocateMode mode, long offset, long length) {
        return call("fallocate", ch -> {
            long end = offset + length;
            long size = ch.size();
            // The observable effect of each mode, without its space accounting.
            if (mode == FallocateMode.PUNCH_HOLE || mode == FallocateMode.ZERO_RANGE
                    || mode == FallocateMode.ZERO_RANGE_KEEP_SIZE) {
                long zeroEnd = mode.keepsSize() ? Math.min(end, size) : end;
                for (long off = offset; off < zeroEnd; ) {
                    int n = ch.write(ZEROS.duplicate().limit((int) Math.min(ZEROS.capacity(), zeroEnd - off)), off);
                    off += n;
                }
            } else if (mode == FallocateMode.ALLOCATE && end > size) {
                ch.write(ByteBuffer.allocate(1), end - 1);
            }
            return (Void) null;
        }).then();
    }

    /** Advice is only a hint and NIO has no fadvise: checks the file is open, nothing else. */
    @Override
    public Mono<Void> fadvise(long offset, long length, FileAdvice advice) {
        return call("fadvise", ch -> (Void) null).then();
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(() -> {
            if (closing.compareAndSet(false, true)) {
                release();
            }
            return closed.asMono();
        });
    }
}
