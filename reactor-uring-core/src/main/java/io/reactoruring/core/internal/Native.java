package io.reactoruring.core.internal;

import java.nio.ByteBuffer;

/**
 * Every native entry point of reactor-uring, in one place. The C side (src/main/native) is thin
 * and policy-free; all decisions are made by the Java callers. Methods return {@code -errno} on
 * failure, as liburing does.
 *
 * <p>Internal API: used by reactor-uring modules, not by applications.
 */
public final class Native {

    // Op descriptor layout (struct rr_desc), written by Java, turned into SQEs by C.
    public static final int DESC_SIZE = 48;
    public static final int DESC_OPCODE = 0;
    public static final int DESC_SQE_FLAGS = 1;
    public static final int DESC_IOPRIO = 2;
    public static final int DESC_FD = 4;
    public static final int DESC_OFF = 8;
    public static final int DESC_ADDR = 16;
    public static final int DESC_LEN = 24;
    public static final int DESC_OP_FLAGS = 28;
    public static final int DESC_USER_DATA = 32;
    public static final int DESC_BUF_INDEX = 40;
    public static final int DESC_PERSONALITY = 42;
    public static final int DESC_FILE_INDEX = 44;

    // CQE copy layout (struct rr_cqe).
    public static final int CQE_SIZE = 16;
    public static final int CQE_USER_DATA = 0;
    public static final int CQE_RES = 8;
    public static final int CQE_FLAGS = 12;

    // enter() statistics, one long each.
    public static final int STAT_CONSUMED = 0;
    public static final int STAT_ENTERS = 1;
    public static final int STAT_OVERFLOW_FLUSHES = 2;
    public static final int STAT_BUSY = 3;
    public static final int STAT_MORE_READY = 4;
    public static final int STAT_SQ_FULL = 5;
    /** After a submit-only enter (waitNr -1) of at most 64 SQEs: how many of them completed inside it. */
    public static final int STAT_INLINE = 6;
    public static final int STAT_COUNT = 7;

    // ringOpen() out array.
    public static final int OPEN_FLAGS = 0;
    public static final int OPEN_FEATURES = 1;
    public static final int OPEN_SQ_ENTRIES = 2;
    public static final int OPEN_CQ_ENTRIES = 3;
    public static final int OPEN_RING_FD = 4;
    public static final int OPEN_RING_FD_REGISTERED = 5;
    public static final int OPEN_COUNT = 6;

    // probeSyscalls() stages: which io_uring syscall failed.
    public static final int PROBE_OK = 0;
    public static final int PROBE_SETUP = 1;
    public static final int PROBE_ENTER = 2;
    public static final int PROBE_REGISTER = 3;
    // probeSyscalls() out array.
    public static final int PROBE_OUT_ERRNO = 0;
    public static final int PROBE_OUT_FEATURES = 1;
    public static final int PROBE_OUT_COUNT = 2;

    private Native() {
    }

    /**
     * Loads the library (idempotent); throws {@link UnsatisfiedLinkError} with the reason, also
     * when the JVM refuses native access (JDK 22+), and the same error again on later calls.
     */
    public static void ensureLoaded() {
        NativeLibrary.load();
    }

    /** True when the library is (or can now be) loaded; never throws. */
    public static boolean isLoadable() {
        return NativeLibrary.isLoadable();
    }

    /**
     * Sets up a 4-entry ring, submits a NOP through io_uring_enter and waits for it, registers one
     * page as a fixed buffer, and tears all down: the {@code PROBE_*} stage that failed (0 for
     * none), with its errno in {@code out[PROBE_OUT_ERRNO]} and the ring's features in
     * {@code out[PROBE_OUT_FEATURES]}.
     */
    public static native int probeSyscalls(int[] out);

    /** The version the library was built for; must equal the jar's. */
    static native String libraryVersion();

    public static native long ringOpen(int sqEntries, int cqEntries, int setupFlags, int sqThreadIdleMs, int[] out);

    public static native void ringClose(long ring);

    public static native int enter(long ring, long descAddr, int count, long cqeAddr, int cqeCap,
                                   int waitNr, long timeoutNanos, long statsAddr);

    public static native int probe(long ring, byte[] supported);

    public static native int registerIowqMaxWorkers(long ring, int bounded, int unbounded);

    public static native int registerFilesSparse(long ring, int count);

    public static native int registerFilesUpdate(long ring, int offset, int[] fds);

    public static native int registerBuffers(long ring, long iovecAddr, int count);

    public static native int unregisterBuffers(long ring);

    /** io_uring_register_buffers_sparse: {@code count} empty fixed-buffer slots (kernel 5.19+); 0 or -errno. */
    public static native int registerBuffersSparse(long ring, int count);

    /**
     * io_uring_register_buffers_update_tag of one slot: {@code [addr, addr + len)} becomes fixed
     * buffer {@code index} ({@code 0, 0} empties the slot); 1 or -errno (ENOMEM: RLIMIT_MEMLOCK).
     */
    public static native int registerBufferUpdate(long ring, int index, long addr, long len);

    /** io_uring_register_file_alloc_range: IORING_FILE_INDEX_ALLOC allocates in {@code [offset, offset + len)}. */
    public static native int registerFileAllocRange(long ring, int offset, int len);

    public static native int eventfd();

    public static native int eventfdWrite(int fd);

    public static native int close(int fd);

    /** RWF_NOWAIT for {@link #preadv2}/{@link #pwritev2}: fail with -EAGAIN rather than block. */
    public static final int RWF_NOWAIT = 0x8;

    /** preadv2(2) of one buffer on the calling thread; bytes read or -errno. */
    public static native int preadv2(int fd, long addr, int len, long offset, int flags);

    /** pwritev2(2) of one buffer on the calling thread; bytes written or -errno. */
    public static native int pwritev2(int fd, long addr, int len, long offset, int flags);

    /** posix_memalign + zero fill; 0 when out of memory. Pair every call with {@link #free}. */
    public static native long allocate(long size, long alignment);

    /** posix_memalign without the zero fill (large blocks stay untouched, lazily mapped pages); 0 when out of memory. */
    public static native long allocateUninitialized(long size, long alignment);

    public static native void free(long address);

    /** A direct ByteBuffer view of native memory; it does not own the memory. */
    public static native ByteBuffer wrap(long address, int size);

    /** Address of a direct buffer's first byte (ignores position). */
    public static native long addressOf(ByteBuffer direct);

    /** RLIMIT_MEMLOCK soft limit in bytes, -1 for unlimited. */
    public static native long memlockLimit();

    /** Sets the RLIMIT_FSIZE soft limit of this process (negative: back to the hard limit). */
    public static native int setFileSizeLimit(long bytes);


    // Socket set-up syscalls (no io_uring opcode before Linux 6.11); for reactor-uring-net.

    /** socket(2) with SOCK_CLOEXEC added; fd or -errno. */
    public static native int socket(int domain, int type, int protocol);

    /** bind(2) to the sockaddr at {@code addr} of {@code len} bytes; 0 or -errno. */
    public static native int bind(int fd, long addr, int len);

    public static native int listen(int fd, int backlog);

    public static native int setsockoptInt(int fd, int level, int option, int value);

    /** getsockname(2) into {@code cap} bytes at {@code addr}; the address length or -errno. */
    public static native int getsockname(int fd, long addr, int cap);

    /** getsockopt(2) of an int option; the value (>= 0 for the options used) or -errno. */
    public static native int getsockoptInt(int fd, int level, int option);

    // Provided-buffer rings and splice (reactor-uring-net).

    /**
     * io_uring_register_buf_ring: {@code ringAddr} is page-aligned memory of {@code entries} (a power
     * of two) 16-byte struct io_uring_buf, owned by the caller until {@link #unregisterBufRing};
     * {@code flags} are the registration flags ({@code Opcode.IOU_PBUF_RING_INC}), -EINVAL where the
     * kernel does not know one.
     */
    public static native int registerBufRing(long ring, long ringAddr, int entries, int groupId, int flags);

    public static native int unregisterBufRing(long ring, int groupId);

    /** pipe2(2): {@code fds[0]} the read end, {@code fds[1]} the write end; 0 or -errno. */
    public static native int pipe2(int[] fds, int flags);

    /** fcntl(F_SETPIPE_SZ): grows a pipe to at least {@code bytes}; its new capacity, or -errno (EPERM past the user's limit). */
    public static native int setPipeSize(int fd, int bytes);
}
