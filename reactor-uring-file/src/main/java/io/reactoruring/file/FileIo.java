package io.reactoruring.file;

import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import java.nio.ByteBuffer;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * What an open {@link UringFile} runs its operations on: io_uring ({@link UringFileIo}) or, where
 * io_uring is unavailable, a {@link java.nio.channels.FileChannel} on a blocking scheduler
 * ({@link NioFileIo}). {@link UringFile} validates arguments and keeps the shared logic (streaming,
 * buffer positions); a back end only moves bytes and reports raw results.
 *
 * <p>Common contract: every method returns a cold publisher; memory passed in stays in use until
 * the operation is done with it (a cancelled op keeps it until the kernel or the blocked thread
 * returns); once {@link #close()} began, new ops fail with a
 * {@link java.nio.channels.ClosedChannelException} and the descriptor is closed after the last
 * in-flight op.
 */
interface FileIo {
    boolean isUring();

    /** The io_uring descriptor, or null for NIO. */
    @Nullable SharedFd sharedFd();

    /** The loop running the ops; NIO throws {@link UnsupportedOperationException}. */
    UringLoop loop();

    /** The raw descriptor, or -1 where the back end does not expose it (NIO). */
    int fd();

    /** Where pooled buffers of this file come from. */
    BufferPool bufferPool();

    boolean isClosing();

    /** One read or write of {@code buf[start, start + len)} at {@code position}; emits the raw count (0 = EOF for reads). */
    Mono<Integer> transfer(boolean write, ByteBuffer buf, int start, int len, long position);

    /**
     * The read {@link #transfer} would do, done at once on the calling thread if that cannot block
     * (page-cached data): the raw count (0 = EOF), or a negative value when nothing was read and the
     * caller must use {@link #transfer}. By default never (-1).
     */
    default int readNow(ByteBuffer buf, int start, int len, long position) {
        return -1;
    }

    /**
     * Transfers all {@code len} bytes (a read also stops at EOF), resubmitting short transfers.
     * Exactly one of {@code finish} (success, its result is emitted; null completes empty) or
     * {@code abandon} (error or cancel, once nothing touches the memory any more) is called.
     */
    <T> Mono<T> transferFully(boolean write, ByteBuffer buf, int start, int len, long position, Object keepAlive,
            IntFunction<@Nullable T> finish, Runnable abandon);

    /** One positional scattering read or gathering write over each buffer's remaining bytes; emits the raw total. */
    Mono<Long> transferVectored(boolean write, ByteBuffer[] buffers, long position);

    Mono<FileStat> stat();

    Mono<Void> truncate(long size);

    Mono<Void> sync(boolean dataOnly);

    Mono<Void> syncFileRange(long offset, long length, int flags);

    Mono<Void> fallocate(FallocateMode mode, long offset, long length);

    Mono<Void> fadvise(long offset, long length, FileAdvice advice);

    Mono<Void> close();
}
