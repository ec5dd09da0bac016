package io.reactoruring.file;

import io.reactoruring.core.Op;
import io.reactoruring.core.Opcode;
import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Entry points: opening files and path operations on io_uring.
 *
 * <p>Every method returns a cold publisher: nothing is submitted before subscription, and signals
 * arrive on the io_uring loop thread that ran the op (the {@code loop} argument, or one of
 * {@link UringLoopGroup#shared()} when omitted). Cancelling sends IORING_OP_ASYNC_CANCEL; the
 * native copy of the path is freed once the kernel is done with it (its CQE, or the op never reaching
 * the kernel), without waiting for the GC, and a file opened after its
 * subscriber cancelled is closed rather than leaked. Invalid arguments throw at call time.
 * Kernel errors arrive as the standard NIO exceptions ({@link java.nio.file.NoSuchFileException},
 * {@link java.nio.file.FileAlreadyExistsException}, {@link java.nio.file.AccessDeniedException},
 * {@link java.nio.file.FileSystemException} for EISDIR, ...).
 */
public final class UringFiles {
    static final int AT_FDCWD = -100;
    static final int AT_REMOVEDIR = 0x200;
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final int O_DSYNC = 010000;
    static final int O_SYNC = 04010000;
    static final int O_NOFOLLOW = 0400000;
    static final int O_CLOEXEC = 02000000;
    static final int DEFAULT_FILE_MODE = 0666;
    static final int DEFAULT_DIR_MODE = 0777;
    static final int DEFAULT_READ_AHEAD = 4;

    private UringFiles() {
    }

    /** {@link #open(UringLoop, Path, Set)} on a loop of the shared group. */
    public static Mono<UringFile> open(Path path, OpenOption... options) {
        Objects.requireNonNull(options, "options");
        return open(path, new HashSet<>(Arrays.asList(options)));
    }

    /** {@link #open(UringLoop, Path, Set)} on a loop of the shared group. */
    public static Mono<UringFile> open(Path path, Set<? extends OpenOption> options) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        return open(UringLoopGroup.shared().next(), path, options);
    }

    /**
     * Opens {@code path} (openat) with {@link java.nio.channels.FileChannel#open}-style options:
     * READ, WRITE, APPEND, CREATE, CREATE_NEW, TRUNCATE_EXISTING, DSYNC, SYNC, SPARSE (ignored, as on
     * Linux NIO) and {@link LinkOption#NOFOLLOW_LINKS}. No READ/WRITE means READ. New files get mode
     * 0666 minus the umask. The file's ops all run on {@code loop}.
     *
     * @throws IllegalArgumentException      for READ with APPEND, or APPEND with TRUNCATE_EXISTING
     * @throws UnsupportedOperationException for DELETE_ON_CLOSE or an unknown option
     */
    public static Mono<UringFile> open(UringLoop loop, Path path, Set<? extends OpenOption> options) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        boolean read = options.contains(StandardOpenOption.READ);
        boolean write = options.contains(StandardOpenOption.WRITE);
        boolean append = options.contains(StandardOpenOption.APPEND);
        int flags = O_CLOEXEC;
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "options contains null");
            if (o == StandardOpenOption.DELETE_ON_CLOSE) {
                throw new UnsupportedOperationException("DELETE_ON_CLOSE is not supported");
            } else if (o == StandardOpenOption.DSYNC) {
                flags |= O_DSYNC;
            } else if (o == StandardOpenOption.SYNC) {
                flags |= O_SYNC;
            } else if (o == LinkOption.NOFOLLOW_LINKS) {
                flags |= O_NOFOLLOW;
            } else if (!(o instanceof StandardOpenOption)) {
                throw new UnsupportedOperationException("unsupported open option: " + o);
            }
        }
        if (append) {
            if (read) {
                throw new IllegalArgumentException("READ + APPEND not allowed");
            }
            if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
                throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
            }
            write = true;
            flags |= O_APPEND;
        }
        if (!read && !write) {
            read = true;
        }
        flags |= read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
        if (write) {
            // As in NIO, creation and truncation only apply to files opened for writing.
            if (options.contains(StandardOpenOption.CREATE_NEW)) {
                flags |= O_CREAT | O_EXCL;
            } else if (options.contains(StandardOpenOption.CREATE)) {
                flags |= O_CREAT;
            }
            if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
                flags |= O_TRUNC;
            }
        }
        byte[] bytes = NativeBlock.pathBytes(path);
        int openFlags = flags;
        boolean readable = read;
        boolean writable = write;
        String target = path.toString();
        return Mono.defer(() -> {
            NativeBlock block = NativeBlock.ofPaths(bytes);
            Op op = Op.builder(Opcode.OPENAT).fd(AT_FDCWD).addr(block.address()).length(DEFAULT_FILE_MODE)
                    .opFlags(openFlags).closesOrphanedFd(true).whenKernelDone(block::free).name("openat").target(target)
                    .build();
            return loop.submit(op)
                    .map(fd -> new UringFile(new SharedFd(fd, loop, target), path, readable, writable));
        });
    }

    /**
     * Streams the whole file as pooled chunks of {@code chunkSize} bytes (see
     * {@link UringFile#readChunks}), opening it on a shared loop and closing it when the stream
     * terminates or is cancelled. The subscriber releases each buffer.
     */
    public static Flux<PooledBuffer> readAll(Path path, int chunkSize) {
        Objects.requireNonNull(path, "path");
        return readAll(UringLoopGroup.shared().next(), path, chunkSize);
    }

    /** {@link #readAll(Path, int)} on {@code loop}. */
    public static Flux<PooledBuffer> readAll(UringLoop loop, Path path, int chunkSize) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunkSize must be > 0, was " + chunkSize);
        }
        return Flux.usingWhen(open(loop, path, Set.of(StandardOpenOption.READ)),
                f -> f.readChunks(0, Long.MAX_VALUE, chunkSize, DEFAULT_READ_AHEAD),
                UringFile::close);
    }

    /** Deletes a file (unlinkat); fails with NoSuchFileException if absent, FileSystemException (EISDIR) for a directory. */
    public static Mono<Void> delete(Path path) {
        Objects.requireNonNull(path, "path");
        return delete(UringLoopGroup.shared().next(), path);
    }

    /** {@link #delete(Path)} on {@code loop}. */
    public static Mono<Void> delete(UringLoop loop, Path path) {
        return unlink(loop, path, 0);
    }

    /** Deletes an empty directory (unlinkat AT_REMOVEDIR); DirectoryNotEmptyException if it is not empty. */
    public static Mono<Void> deleteDirectory(Path path) {
        Objects.requireNonNull(path, "path");
        return deleteDirectory(UringLoopGroup.shared().next(), path);
    }

    /** {@link #deleteDirectory(Path)} on {@code loop}. */
    public static Mono<Void> deleteDirectory(UringLoop loop, Path path) {
        return unlink(loop, path, AT_REMOVEDIR);
    }

    private static Mono<Void> unlink(UringLoop loop, Path path, int flags) {
        return pathOp(loop, path, Opcode.UNLINKAT, "unlinkat", b -> b.opFlags(flags));
    }

    /**
     * An op on one path relative to the working directory: the NUL-terminated path lives in a
     * native block allocated per subscription and freed once the kernel is done with it.
     */
    private static Mono<Void> pathOp(UringLoop loop, Path path, int opcode, String name,
                                     java.util.function.UnaryOperator<Op.Builder> args) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        byte[] bytes = NativeBlock.pathBytes(path);
        String target = path.toString();
        return Mono.defer(() -> {
            NativeBlock block = NativeBlock.ofPaths(bytes);
            Op op = args.apply(Op.builder(opcode).fd(AT_FDCWD).addr(block.address()))
                    .whenKernelDone(block::free).name(name).target(target).build();
            return loop.submit(op).then();
        });
    }

    /** Creates a directory (mkdirat, mode 0777 minus the umask); FileAlreadyExistsException if it exists. */
    public static Mono<Void> createDirectory(Path path) {
        Objects.requireNonNull(path, "path");
        return createDirectory(UringLoopGroup.shared().next(), path);
    }

    /** {@link #createDirectory(Path)} on {@code loop}. */
    public static Mono<Void> createDirectory(UringLoop loop, Path path) {
        return pathOp(loop, path, Opcode.MKDIRAT, "mkdirat", b -> b.length(DEFAULT_DIR_MODE));
    }

    /**
     * Renames {@code source} to {@code target} (renameat), replacing an existing target file as
     * rename(2) does; both must be on the same file system (else FileSystemException, EXDEV).
     */
    public static Mono<Void> move(Path source, Path target) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        return move(UringLoopGroup.shared().next(), source, target);
    }

    /** {@link #move(Path, Path)} on {@code loop}. */
    public static Mono<Void> move(UringLoop loop, Path source, Path target) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        byte[] from = NativeBlock.pathBytes(source);
        byte[] to = NativeBlock.pathBytes(target);
        String description = source + " -> " + target;
        return Mono.defer(() -> {
            NativeBlock block = NativeBlock.ofPaths(from, to);
            long newPath = block.address() + NativeBlock.offsetOf(1, from, to);
            // liburing: io_uring_prep_rw(op, sqe, olddfd, oldpath, newdfd, newpath)
            Op op = Op.builder(Opcode.RENAMEAT).fd(AT_FDCWD).addr(block.address()).length(AT_FDCWD).offset(newPath)
                    .whenKernelDone(block::free).name("renameat").target(description).build();
            return loop.submit(op).then();
        });
    }

    /** statx of a path (following symlinks). */
    public static Mono<FileStat> stat(Path path) {
        Objects.requireNonNull(path, "path");
        return stat(UringLoopGroup.shared().next(), path);
    }

    /** {@link #stat(Path)} on {@code loop}. */
    public static Mono<FileStat> stat(UringLoop loop, Path path) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        byte[] bytes = NativeBlock.pathBytes(path);
        String target = path.toString();
        return Mono.defer(() -> {
            NativeBlock block = NativeBlock.allocate(UringFile.STATX_SIZE + bytes.length + 1);
            block.buffer().put(UringFile.STATX_SIZE, bytes);
            Op op = Op.builder(Opcode.STATX).fd(AT_FDCWD).addr(block.address() + UringFile.STATX_SIZE)
                    .length(UringFile.STATX_BASIC_STATS).offset(block.address()).whenKernelDone(block::free).name("statx")
                    .target(target).build();
            // The hook frees the block only after the subscriber was signalled, so map can still read it.
            return loop.submit(op).map(res -> UringFile.parseStatx(block.buffer()));
        });
    }
}
