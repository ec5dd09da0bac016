package io.reactoruring.core;

/**
 * io_uring opcodes ({@code enum io_uring_op} of the kernel UAPI) and the SQE/CQE flag bits the
 * Java side needs. Values are kernel ABI and never change. Whether the running kernel has an opcode
 * is {@link UringLoop#supports(int)}; an op whose opcode it lacks fails with {@code -EINVAL}
 * ({@code UringException}, errno {@code EINVAL}). Constants only; no state.
 */
public final class Opcode {
    /** {@code IORING_OP_NOP} (0). */
    public static final int NOP = 0;
    /** {@code IORING_OP_READV} (1). */
    public static final int READV = 1;
    /** {@code IORING_OP_WRITEV} (2). */
    public static final int WRITEV = 2;
    /** {@code IORING_OP_FSYNC} (3). */
    public static final int FSYNC = 3;
    /** {@code IORING_OP_READ_FIXED} (4). */
    public static final int READ_FIXED = 4;
    /** {@code IORING_OP_WRITE_FIXED} (5). */
    public static final int WRITE_FIXED = 5;
    /** {@code IORING_OP_POLL_ADD} (6). */
    public static final int POLL_ADD = 6;
    /** {@code IORING_OP_POLL_REMOVE} (7). */
    public static final int POLL_REMOVE = 7;
    /** {@code IORING_OP_SYNC_FILE_RANGE} (8). */
    public static final int SYNC_FILE_RANGE = 8;
    /** {@code IORING_OP_SENDMSG} (9). */
    public static final int SENDMSG = 9;
    /** {@code IORING_OP_RECVMSG} (10). */
    public static final int RECVMSG = 10;
    /** {@code IORING_OP_TIMEOUT} (11). */
    public static final int TIMEOUT = 11;
    /** {@code IORING_OP_TIMEOUT_REMOVE} (12). */
    public static final int TIMEOUT_REMOVE = 12;
    /** {@code IORING_OP_ACCEPT} (13). */
    public static final int ACCEPT = 13;
    /** {@code IORING_OP_ASYNC_CANCEL} (14). */
    public static final int ASYNC_CANCEL = 14;
    /** {@code IORING_OP_LINK_TIMEOUT} (15). */
    public static final int LINK_TIMEOUT = 15;
    /** {@code IORING_OP_CONNECT} (16). */
    public static final int CONNECT = 16;
    /** {@code IORING_OP_FALLOCATE} (17). */
    public static final int FALLOCATE = 17;
    /** {@code IORING_OP_OPENAT} (18). */
    public static final int OPENAT = 18;
    /** {@code IORING_OP_CLOSE} (19). */
    public static final int CLOSE = 19;
    /** {@code IORING_OP_FILES_UPDATE} (20). */
    public static final int FILES_UPDATE = 20;
    /** {@code IORING_OP_STATX} (21). */
    public static final int STATX = 21;
    /** {@code IORING_OP_READ} (22). */
    public static final int READ = 22;
    /** {@code IORING_OP_WRITE} (23). */
    public static final int WRITE = 23;
    /** {@code IORING_OP_FADVISE} (24). */
    public static final int FADVISE = 24;
    /** {@code IORING_OP_MADVISE} (25). */
    public static final int MADVISE = 25;
    /** {@code IORING_OP_SEND} (26). */
    public static final int SEND = 26;
    /** {@code IORING_OP_RECV} (27). */
    public static final int RECV = 27;
    /** {@code IORING_OP_OPENAT2} (28). */
    public static final int OPENAT2 = 28;
    /** {@code IORING_OP_EPOLL_CTL} (29). */
    public static final int EPOLL_CTL = 29;
    /** {@code IORING_OP_SPLICE} (30). */
    public static final int SPLICE = 30;
    /** {@code IORING_OP_PROVIDE_BUFFERS} (31). */
    public static final int PROVIDE_BUFFERS = 31;
    /** {@code IORING_OP_REMOVE_BUFFERS} (32). */
    public static final int REMOVE_BUFFERS = 32;
    /** {@code IORING_OP_TEE} (33). */
    public static final int TEE = 33;
    /** {@code IORING_OP_SHUTDOWN} (34). */
    public static final int SHUTDOWN = 34;
    /** {@code IORING_OP_RENAMEAT} (35). */
    public static final int RENAMEAT = 35;
    /** {@code IORING_OP_UNLINKAT} (36). */
    public static final int UNLINKAT = 36;
    /** {@code IORING_OP_MKDIRAT} (37). */
    public static final int MKDIRAT = 37;
    /** {@code IORING_OP_SYMLINKAT} (38). */
    public static final int SYMLINKAT = 38;
    /** {@code IORING_OP_LINKAT} (39). */
    public static final int LINKAT = 39;
    /** {@code IORING_OP_MSG_RING} (40). */
    public static final int MSG_RING = 40;
    /** {@code IORING_OP_FSETXATTR} (41). */
    public static final int FSETXATTR = 41;
    /** {@code IORING_OP_SETXATTR} (42). */
    public static final int SETXATTR = 42;
    /** {@code IORING_OP_FGETXATTR} (43). */
    public static final int FGETXATTR = 43;
    /** {@code IORING_OP_GETXATTR} (44). */
    public static final int GETXATTR = 44;
    /** {@code IORING_OP_SOCKET} (45). */
    public static final int SOCKET = 45;
    /** {@code IORING_OP_URING_CMD} (46). */
    public static final int URING_CMD = 46;
    /** {@code IORING_OP_SEND_ZC} (47). */
    public static final int SEND_ZC = 47;
    /** {@code IORING_OP_SENDMSG_ZC} (48). */
    public static final int SENDMSG_ZC = 48;
    /** {@code IORING_OP_READ_MULTISHOT} (49). */
    public static final int READ_MULTISHOT = 49;
    /** {@code IORING_OP_WAITID} (50). */
    public static final int WAITID = 50;
    /** {@code IORING_OP_FUTEX_WAIT} (51). */
    public static final int FUTEX_WAIT = 51;
    /** {@code IORING_OP_FUTEX_WAKE} (52). */
    public static final int FUTEX_WAKE = 52;
    /** {@code IORING_OP_FUTEX_WAITV} (53). */
    public static final int FUTEX_WAITV = 53;
    /** {@code IORING_OP_FIXED_FD_INSTALL} (54). */
    public static final int FIXED_FD_INSTALL = 54;
    /** {@code IORING_OP_FTRUNCATE} (55). */
    public static final int FTRUNCATE = 55;

    /** Number of opcode slots {@link UringLoop#supports(int)} can answer for. */
    public static final int LAST_KNOWN = 64;

    // SQE flags (sqe->flags).
    /** {@code fd} is an index into the ring's registered files, not a file descriptor. */
    public static final int IOSQE_FIXED_FILE = 1;
    /** Starts only after every earlier SQE has completed. */
    public static final int IOSQE_IO_DRAIN = 1 << 1;
    /** The next SQE starts only after this one succeeds; a failure cancels the rest of the chain ({@code -ECANCELED}). */
    public static final int IOSQE_IO_LINK = 1 << 2;
    /** Like {@link #IOSQE_IO_LINK}, but the chain continues whatever this SQE's result. */
    public static final int IOSQE_IO_HARDLINK = 1 << 3;
    /** Go straight to an io-wq worker instead of trying non-blocking first (not used by default: io-wq threads are capped). */
    public static final int IOSQE_ASYNC = 1 << 4;
    /** The kernel picks the buffer from the provided-buffer group named by the SQE's {@code buf_group}. */
    public static final int IOSQE_BUFFER_SELECT = 1 << 5;
    /** No CQE when the op succeeds (failures still post one). */
    public static final int IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    // CQE flags.
    /** The CQE carries a provided buffer's id in its upper 16 bits ({@link #IORING_CQE_BUFFER_SHIFT}). */
    public static final int IORING_CQE_F_BUFFER = 1;
    /** A multishot op is still armed: more CQEs follow. Its absence ends the op. */
    public static final int IORING_CQE_F_MORE = 1 << 1;
    /** The socket had more data to read after this receive. */
    public static final int IORING_CQE_F_SOCK_NONEMPTY = 1 << 2;
    /** A zero-copy send's notification: the kernel no longer uses the sent buffer. */
    public static final int IORING_CQE_F_NOTIF = 1 << 3;
    /**
     * Linux 6.12+, rings registered with {@link #IOU_PBUF_RING_INC}: the kernel used only part of the
     * CQE's buffer and keeps filling it from where this completion stopped; without it the kernel is done
     * with that buffer id.
     */
    public static final int IORING_CQE_F_BUF_MORE = 1 << 4;
    /** Shift of the buffer id in a CQE's flags (with {@link #IORING_CQE_F_BUFFER}). */
    public static final int IORING_CQE_BUFFER_SHIFT = 16;

    // Provided-buffer ring registration flags (io_uring_buf_reg.flags).
    /**
     * Linux 6.12+: incremental consumption: each completion uses only the bytes it needs of a ring
     * buffer and reports {@link #IORING_CQE_F_BUF_MORE} while the buffer has room left.
     */
    public static final int IOU_PBUF_RING_INC = 2;

    // Opcode-specific flags.
    /** Timeout flag: the timespec is absolute, not relative. */
    public static final int IORING_TIMEOUT_ABS = 1;
    /** Timeout flag: an expiry counts as success for a linked chain (the chain continues). */
    public static final int IORING_TIMEOUT_ETIME_SUCCESS = 1 << 5;
    /** Kernel 6.4+: repeat the timeout {@code off} times (0 = forever), each expiry a CQE with F_MORE. */
    public static final int IORING_TIMEOUT_MULTISHOT = 1 << 6;
    /** Poll flag: multishot poll, one CQE per readiness event until cancelled. */
    public static final int IORING_POLL_ADD_MULTI = 1;
    /** Cancel flag: cancel every matching request, not just the first. */
    public static final int IORING_ASYNC_CANCEL_ALL = 1;
    /** Cancel flag: match requests by file descriptor instead of {@code user_data}. */
    public static final int IORING_ASYNC_CANCEL_FD = 1 << 1;
    /** Cancel flag: match any request. */
    public static final int IORING_ASYNC_CANCEL_ANY = 1 << 2;
    /** Receive flag (in {@code ioprio}): multishot receive, one CQE per received chunk. */
    public static final int IORING_RECV_MULTISHOT = 1 << 1;
    /** Accept flag (in {@code ioprio}): multishot accept, one CQE per connection. */
    public static final int IORING_ACCEPT_MULTISHOT = 1;
    /** {@code file_index} value asking the kernel to pick a free registered-file slot. */
    public static final int IORING_FILE_INDEX_ALLOC = -1;

    private Opcode() {
    }

    /**
     * Whether {@code opcode} is a file read, write or sync: work a storage device does while the loop
     * goes on, which the loop therefore submits early ({@code reactoruring.loop.earlySubmit}). READ and
     * WRITE count although they can target a pipe; the network's ops (RECV, SEND, ...) do not.
     */
    static boolean startsDeviceIo(int opcode) {
        switch (opcode) {
            case READV: case WRITEV: case FSYNC: case READ_FIXED: case WRITE_FIXED: case SYNC_FILE_RANGE:
            case READ: case WRITE:
                return true;
            default:
                return false;
        }
    }

    /**
     * Lower-case operation name used in error messages, e.g. {@code "openat"}.
     *
     * @param opcode an opcode
     * @return its name, or {@code "op N"} for one this class does not name
     */
    public static String name(int opcode) {
        switch (opcode) {
            case NOP: return "nop";
            case READV: return "readv";
            case WRITEV: return "writev";
            case FSYNC: return "fsync";
            case READ_FIXED: return "read_fixed";
            case WRITE_FIXED: return "write_fixed";
            case POLL_ADD: return "poll_add";
            case SYNC_FILE_RANGE: return "sync_file_range";
            case SENDMSG: return "sendmsg";
            case RECVMSG: return "recvmsg";
            case TIMEOUT: return "timeout";
            case ACCEPT: return "accept";
            case ASYNC_CANCEL: return "async_cancel";
            case LINK_TIMEOUT: return "link_timeout";
            case CONNECT: return "connect";
            case FALLOCATE: return "fallocate";
            case OPENAT: return "openat";
            case CLOSE: return "close";
            case STATX: return "statx";
            case READ: return "read";
            case WRITE: return "write";
            case FADVISE: return "fadvise";
            case SEND: return "send";
            case RECV: return "recv";
            case SPLICE: return "splice";
            case SHUTDOWN: return "shutdown";
            case RENAMEAT: return "renameat";
            case UNLINKAT: return "unlinkat";
            case MKDIRAT: return "mkdirat";
            case SYMLINKAT: return "symlinkat";
            case LINKAT: return "linkat";
            case MSG_RING: return "msg_ring";
            case SOCKET: return "socket";
            case SEND_ZC: return "send_zc";
            case FTRUNCATE: return "ftruncate";
            case FIXED_FD_INSTALL: return "fixed_fd_install";
            default: return "op " + opcode;
        }
    }
}
