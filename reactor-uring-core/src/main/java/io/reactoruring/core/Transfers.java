package io.reactoruring.core;

import java.util.Objects;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Whole reads and writes of native memory as one {@code Mono}, for the modules above core that
 * stream pooled buffers (files, sockets).
 *
 * <p>Threads: the returned Mono may be subscribed from any thread; the transfer's ops run on
 * {@code loop} and every signal and callback arrives on its thread. Not for applications: the
 * ownership hand-over through {@code finish}/{@code abandon} is what the file and net modules build
 * their buffer contracts on.
 */
public final class Transfers {
    private Transfers() {
    }

    /**
     * Reads ({@code write} false) or writes {@code len} bytes at {@code addr} and file offset
     * {@code off} on {@code fd}, resubmitting short transfers for the rest (a read also stops at end
     * of file), as one cold Mono; each subscription transfers once.
     *
     * <p>The memory is {@code keepAlive}'s and belongs to the kernel until the last SQE's terminal
     * CQE. At the end exactly one of two callbacks runs, once, on the loop thread:
     * <ul>
     * <li>{@code finish(bytesTransferred)}: the transfer succeeded and the subscriber has not
     * cancelled; its value is emitted (null completes empty), so the subscriber owns what it carries.</li>
     * <li>{@code abandon}: error, rejection or cancel, once the kernel is done with the memory (after
     * the terminal CQE of an op that reached the kernel). The owner releases the memory here. The
     * error, if the subscriber is still there, is signalled after {@code abandon}.</li>
     * </ul>
     * A cancel racing with the last completion is decided atomically: either the subscriber gets the
     * value or {@code abandon} runs, never both, never neither. Cancelling sends IORING_OP_ASYNC_CANCEL
     * and submits no further op. If the loop is disposed while the kernel still holds the memory and
     * does not complete it within the shutdown timeout, neither runs: the memory is leaked on purpose.
     */
    public static <T> Mono<T> fully(UringLoop loop, SharedFd fd, boolean write, long addr, int len, long off,
            Object keepAlive, String target, IntFunction<@Nullable T> finish, Runnable abandon) {
        Objects.requireNonNull(loop, "loop");
        if (len <= 0) {
            throw new IllegalArgumentException("len must be > 0, was " + len);
        }
        if (off < 0) {
            throw new IllegalArgumentException("offset must be >= 0, was " + off);
        }
        if (fd.isDirect() && fd.loop() != loop) {
            throw new IllegalArgumentException(fd + " is a direct descriptor of " + fd.loop().name()
                    + " and cannot be used on " + loop.name());
        }
        return new TransferOp.Publisher<>(loop, new Spec<>(Objects.requireNonNull(fd, "fd"), write, addr, len, off,
                Objects.requireNonNull(keepAlive, "keepAlive"), Objects.requireNonNull(target, "target"),
                Objects.requireNonNull(finish, "finish"), Objects.requireNonNull(abandon, "abandon")));
    }

    /** What one transfer moves and who gets the memory afterwards. */
    static final class Spec<T> {
        final SharedFd fd;
        final boolean write;
        final long addr;
        final int len;
        final long off;
        final Object keepAlive;
        final String target;
        final IntFunction<@Nullable T> finish;
        final Runnable abandon;

        Spec(SharedFd fd, boolean write, long addr, int len, long off, Object keepAlive, String target,
                IntFunction<@Nullable T> finish, Runnable abandon) {
            this.fd = fd;
            this.write = write;
            this.addr = addr;
            this.len = len;
            this.off = off;
            this.keepAlive = keepAlive;
            this.target = target;
            this.finish = finish;
            this.abandon = abandon;
        }
    }
}
