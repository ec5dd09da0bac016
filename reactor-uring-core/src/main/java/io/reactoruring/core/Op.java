package io.reactoruring.core;

import io.reactoruring.core.buffer.PooledBuffer;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An immutable description of one submission queue entry, plus what reactor-uring needs to manage
 * it: the memory it must keep alive until its last CQE, the fd it uses, a linked timeout, and
 * names for error messages. Nothing is submitted by creating an {@code Op}: pass it to
 * {@link UringLoop#submit(Op)} (one CQE, a {@code Mono}) or {@link UringLoop#submitMultishot(Op)}
 * (many CQEs, a {@code Flux}).
 *
 * <p>Raw addresses ({@link Builder#addr(long)}) must point to memory that outlives the operation:
 * hand the owner of that memory to {@link Builder#keepAlive(Object)} and it stays referenced until
 * the kernel's terminal CQE, even when the subscriber cancels.
 *
 * <p>Immutable and thread-safe; the {@link Builder} is not (one thread builds). Each subscription to
 * the {@code Mono}/{@code Flux} returned for an op submits it anew. Cancelling a subscription
 * after submission sends {@code IORING_OP_ASYNC_CANCEL} for it; the op's memory ({@code keepAlive})
 * and fd stay referenced, and {@link Builder#whenKernelDone(Runnable)} runs, only once the kernel's
 * terminal CQE has arrived.
 */
public final class Op {
    private static final Op NOP = builder(Opcode.NOP).build();

    final int opcode;
    final int sqeFlags;
    final int ioprio;
    final int fd;
    final long off;
    final long addr;
    final int len;
    final int opFlags;
    final int bufIndex;
    final int fileIndex;
    /** If >= 0, {@code addr} is replaced at submission by a kernel timespec of this many ns. */
    final long timespecNanos;
    /** If >= 0, an IORING_OP_LINK_TIMEOUT of this many ns is linked after this op. */
    final long linkTimeoutNanos;
    /** A negative result that means success for this op (e.g. ETIME for a timeout), or 0. */
    final int acceptedErrno;
    final boolean closesOrphanedFd;
    final boolean rearm;
    final @Nullable Object keepAlive;
    /** The pooled buffer the op transfers through, if any: READ/WRITE then run as READ_FIXED/WRITE_FIXED. */
    final @Nullable PooledBuffer buffer;
    final @Nullable SharedFd sharedFd;
    final @Nullable Runnable whenKernelDone;
    final String name;
    final String target;

    private Op(Builder b) {
        this.opcode = b.opcode;
        this.sqeFlags = b.sqeFlags;
        this.ioprio = b.ioprio;
        this.fd = b.fd;
        this.off = b.off;
        this.addr = b.addr;
        this.len = b.len;
        this.opFlags = b.opFlags;
        this.bufIndex = b.bufIndex;
        this.fileIndex = b.fileIndex;
        this.timespecNanos = b.timespecNanos;
        this.linkTimeoutNanos = b.linkTimeoutNanos;
        this.acceptedErrno = b.acceptedErrno;
        this.closesOrphanedFd = b.closesOrphanedFd;
        this.rearm = b.rearm;
        this.keepAlive = b.keepAlive;
        this.buffer = b.buffer != null ? b.buffer : b.keepAlive instanceof PooledBuffer ? (PooledBuffer) b.keepAlive : null;
        this.sharedFd = b.sharedFd;
        this.whenKernelDone = b.whenKernelDone;
        this.name = b.name != null ? b.name : Opcode.name(b.opcode);
        this.target = b.target != null ? b.target : (b.sharedFd != null ? b.sharedFd.toString() : (b.fd >= 0 ? "fd " + b.fd : ""));
    }

    /** IORING_OP_NOP: completes with 0 without doing anything; the cheapest round trip. */
    public static Op nop() {
        return NOP;
    }

    /**
     * IORING_OP_TIMEOUT: completes with 0 once {@code delay} has passed on the kernel's monotonic
     * clock.
     */
    public static Op timeout(Duration delay) {
        return builder(Opcode.TIMEOUT).timespec(delay).length(1).acceptedErrno(Errno.ETIME).target(delay.toString()).build();
    }

    /**
     * Multishot IORING_OP_TIMEOUT (kernel 6.4+): fires every {@code interval}, {@code count} times
     * (0 = until cancelled). Each expiry is one {@link Completion} with res {@code -ETIME}. The
     * kernel ends a multishot op early when it cannot post a CQE with F_MORE (a full CQ); the Flux
     * then re-arms it for the remaining expiries, so exactly {@code count} arrive.
     */
    public static Op timeoutMultishot(Duration interval, int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0 (0 = forever), was " + count);
        }
        return builder(Opcode.TIMEOUT).timespec(interval).length(1).offset(count).opFlags(Opcode.IORING_TIMEOUT_MULTISHOT)
                .acceptedErrno(Errno.ETIME).rearm(true).target("every " + interval).build();
    }

    /**
     * Multishot IORING_OP_POLL_ADD: one {@link Completion} (res = ready poll mask) each time
     * {@code fd} becomes ready for {@code events} (POLLIN = 1, POLLOUT = 4). Re-armed by
     * reactor-uring while the subscriber has demand.
     */
    public static Op pollMultishot(int fd, int events) {
        return builder(Opcode.POLL_ADD).fd(fd).opFlags(events).length(Opcode.IORING_POLL_ADD_MULTI).rearm(true).build();
    }

    /** IORING_OP_CLOSE of a plain fd. */
    public static Op close(int fd) {
        return builder(Opcode.CLOSE).fd(fd).build();
    }

    /** A builder for any opcode; see {@link Opcode}. */
    public static Builder builder(int opcode) {
        if (opcode < 0 || opcode > 255) {
            throw new IllegalArgumentException("opcode out of range: " + opcode);
        }
        return new Builder(opcode);
    }

    /** A builder starting from this op's values. */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** This op with an IORING_OP_LINK_TIMEOUT: it fails with {@link java.util.concurrent.TimeoutException} after {@code timeout}. */
    public Op withTimeout(Duration timeout) {
        return toBuilder().linkTimeout(timeout).build();
    }

    /** The opcode ({@link Opcode}) this op submits. */
    public int opcode() {
        return opcode;
    }

    /**
     * The operation's name in error messages and metrics, e.g. {@code "openat"} (by default {@link Opcode#name(int)}).
     */
    public String name() {
        return name;
    }

    /** What the op acts on, for error messages (a path, an address), or empty. */
    public String target() {
        return target;
    }

    @Override
    public String toString() {
        return target.isEmpty() ? name : name + " " + target;
    }

    static long nanos(Duration d, String what) {
        Objects.requireNonNull(d, what);
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative: " + d);
        }
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Mutable builder; {@link #build()} validates and freezes it. */
    public static final class Builder {
        private final int opcode;
        private int sqeFlags;
        private int ioprio;
        private int fd = -1;
        private long off;
        private long addr;
        private int len;
        private int opFlags;
        private int bufIndex;
        private int fileIndex;
        private long timespecNanos = -1;
        private long linkTimeoutNanos = -1;
        private int acceptedErrno;
        private boolean closesOrphanedFd;
        private boolean rearm;
        private @Nullable Object keepAlive;
        private @Nullable PooledBuffer buffer;
        private @Nullable SharedFd sharedFd;
        private @Nullable Runnable whenKernelDone;
        private @Nullable String name;
        private @Nullable String target;

        Builder(int opcode) {
            this.opcode = opcode;
        }

        Builder(Op op) {
            this.opcode = op.opcode;
            this.sqeFlags = op.sqeFlags;
            this.ioprio = op.ioprio;
            this.fd = op.fd;
            this.off = op.off;
            this.addr = op.addr;
            this.len = op.len;
            this.opFlags = op.opFlags;
            this.bufIndex = op.bufIndex;
            this.fileIndex = op.fileIndex;
            this.timespecNanos = op.timespecNanos;
            this.linkTimeoutNanos = op.linkTimeoutNanos;
            this.acceptedErrno = op.acceptedErrno;
            this.closesOrphanedFd = op.closesOrphanedFd;
            this.rearm = op.rearm;
            this.keepAlive = op.keepAlive;
            this.buffer = op.buffer;
            this.sharedFd = op.sharedFd;
            this.whenKernelDone = op.whenKernelDone;
            this.name = op.name;
            this.target = op.target;
        }

        /** The SQE's fd (a registered-file index when {@link Opcode#IOSQE_FIXED_FILE} is set). */
        public Builder fd(int fd) {
            this.fd = fd;
            return this;
        }

        /**
         * Use a reference-counted fd: it is acquired when the op is submitted (failing the op with
         * a {@link java.nio.channels.ClosedChannelException} if the fd is closing) and released at
         * the op's terminal CQE, so {@link SharedFd#close()} waits for in-flight ops.
         */
        public Builder fd(SharedFd fd) {
            this.sharedFd = Objects.requireNonNull(fd, "fd");
            this.fd = -1;
            return this;
        }

        /**
         * The SQE's {@code off} field: the file offset for reads and writes ({@code -1}: the file's current position), or the opcode's meaning of it (e.g. a timeout's count). Default 0.
         */
        public Builder offset(long off) {
            this.off = off;
            return this;
        }

        /**
         * The SQE's {@code addr} field: usually the native address of the op's buffer, path or struct. The memory must stay valid until the op's terminal CQE: keep its owner with {@link #keepAlive} or free it in {@link #whenKernelDone}. Default 0.
         */
        public Builder addr(long addr) {
            this.addr = addr;
            return this;
        }

        /** The SQE's {@code len} field: a buffer length, an iovec count, a mode, per opcode. Default 0. */
        public Builder length(int len) {
            this.len = len;
            return this;
        }

        /** The SQE's per-opcode flags word (rw_flags, timeout_flags, open_flags, msg_flags, poll mask...). */
        public Builder opFlags(int flags) {
            this.opFlags = flags;
            return this;
        }

        /** SQE flags, see {@code Opcode.IOSQE_*}. IOSQE_IO_LINK is managed by linked chains. */
        public Builder sqeFlags(int flags) {
            this.sqeFlags = flags;
            return this;
        }

        /**
         * The SQE's 16-bit {@code ioprio} field: an I/O priority, or an opcode's extra flags (e.g. {@link Opcode#IORING_RECV_MULTISHOT}). Default 0.
         */
        public Builder ioprio(int ioprio) {
            this.ioprio = ioprio;
            return this;
        }

        /** buf_index (fixed buffers) or buf_group (provided buffers). */
        public Builder bufIndex(int index) {
            this.bufIndex = index;
            return this;
        }

        /** file_index (direct descriptors, 1-based; {@link Opcode#IORING_FILE_INDEX_ALLOC}) or splice_fd_in. */
        public Builder fileIndex(int index) {
            this.fileIndex = index;
            return this;
        }

        /** Point {@code addr} at a kernel timespec holding {@code d}, kept alive by reactor-uring. */
        public Builder timespec(Duration d) {
            this.timespecNanos = nanos(d, "timespec");
            return this;
        }

        /**
         * A linked IORING_OP_LINK_TIMEOUT: the kernel cancels the op if it has not completed after {@code timeout}, and the op fails with {@link java.util.concurrent.TimeoutException} (errno {@code ETIME}). Must be positive.
         */
        public Builder linkTimeout(Duration timeout) {
            this.linkTimeoutNanos = nanos(timeout, "timeout");
            return this;
        }

        /** A result of {@code -errno} counts as success (the Mono completes with 0). */
        public Builder acceptedErrno(int errno) {
            this.acceptedErrno = errno;
            return this;
        }

        /**
         * The op creates an fd (openat, accept, socket): if its CQE arrives after the subscriber
         * left, reactor-uring closes that fd instead of leaking it.
         */
        public Builder closesOrphanedFd(boolean closes) {
            this.closesOrphanedFd = closes;
            return this;
        }

        /** Multishot only: when the kernel ends the op (no F_MORE), re-arm it while there is demand. */
        public Builder rearm(boolean rearm) {
            this.rearm = rearm;
            return this;
        }

        /** Keep {@code owner} strongly reachable until the op's terminal CQE (buffers, iovecs, paths). */
        public Builder keepAlive(@Nullable Object owner) {
            this.keepAlive = owner;
            return this;
        }

        /**
         * The op's memory ({@code addr}, {@code length}) lies in {@code buffer}, a pooled buffer: it is
         * kept referenced until the terminal CQE like {@link #keepAlive}, and a READ or WRITE whose
         * buffer comes from its own loop's {@link UringLoop#bufferPool()} is submitted as
         * READ_FIXED/WRITE_FIXED with the ring's registration of that buffer (registered on first use;
         * plain READ/WRITE when registration is off or refused). A {@link #keepAlive} that is a
         * PooledBuffer counts as this too.
         */
        public Builder buffer(@Nullable PooledBuffer buffer) {
            this.buffer = buffer;
            return this;
        }

        /**
         * Runs {@code release} exactly once, on the loop thread, when the kernel can no longer touch
         * this op's memory: after its terminal CQE (after the subscriber was signalled, and also when
         * the subscriber had cancelled), or when the op is dropped before reaching the kernel
         * (cancelled while waiting, fd already closed, loop disposed). This is where the owner of
         * the op's buffers frees them. It never runs for an op the kernel did not complete within
         * the loop's shutdown timeout: that memory is leaked on purpose. The hook belongs to a
         * subscription: allocate what it frees per subscription (e.g. in {@code Mono.defer}).
         */
        public Builder whenKernelDone(@Nullable Runnable release) {
            this.whenKernelDone = release;
            return this;
        }

        /** The operation's name in error messages and metrics (see {@link Op#name()}). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** What the op acts on, for error messages: a path, an address. */
        public Builder target(String target) {
            this.target = Objects.requireNonNull(target, "target");
            return this;
        }

        /**
         * The op, immutable: it may be submitted any number of times, each subscription to the
         * returned {@code Mono}/{@code Flux} submitting it anew.
         *
         * @throws IllegalArgumentException for unknown SQE flags, link flags set by hand ({@link UringLoop#submitLinked}
         *         sets them), {@code ioprio} or {@code bufIndex} outside 16 bits, or a timespec together with an address
         */
        public Op build() {
            if ((sqeFlags & ~0x7f) != 0) {
                throw new IllegalArgumentException("unknown SQE flags: 0x" + Integer.toHexString(sqeFlags));
            }
            if ((sqeFlags & (Opcode.IOSQE_IO_LINK | Opcode.IOSQE_IO_HARDLINK)) != 0) {
                throw new IllegalArgumentException("link flags are set by UringLoop.submitLinked and submitHardLinked, not by hand");
            }
            if (ioprio < 0 || ioprio > 0xffff || bufIndex < 0 || bufIndex > 0xffff) {
                throw new IllegalArgumentException("ioprio and bufIndex are 16-bit unsigned values");
            }
            if (timespecNanos >= 0 && addr != 0) {
                throw new IllegalArgumentException("timespec() and addr() both set the SQE's addr");
            }
            return new Op(this);
        }
    }
}
