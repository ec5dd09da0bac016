package io.reactoruring.file;

import io.reactoruring.core.Errno;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.Transfers;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.IntFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** The io_uring back end of {@link UringFile}: every op is an SQE on the descriptor's loop. */
final class UringFileIo implements FileIo {
    static final int STATX_BASIC_STATS = 0x7ff;
    static final int AT_EMPTY_PATH = 0x1000;
    static final int IORING_FSYNC_DATASYNC = 1;
    static final int STATX_SIZE = 256;
    static final int IOVEC_SIZE = 16;

    private final SharedFd fd;
    private final Path path;
    private final String target;
    /**
     * Whether {@link #readNow} tries page-cached reads on the calling thread: not for O_DIRECT (a
     * synchronous direct read waits for the device even with RWF_NOWAIT), and no longer once the
     * file refused RWF_NOWAIT, or a direct descriptor's shadow fd could not be installed (EOPNOTSUPP). Racy on purpose: a stale true costs one failed call.
     */
    private boolean readsInline;

    UringFileIo(SharedFd fd, Path path, boolean oDirect) {
        this.fd = fd;
        this.path = path;
        this.target = path.toString();
        this.readsInline = !oDirect;
    }

    @Override
    public boolean isUring() {
        return true;
    }

    @Override
    public SharedFd sharedFd() {
        return fd;
    }

    @Override
    public UringLoop loop() {
        return fd.loop();
    }

    @Override
    public int fd() {
        return fd.isDirect() ? -1 : fd.fd();
    }

    @Override
    public BufferPool bufferPool() {
        return fd.loop().bufferPool();
    }

    @Override
    public boolean isClosing() {
        return fd.isClosing();
    }

    @Override
    public Mono<Integer> transfer(boolean write, ByteBuffer buf, int start, int len, long position) {
        Op op = Op.builder(write ? Opcode.WRITE : Opcode.READ).fd(fd).addr(Native.addressOf(buf) + start).length(len)
                .offset(position).keepAlive(buf).name(write ? "write" : "read").target(target).build();
        return fd.loop().submit(op);
    }

    /**
     * Off the loop thread, a read of page-cached data is one {@code preadv2(RWF_NOWAIT)} here instead
     * of two thread hand-offs (to the loop and back). On the loop thread the ring is as cheap (the
     * read joins the iteration's batch), so it stays there. A direct descriptor reads through its
     * shadow process fd, which the first such read asks for (that read itself takes the ring).
     */
    @Override
    public int readNow(ByteBuffer buf, int start, int len, long position) {
        if (!readsInline || fd.loop().inLoop()) {
            return -1;
        }
        int res = CoreAccess.readNowait(fd, Native.addressOf(buf) + start, len, position);
        if (res == -Errno.EOPNOTSUPP) {
            readsInline = false;
        }
        return res;
    }

    @Override
    public <T> Mono<T> transferFully(boolean write, ByteBuffer buf, int start, int len, long position,
            Object keepAlive, IntFunction<@Nullable T> finish, Runnable abandon) {
        return Transfers.fully(fd.loop(), fd, write, Native.addressOf(buf) + start, len, position, keepAlive, target,
                finish, abandon);
    }

    @Override
    public Mono<Long> transferVectored(boolean write, ByteBuffer[] buffers, long position) {
        return Mono.defer(() -> {
            // struct iovec { void *iov_base; size_t iov_len; }: the kernel reads the array during the op.
            NativeBlock iov = NativeBlock.allocate(buffers.length * IOVEC_SIZE);
            ByteBuffer b = iov.buffer();
            for (int i = 0; i < buffers.length; i++) {
                ByteBuffer x = buffers[i];
                b.putLong(i * IOVEC_SIZE, Native.addressOf(x) + x.position());
                b.putLong(i * IOVEC_SIZE + 8, x.remaining());
            }
            Op op = Op.builder(write ? Opcode.WRITEV : Opcode.READV).fd(fd).addr(iov.address()).length(buffers.length)
                    .offset(position).keepAlive(buffers).whenKernelDone(iov::free)
                    .name(write ? "writev" : "readv").target(target).build();
            return fd.loop().submit(op).map(Integer::longValue);
        });
    }

    @Override
    public Mono<FileStat> stat() {
        if (!fd.isDirect()) {
            return Mono.defer(() -> statx(Op.builder(Opcode.STATX).fd(fd)));
        }
        // statx takes no direct descriptor: install a process fd for it (IORING_OP_FIXED_FD_INSTALL,
        // 6.8+; UringPathOps opens direct only where the kernel has it), then close that fd. A cancel
        // between the install's CQE and its delivery closes the fd (closesOrphanedFd).
        UringLoop loop = fd.loop();
        Op install = Op.builder(Opcode.FIXED_FD_INSTALL).fd(fd).closesOrphanedFd(true).name("fixed_fd_install")
                .target(target).build();
        return Mono.usingWhen(loop.submit(install),
                plain -> statx(Op.builder(Opcode.STATX).fd(plain)),
                plain -> loop.submit(Op.close(plain)).then());
    }

    /** statx(AT_EMPTY_PATH) of the descriptor {@code b} names (subscribe per call: it allocates). */
    private Mono<FileStat> statx(Op.Builder b) {
        // statx buffer, then the empty path AT_EMPTY_PATH needs (already zero: NativeMemory zeroes).
        NativeBlock block = NativeBlock.allocate(STATX_SIZE + 8);
        Op op = b.addr(block.address() + STATX_SIZE).length(STATX_BASIC_STATS).opFlags(AT_EMPTY_PATH)
                .offset(block.address()).whenKernelDone(block::free).name("statx").target(target).build();
        // The hook frees the block only after the subscriber was signalled, so map can still read it.
        return fd.loop().submit(op).map(res -> parseStatx(block.buffer()));
    }

    static FileStat parseStatx(ByteBuffer b) {
        long size = b.getLong(40);
        int mode = Short.toUnsignedInt(b.getShort(28));
        int blksize = b.getInt(4);
        long sec = b.getLong(112);
        int nsec = b.getInt(120);
        return new FileStat(size, mode, blksize, java.time.Instant.ofEpochSecond(sec, Integer.toUnsignedLong(nsec)));
    }

    @Override
    public Mono<Void> truncate(long size) {
        if (fd.loop().supports(Opcode.FTRUNCATE)) {
            return simple(Op.builder(Opcode.FTRUNCATE).offset(size), "ftruncate");
        }
        // Before Linux 6.9: ftruncate(2) through the JDK, on a blocking thread.
        return Mono.<Void>fromCallable(() -> {
            try (RandomAccessFile raf = new RandomAccessFile(path.toFile(), "rw")) {
                raf.setLength(size);
            }
            return null;
        }).subscribeOn(Schedulers.boundedElastic());
    }

    @Override
    public Mono<Void> sync(boolean dataOnly) {
        return simple(Op.builder(Opcode.FSYNC).opFlags(dataOnly ? IORING_FSYNC_DATASYNC : 0),
                dataOnly ? "fdatasync" : "fsync");
    }

    @Override
    public Mono<Void> syncFileRange(long offset, long length, int flags) {
        // liburing io_uring_prep_sync_file_range: len (32 bits), off, sync_range_flags
        return simple(Op.builder(require(Opcode.SYNC_FILE_RANGE, "sync_file_range")).length((int) length)
                .offset(offset).opFlags(flags), "sync_file_range");
    }

    @Override
    public Mono<Void> fallocate(FallocateMode mode, long offset, long length) {
        // liburing io_uring_prep_fallocate: len carries the mode, addr the length
        return simple(Op.builder(require(Opcode.FALLOCATE, "fallocate")).length(mode.linuxMode).offset(offset)
                .addr(length), "fallocate");
    }

    @Override
    public Mono<Void> fadvise(long offset, long length, FileAdvice advice) {
        // liburing io_uring_prep_fadvise: len (32 bits), off, fadvise_advice
        return simple(Op.builder(require(Opcode.FADVISE, "fadvise")).length((int) length).offset(offset)
                .opFlags(advice.linuxValue), "fadvise");
    }

    private int require(int opcode, String name) {
        if (!fd.loop().supports(opcode)) {
            throw new UnsupportedOperationException("this kernel's io_uring lacks " + name + " (opcode " + opcode + ")");
        }
        return opcode;
    }

    private Mono<Void> simple(Op.Builder op, String name) {
        Op built = op.fd(fd).name(name).target(target).build();
        return Mono.defer(() -> fd.loop().submit(built).then());
    }

    @Override
    public Mono<Void> close() {
        return Mono.defer(fd::close);
    }
}
