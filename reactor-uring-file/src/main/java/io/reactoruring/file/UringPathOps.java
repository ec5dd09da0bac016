package io.reactoruring.file;

import io.reactoruring.core.Errno;
import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringError;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.internal.CoreAccess;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;

/**
 * {@link PathOps} on one io_uring loop. Each op copies its NUL-terminated paths into a
 * {@link NativeBlock} per subscription, freed by the op's {@code whenKernelDone} hook. Opcodes the
 * kernel lacks (symlinkat and linkat need Linux 5.15) run on the NIO implementation instead.
 */
final class UringPathOps implements PathOps {
    static final int AT_FDCWD = -100;
    static final int AT_REMOVEDIR = 0x200;
    static final int DEFAULT_DIR_MODE = 0777;

    private final UringLoop loop;

    UringPathOps(UringLoop loop) {
        this.loop = loop;
    }

    /**
     * openat. Where the loop has direct descriptors ({@link UringLoop#directDescriptorSlots()}) and the
     * caller did not ask for {@link UringOpenOption#PLAIN_FD}, the file goes into the ring's file table
     * (IORING_FILE_INDEX_ALLOC) and its ops carry IOSQE_FIXED_FILE; a full table (ENFILE) or a kernel
     * that refuses (ENXIO, EINVAL) gets a plain openat instead. Every file is bound to this one loop:
     * all its ops run on it, so its direct descriptor is never used on another ring.
     */
    @Override
    public Mono<UringFile> open(Path path, OpenSpec spec) {
        byte[] bytes = NativeBlock.pathBytes(path);
        String target = path.toString();
        // stat() of a direct descriptor needs IORING_OP_FIXED_FD_INSTALL (6.8+): without it, plain fds.
        if (spec.plainFd() || loop.directDescriptorSlots() == 0 || !loop.supports(Opcode.FIXED_FD_INSTALL)) {
            return open(bytes, path, target, spec, false);
        }
        return open(bytes, path, target, spec, true).onErrorResume(e -> e instanceof UringError u
                && (u.errno() == Errno.ENFILE || u.errno() == Errno.ENXIO || u.errno() == Errno.EINVAL),
                e -> open(bytes, path, target, spec, false));
    }

    private Mono<UringFile> open(byte[] bytes, Path path, String target, OpenSpec spec, boolean direct) {
        return Mono.defer(() -> {
            NativeBlock block = NativeBlock.ofPaths(bytes);
            // closesOrphanedFd: the CQE of a cancelled openat closes its fd (or direct slot) in the loop.
            // A direct descriptor has no process fd, so no close-on-exec: the kernel refuses O_CLOEXEC (EINVAL).
            Op.Builder b = Op.builder(Opcode.OPENAT).fd(AT_FDCWD).addr(block.address()).length(spec.mode())
                    .opFlags(direct ? spec.flags() & ~OpenSpec.O_CLOEXEC : spec.flags()).closesOrphanedFd(true).whenKernelDone(block::free).name("openat")
                    .target(target);
            if (direct) {
                b.fileIndex(Opcode.IORING_FILE_INDEX_ALLOC); // res is the slot the kernel picked
            }
            return handOff(loop.submit(b.build()),
                    fd -> new UringFile(direct ? CoreAccess.adoptDirectFd(fd, loop, target) : CoreAccess.adoptFd(fd, loop, target),
                            path, spec.readable(), spec.writable(), spec.direct()),
                    fd -> loop.submit(direct ? closeDirect(fd) : Op.close(fd)).subscribe(r -> { }, e -> { }));
        });
    }

    /** IORING_OP_CLOSE of direct-descriptor slot {@code index} (io_uring_prep_close_direct). */
    static Op closeDirect(int index) {
        return Op.builder(Opcode.CLOSE).fd(0).fileIndex(index + 1).name("close").target("direct descriptor " + index)
                .build();
    }

    /**
     * Delivers the descriptor {@code opened} emits as {@code wrap(fd)}, unless the subscriber
     * cancelled first: then {@code closeOrphan} closes it. This covers the window core's
     * closesOrphanedFd cannot see: the CQE was dispatched to a live subscriber, and the cancel
     * arrived before the value got through. Delivery and cancellation race on one state word, so
     * each fd is delivered or closed exactly once. (Once delivered, a subscriber that drops the
     * file owns it; Reactor's operators hand dropped values to {@code doOnDiscard}.)
     */
    static <F> Mono<F> handOff(Mono<Integer> opened, Function<Integer, F> wrap, IntConsumer closeOrphan) {
        return Mono.defer(() -> {
            AtomicInteger state = new AtomicInteger(); // 0 pending, 1 delivered, 2 cancelled
            return opened.<F>handle((fd, sink) -> {
                if (state.compareAndSet(0, 1)) {
                    sink.next(wrap.apply(fd));
                } else {
                    closeOrphan.accept(fd);
                }
            }).doOnCancel(() -> state.compareAndSet(0, 2));
        });
    }

    @Override
    public Mono<Void> delete(Path path, boolean directory) {
        return pathOp(path, Opcode.UNLINKAT, "unlinkat", b -> b.opFlags(directory ? AT_REMOVEDIR : 0));
    }

    @Override
    public Mono<Void> createDirectory(Path path) {
        return pathOp(path, Opcode.MKDIRAT, "mkdirat", b -> b.length(DEFAULT_DIR_MODE));
    }

    /** An op on one path relative to the working directory. */
    private Mono<Void> pathOp(Path path, int opcode, String name, UnaryOperator<Op.Builder> args) {
        byte[] bytes = NativeBlock.pathBytes(path);
        String target = path.toString();
        return Mono.defer(() -> {
            NativeBlock block = NativeBlock.ofPaths(bytes);
            Op op = args.apply(Op.builder(opcode).fd(AT_FDCWD).addr(block.address()))
                    .whenKernelDone(block::free).name(name).target(target).build();
            return loop.submit(op).then();
        });
    }

    /**
     * An op on two paths: {@code first} at {@code addr}, {@code second} at {@code off}, as liburing's
     * renameat/linkat/symlinkat helpers lay them out; {@code args} sets the rest.
     */
    private Mono<Void> twoPathOp(byte[] first, byte[] second, int opcode, String name, String description,
            UnaryOperator<Op.Builder> args) {
        return Mono.defer(() -> {
            NativeBlock block = NativeBlock.ofPaths(first, second);
            long secondAddr = block.address() + NativeBlock.offsetOf(1, first, second);
            Op op = args.apply(Op.builder(opcode).fd(AT_FDCWD).addr(block.address()).offset(secondAddr))
                    .whenKernelDone(block::free).name(name).target(description).build();
            return loop.submit(op).then();
        });
    }

    @Override
    public Mono<Void> move(Path source, Path target) {
        // io_uring_prep_renameat(sqe, olddfd, oldpath, newdfd, newpath, flags): newdfd in len
        return twoPathOp(NativeBlock.pathBytes(source), NativeBlock.pathBytes(target), Opcode.RENAMEAT, "renameat",
                source + " -> " + target, b -> b.length(AT_FDCWD));
    }

    @Override
    public Mono<FileStat> stat(Path path) {
        byte[] bytes = NativeBlock.pathBytes(path);
        String target = path.toString();
        return Mono.defer(() -> {
            NativeBlock block = NativeBlock.allocate(UringFileIo.STATX_SIZE + bytes.length + 1);
            block.buffer().put(UringFileIo.STATX_SIZE, bytes);
            Op op = Op.builder(Opcode.STATX).fd(AT_FDCWD).addr(block.address() + UringFileIo.STATX_SIZE)
                    .length(UringFileIo.STATX_BASIC_STATS).offset(block.address()).whenKernelDone(block::free)
                    .name("statx").target(target).build();
            // The hook frees the block only after the subscriber was signalled, so map can still read it.
            return loop.submit(op).map(res -> UringFileIo.parseStatx(block.buffer()));
        });
    }

    @Override
    public Mono<Void> createSymbolicLink(Path link, Path target) {
        if (!loop.supports(Opcode.SYMLINKAT)) {
            return NioPathOps.INSTANCE.createSymbolicLink(link, target);
        }
        // io_uring_prep_symlinkat(sqe, target, newdirfd, linkpath): the target is stored as given, not resolved.
        return twoPathOp(NativeBlock.rawPathBytes(target), NativeBlock.pathBytes(link), Opcode.SYMLINKAT,
                "symlinkat", link + " -> " + target, b -> b);
    }

    @Override
    public Mono<Void> createLink(Path link, Path existing) {
        if (!loop.supports(Opcode.LINKAT)) {
            return NioPathOps.INSTANCE.createLink(link, existing);
        }
        // io_uring_prep_linkat(sqe, olddfd, oldpath, newdfd, newpath, flags): newdfd in len; no AT_SYMLINK_FOLLOW, as link(2)
        return twoPathOp(NativeBlock.pathBytes(existing), NativeBlock.pathBytes(link), Opcode.LINKAT, "linkat",
                link + " -> " + existing, b -> b.length(AT_FDCWD));
    }
}
