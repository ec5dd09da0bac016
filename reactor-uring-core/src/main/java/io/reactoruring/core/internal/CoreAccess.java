package io.reactoruring.core.internal;

import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The non-public parts of core's public types that core's other packages and the file and net modules
 * need: adopting a file descriptor as a {@link SharedFd}, and a provided-buffer ring's allocation,
 * hand-over and release ({@link BufferRing}). Those members are package-private in their own classes so
 * that applications cannot call them; each class registers its implementation here from its static
 * initializer (the JDK's "shared secrets" pattern). Internal: this package is exported only to
 * {@code io.reactoruring.file} and {@code io.reactoruring.net}.
 */
public final class CoreAccess {
    /** {@link SharedFd}'s package-private constructor and reference counting. */
    public interface Fds {
        /**
         * See {@link CoreAccess#adoptFd}.
         *
         * @param fd an open file descriptor
         * @param loop the loop that closes it
         * @param description what it is, for errors and logs
         * @return its new owner
         */
        SharedFd adopt(int fd, UringLoop loop, String description);

        /**
         * See {@link CoreAccess#adoptDirectFd}.
         *
         * @param index the slot in {@code loop}'s file table
         * @param loop the loop whose ring holds it
         * @param description what it is, for errors and logs
         * @return its new owner
         */
        SharedFd adoptDirect(int index, UringLoop loop, String description);

        /**
         * See {@link CoreAccess#tryAcquire}.
         *
         * @param fd the fd
         * @return false when it is closed or closing
         */
        boolean tryAcquire(SharedFd fd);

        /**
         * See {@link CoreAccess#release}.
         *
         * @param fd the fd
         */
        void release(SharedFd fd);

        /**
         * {@link CoreAccess#readNowait}.
         *
         * @param fd a process fd or a direct descriptor
         * @param addr native memory of at least {@code len} bytes
         * @param len bytes to read
         * @param position file offset
         * @return bytes read, or a negative errno
         */
        int readNowait(SharedFd fd, long addr, int len, long position);
    }

    /** {@link BufferRing}'s package-private members. */
    public interface Rings {
        /**
         * See {@link CoreAccess#allocateRing}.
         *
         * @param entries buffers in the ring
         * @param bufferSize bytes per buffer
         * @param groupId the buffer group id
         * @param pool where the memory comes from
         * @param unregister called once, after the last release
         * @param onExhausted called per {@code -ENOBUFS}
         * @return the ring
         */
        BufferRing allocate(int entries, int bufferSize, int groupId, BufferPool pool, Consumer<BufferRing> unregister,
                Runnable onExhausted);

        /**
         * See {@link CoreAccess#take}.
         *
         * @param ring the ring
         * @param id the buffer id from the CQE
         * @param length the bytes the kernel wrote
         * @param whenBack run once the buffer is back in the ring, or null
         * @return the buffer, owned by the caller
         */
        PooledBuffer take(BufferRing ring, int id, int length, @Nullable Runnable whenBack);

        /**
         * See {@link CoreAccess#take(BufferRing, int, int, boolean, Runnable)}.
         *
         * @param ring the ring
         * @param id the buffer id from the CQE
         * @param length the bytes the kernel wrote
         * @param more the CQE carried IORING_CQE_F_BUF_MORE
         * @param whenBack run after the buffer's (or slice's) last release, or null
         * @return the buffer, owned by the caller
         */
        PooledBuffer take(BufferRing ring, int id, int length, boolean more, @Nullable Runnable whenBack);

        /**
         * See {@link CoreAccess#incremental}.
         *
         * @param ring the ring
         * @param incremental registered with IOU_PBUF_RING_INC
         */
        void incremental(BufferRing ring, boolean incremental);

        /**
         * See {@link CoreAccess#free}.
         *
         * @param ring the ring
         */
        void free(BufferRing ring);
    }

    /** {@link PooledBuffer}'s lending (reactor-uring-net's {@code receive()} convention). */
    public interface Buffers {
        /**
         * See {@link CoreAccess#lend}.
         *
         * @param buffer the buffer
         * @param onNext who borrows it
         */
        void lend(PooledBuffer buffer, java.util.function.Consumer<? super PooledBuffer> onNext);

        /**
         * See {@link CoreAccess#adopt}.
         *
         * @param buffer the buffer
         * @return the buffer
         */
        PooledBuffer adopt(PooledBuffer buffer);
    }

    private static volatile @Nullable Buffers buffers;
    private static volatile @Nullable Fds fds;
    private static volatile @Nullable Rings rings;

    private CoreAccess() {
    }

    /**
     * Called once by {@link SharedFd}'s static initializer.
     *
     * @param f the implementation
     */
    public static void register(Fds f) {
        fds = f;
    }

    /**
     * Called once by {@link PooledBuffer}'s static initializer.
     *
     * @param b the implementation
     */
    public static void register(Buffers b) {
        buffers = b;
    }

    /**
     * Lends {@code buffer} to {@code onNext} (typically a subscriber's): the caller's reference is
     * released as soon as {@code onNext} returns (or throws), unless {@code onNext} passed the buffer
     * to something that {@linkplain #adopt adopted} that reference; whoever wants the buffer beyond
     * {@code onNext} calls {@link PooledBuffer#retain()} in it. A release inside {@code onNext} of a
     * reference it did not retain makes the lender's release a double release: counted
     * ({@link PooledBuffer#doubleReleases()}) and logged once at WARN, not thrown. The caller must
     * hold the buffer's only reference.
     *
     * @param buffer the buffer, holding the caller's reference
     * @param onNext who borrows it
     * @throws IllegalStateException if the buffer is already released, or already being lent
     */
    public static void lend(PooledBuffer buffer, java.util.function.Consumer<? super PooledBuffer> onNext) {
        buffers().lend(buffer, onNext);
    }

    /**
     * For APIs that take ownership of the buffers they are given (reactor-uring-net's
     * {@code sendPooled}): if {@code buffer} is being {@linkplain #lend lent} and the lender's is its
     * only reference, the caller takes that one over (the lender then does not release it);
     * otherwise the caller is given the reference its source owned (acquired or retained).
     *
     * @param buffer the buffer
     * @return {@code buffer}
     * @throws IllegalStateException if the buffer is already released (for example a lent buffer
     *         that an operator such as {@code publishOn} held past {@code onNext} without retaining it)
     */
    public static PooledBuffer adopt(PooledBuffer buffer) {
        return buffers().adopt(buffer);
    }

    private static Buffers buffers() {
        Buffers b = buffers;
        if (b == null) {
            initialize(PooledBuffer.class);
            b = buffers;
        }
        return b;
    }

    /**
     * Called once by {@link BufferRing}'s static initializer.
     *
     * @param r the implementation
     */
    public static void register(Rings r) {
        rings = r;
    }

    /**
     * Wraps {@code fd} as a {@link SharedFd} that now owns it: it is closed exactly once, through
     * {@code loop} (IORING_OP_CLOSE after the last op using it, close(2) if the loop is gone). The
     * caller must not close {@code fd} itself. Any thread.
     *
     * @param fd an open file descriptor, {@code >= 0}
     * @param loop the loop whose ops use it and which closes it
     * @param description what it is ("file /tmp/x", "listen 0.0.0.0:8080"), for errors and logs
     * @return the fd's owner
     * @throws IllegalArgumentException if {@code fd < 0}
     */
    public static SharedFd adoptFd(int fd, UringLoop loop, String description) {
        return fds().adopt(fd, loop, description);
    }

    /**
     * Wraps the direct descriptor in slot {@code index} of {@code loop}'s registered file table (an
     * OPENAT with IORING_FILE_INDEX_ALLOC created it) as a {@link SharedFd} that now owns it. Ops built
     * with {@code Op.Builder.fd(SharedFd)} then carry IOSQE_FIXED_FILE; they must run on {@code loop}
     * (the slot means nothing to another ring: submitting one elsewhere throws), and the close is
     * IORING_OP_CLOSE of the slot. It has no process fd: {@link SharedFd#fd()} throws. Any thread.
     *
     * @param index the slot, {@code >= 0}
     * @param loop the loop whose ring holds it and whose ops use it
     * @param description what it is, for errors and logs
     * @return the descriptor's owner
     */
    public static SharedFd adoptDirectFd(int index, UringLoop loop, String description) {
        return fds().adoptDirect(index, loop, description);
    }

    private static Fds fds() {
        Fds f = fds;
        if (f == null) {
            initialize(SharedFd.class);
            f = fds;
        }
        return f;
    }

    /**
     * Takes a reference on {@code fd} for an op that uses it other than as the op's own fd (e.g. a
     * splice's input): the fd stays open until {@link #release} however soon its owner closes it.
     * (An op's own fd, {@code Op.Builder.fd(SharedFd)}, is referenced by the op itself.) Any thread.
     *
     * @param fd the fd
     * @return false when the fd is closed or closing: then nothing was taken, and the op must fail
     *         with a {@link java.nio.channels.ClosedChannelException} before reaching the kernel
     */
    public static boolean tryAcquire(SharedFd fd) {
        return fds().tryAcquire(fd);
    }

    /**
     * Drops a reference taken by {@link #tryAcquire}, once the kernel is done with the fd (the op's
     * terminal CQE); the last reference closes the fd. Any thread; exactly once per successful
     * {@link #tryAcquire}.
     *
     * @param fd the fd
     * @throws IllegalStateException if released more often than acquired
     */
    public static void release(SharedFd fd) {
        fds().release(fd);
    }

    /**
     * A read of page-cached data on the calling thread, never a blocking one: {@code preadv2} of
     * {@code len} bytes at {@code position} into {@code addr} with {@code RWF_NOWAIT}, keeping the
     * process fd open for the call (a concurrent close waits for it). For reads that would
     * otherwise cross to the loop thread and back: when the data is in the page cache this costs
     * one system call and no thread wake-up. Any thread.
     *
     * <p>A {@linkplain SharedFd#isDirect() direct descriptor} has no process fd of its own: the first
     * call asks its loop to install one (IORING_OP_FIXED_FD_INSTALL; the descriptor's <em>shadow</em>,
     * one more process fd, closed with the descriptor) and returns {@code -EAGAIN} without waiting;
     * once the shadow is installed, calls read through it. Ops keep using the slot.
     *
     * @param fd a process fd or a direct descriptor
     * @param addr native memory of at least {@code len} bytes
     * @param len bytes to read, {@code > 0}
     * @param position file offset, {@code >= 0}
     * @return bytes read ({@code 0} at end of file; possibly fewer than {@code len}, e.g. when only
     *         part of the range is cached), or a negative errno when nothing was read and the caller
     *         must take the ring: {@code -EAGAIN} (not cached, or a direct descriptor's shadow not
     *         installed yet), {@code -EOPNOTSUPP} (the file does not support RWF_NOWAIT, or a direct
     *         descriptor's shadow could not be installed: asking again is useless), {@code -EBADF} (the
     *         fd is closing), or any other error, which the ring's op then reports as usual
     */
    public static int readNowait(SharedFd fd, long addr, int len, long position) {
        return fds().readNowait(fd, addr, len, position);
    }

    /**
     * Allocates a provided-buffer ring from {@code pool}, every buffer handed to the kernel: for
     * {@code UringLoop}, which registers it. Any thread.
     *
     * @param entries buffers in the ring, a power of two in 1..32768
     * @param bufferSize bytes per buffer, {@code > 0}; the total below 2 GiB
     * @param groupId the buffer group id, 0..65535
     * @param pool where the ring array and the buffers come from
     * @param unregister called once, after the ring's last release
     * @param onExhausted called per {@code -ENOBUFS} completion recorded on the ring
     * @return the ring, holding its creator's reference
     * @throws IllegalArgumentException for a shape outside those bounds
     */
    public static BufferRing allocateRing(int entries, int bufferSize, int groupId, BufferPool pool,
            Consumer<BufferRing> unregister, Runnable onExhausted) {
        return rings().allocate(entries, bufferSize, groupId, pool, unregister, onExhausted);
    }

    /**
     * Takes buffer {@code id} of {@code ring}, which a CQE with {@code IORING_CQE_F_BUFFER} just handed
     * to Java with {@code length} bytes written, as a {@link PooledBuffer} (position 0, limit
     * {@code length}) owned by the caller: its last {@link PooledBuffer#release()}, on any thread, puts
     * it back into the ring and then runs {@code whenBack}. Call once per such CQE, on the loop thread
     * that reaped it.
     *
     * @param ring the ring the CQE's buffer group names
     * @param id the buffer id from the CQE's flags
     * @param length the bytes the kernel wrote (the CQE's {@code res})
     * @param whenBack run on the releasing thread once the buffer is back in the ring, or null
     * @return the buffer, owned by the caller
     * @throws IllegalArgumentException for an id out of range or a length above the buffer size
     * @throws IllegalStateException if the buffer is already taken (the kernel and Java disagree), or the ring is
     *         incremental (take its completions with {@link #take(BufferRing, int, int, boolean, Runnable)})
     */
    public static PooledBuffer take(BufferRing ring, int id, int length, @Nullable Runnable whenBack) {
        return rings().take(ring, id, length, whenBack);
    }

    /**
     * {@link #take(BufferRing, int, int, Runnable)} for any ring, incremental or not: {@code more} is
     * whether the CQE carried {@code IORING_CQE_F_BUF_MORE}. On an incremental ring the result is a
     * new PooledBuffer over just the {@code length} bytes this completion delivered (following what
     * earlier completions of the id delivered); its last release runs {@code whenBack}, and the buffer
     * goes back into the ring once the kernel is done with it and no slice of it is held. Loop thread
     * that reaped the CQE only.
     *
     * @param ring the ring the CQE's buffer group names
     * @param id the buffer id from the CQE's flags
     * @param length the bytes the kernel wrote (the CQE's {@code res})
     * @param more the CQE carried {@code IORING_CQE_F_BUF_MORE}
     * @param whenBack run on the releasing thread after the buffer's (or slice's) last release, or null
     * @return the buffer, owned by the caller
     * @throws IllegalArgumentException for an id out of range or a length beyond the buffer
     * @throws IllegalStateException if the buffer is already taken, or BUF_MORE on a ring that is not incremental
     */
    public static PooledBuffer take(BufferRing ring, int id, int length, boolean more, @Nullable Runnable whenBack) {
        return rings().take(ring, id, length, more, whenBack);
    }

    /**
     * For the loop that registers {@code ring}, before anyone else sees it: whether the kernel accepted
     * it with {@code IOU_PBUF_RING_INC}.
     *
     * @param ring the ring
     * @param incremental registered with incremental consumption
     */
    public static void incremental(BufferRing ring, boolean incremental) {
        rings().incremental(ring, incremental);
    }

    /**
     * Returns a ring's memory to its pool (idempotent): for the loop, once the ring's last reference is
     * gone and the kernel has dropped the registration.
     *
     * @param ring the ring
     * @throws IllegalStateException if the ring is still referenced
     */
    public static void free(BufferRing ring) {
        rings().free(ring);
    }

    private static Rings rings() {
        Rings r = rings;
        if (r == null) {
            initialize(BufferRing.class);
            r = rings;
        }
        return r;
    }

    private static void initialize(Class<?> c) {
        try {
            Class.forName(c.getName(), true, c.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
