package io.reactoruring.file;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Entry points: opening files and path operations on io_uring.
 *
 * <p>Every method returns a cold publisher: nothing is submitted before subscription, and signals
 * arrive on the io_uring loop thread that ran the op (the {@code loop} argument, or one of
 * {@link UringLoopGroup#shared()} when omitted). Cancelling sends IORING_OP_ASYNC_CANCEL; the
 * native copy of the path is freed once the kernel is done with it (its CQE, or the op never reaching
 * the kernel), without waiting for the GC, and a file opened after its subscriber cancelled is
 * closed rather than leaked, also when the cancel races with the open's completion. Once a file
 * has been emitted, the subscriber owns it and must close it, even if it cancelled concurrently
 * (Reactive Streams §2.8 allows that delivery). Note that Reactor's lambda
 * {@code subscribe(Consumer)} silently drops a value arriving after {@code dispose()}
 * ({@code Hooks.onNextDropped}); prefer {@code Mono.usingWhen}/{@code Flux.usingWhen}, which close
 * the file on every path. Invalid
 * arguments throw at call time. Kernel errors arrive as the standard NIO exceptions
 * ({@link java.nio.file.NoSuchFileException}, {@link java.nio.file.FileAlreadyExistsException},
 * {@link java.nio.file.AccessDeniedException}, {@link java.nio.file.FileSystemException} for EISDIR, ...).
 *
 * <p><b>Without io_uring</b> ({@link Uring#isAvailable()} false, or the shared group's rings cannot
 * be created or have died: {@link UringLoopGroup#sharedIfUsable()} null), the methods without a
 * {@code loop} argument run on plain NIO on {@code Schedulers.boundedElastic()} instead, with the
 * same results and exception types, after logging one warning that names
 * {@link UringLoopGroup#sharedUnavailabilityCause()}; see {@link UringFile}. The methods taking a {@link UringLoop}
 * always use io_uring (a loop cannot exist without it).
 */
public final class UringFiles {
    static final int AT_FDCWD = UringPathOps.AT_FDCWD;
    static final int AT_REMOVEDIR = UringPathOps.AT_REMOVEDIR;
    static final int O_RDONLY = OpenSpec.O_RDONLY;
    static final int O_WRONLY = OpenSpec.O_WRONLY;
    static final int O_RDWR = OpenSpec.O_RDWR;
    static final int O_CREAT = OpenSpec.O_CREAT;
    static final int O_EXCL = OpenSpec.O_EXCL;
    static final int O_TRUNC = OpenSpec.O_TRUNC;
    static final int O_APPEND = OpenSpec.O_APPEND;
    static final int O_DSYNC = OpenSpec.O_DSYNC;
    static final int O_SYNC = OpenSpec.O_SYNC;
    static final int O_NOFOLLOW = OpenSpec.O_NOFOLLOW;
    static final int O_CLOEXEC = OpenSpec.O_CLOEXEC;
    static final int DEFAULT_FILE_MODE = OpenSpec.DEFAULT_FILE_MODE;
    static final int DEFAULT_DIR_MODE = UringPathOps.DEFAULT_DIR_MODE;
    static final int DEFAULT_READ_AHEAD = 4;

    private UringFiles() {
    }

    /**
     * True when the loop-less methods use io_uring ({@link UringLoopGroup#sharedIfUsable()} is not
     * null; this may create the shared group), false when they fall back to NIO. The first false
     * answer logs the module's one fallback warning, naming {@link UringLoopGroup#sharedUnavailabilityCause()}.
     */
    public static boolean usesUring() {
        if (UringLoopGroup.sharedIfUsable() != null) {
            return true;
        }
        NioPathOps.warnOnce();
        return false;
    }

    /** The back end of the loop-less methods: a loop of the shared group, or NIO (warning once). */
    static PathOps defaultOps() {
        UringLoopGroup group = UringLoopGroup.sharedIfUsable();
        if (group != null) {
            return new UringPathOps(group.next());
        }
        NioPathOps.warnOnce();
        return NioPathOps.INSTANCE;
    }

    static PathOps on(UringLoop loop) {
        return new UringPathOps(Objects.requireNonNull(loop, "loop"));
    }

    /** The NIO back end, whether or not io_uring is available (tests run both). */
    static PathOps nio() {
        return NioPathOps.INSTANCE;
    }

    /** {@link #open(UringLoop, Path, Set, FileAttribute[])} on a loop of the shared group (or NIO). */
    public static Mono<UringFile> open(Path path, OpenOption... options) {
        Objects.requireNonNull(options, "options");
        return open(path, new HashSet<>(Arrays.asList(options)));
    }

    /** {@link #open(UringLoop, Path, Set, FileAttribute[])} on a loop of the shared group (or NIO). */
    public static Mono<UringFile> open(Path path, Set<? extends OpenOption> options) {
        return open(path, options, new FileAttribute<?>[0]);
    }

    /** {@link #open(UringLoop, Path, Set, FileAttribute[])} on a loop of the shared group (or NIO). */
    public static Mono<UringFile> open(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) {
        Objects.requireNonNull(path, "path");
        OpenSpec spec = OpenSpec.of(options, attrs);
        return defaultOps().open(path, spec);
    }

    /** {@link #open(UringLoop, Path, Set, FileAttribute[])} with default permissions. */
    public static Mono<UringFile> open(UringLoop loop, Path path, Set<? extends OpenOption> options) {
        return open(loop, path, options, new FileAttribute<?>[0]);
    }

    /**
     * Opens {@code path} (openat) with {@link java.nio.channels.FileChannel#open}-style options:
     * READ, WRITE, APPEND, CREATE, CREATE_NEW, TRUNCATE_EXISTING, DSYNC, SYNC, SPARSE (ignored, as on
     * Linux NIO), {@link LinkOption#NOFOLLOW_LINKS} and {@link UringOpenOption#DIRECT} (O_DIRECT).
     * No READ/WRITE means READ. A created file gets the permissions of a {@code posix:permissions}
     * attribute ({@link java.nio.file.attribute.PosixFilePermissions#asFileAttribute}), else 0666, minus
     * the umask. The file's ops all run on {@code loop}.
     *
     * @throws IllegalArgumentException      for READ with APPEND, or APPEND with TRUNCATE_EXISTING
     * @throws UnsupportedOperationException for DELETE_ON_CLOSE, an unknown option or an attribute other than permissions
     */
    public static Mono<UringFile> open(UringLoop loop, Path path, Set<? extends OpenOption> options,
            FileAttribute<?>... attrs) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        return on(loop).open(path, OpenSpec.of(options, attrs));
    }

    /**
     * Streams the whole file as pooled chunks of {@code chunkSize} bytes (see
     * {@link UringFile#readChunks}), opening it on a shared loop (or NIO) and closing it when the
     * stream terminates or is cancelled. The subscriber releases each buffer.
     */
    public static Flux<PooledBuffer> readAll(Path path, int chunkSize) {
        Objects.requireNonNull(path, "path");
        checkChunkSize(chunkSize);
        return readAll(defaultOps(), path, chunkSize);
    }

    /** {@link #readAll(Path, int)} on {@code loop}. */
    public static Flux<PooledBuffer> readAll(UringLoop loop, Path path, int chunkSize) {
        Objects.requireNonNull(loop, "loop");
        Objects.requireNonNull(path, "path");
        checkChunkSize(chunkSize);
        return readAll(on(loop), path, chunkSize);
    }

    static Flux<PooledBuffer> readAll(PathOps ops, Path path, int chunkSize) {
        // PLAIN_FD: open, a few reads, close. A direct descriptor would save an fdget per read but cost a
        // FIXED_FD_INSTALL and a CLOSE for readChunks' statx (statx takes no direct descriptor).
        return Flux.usingWhen(ops.open(path, OpenSpec.of(Set.of(StandardOpenOption.READ, UringOpenOption.PLAIN_FD))),
                f -> f.readChunks(0, Long.MAX_VALUE, chunkSize, DEFAULT_READ_AHEAD),
                UringFile::close);
    }

    private static void checkChunkSize(int chunkSize) {
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunkSize must be > 0, was " + chunkSize);
        }
    }

    /**
     * Checks {@code path}, then runs {@code op} on the back end {@code ops} gives: a call that throws
     * for a null path picks no loop (and logs no NIO warning).
     */
    private static <R> R onPath(Supplier<PathOps> ops, Path path, BiFunction<PathOps, Path, R> op) {
        Objects.requireNonNull(path, "path");
        return op.apply(ops.get(), path);
    }

    /** A path operation on two paths. */
    private interface TwoPathOp<R> {
        R apply(PathOps ops, Path first, Path second);
    }

    /** {@link #onPath} for two paths, checked in order and named in the NullPointerException. */
    private static <R> R onPaths(Supplier<PathOps> ops, String firstName, Path first, String secondName, Path second,
            TwoPathOp<R> op) {
        Objects.requireNonNull(first, firstName);
        Objects.requireNonNull(second, secondName);
        return op.apply(ops.get(), first, second);
    }

    /** Deletes a file (unlinkat); fails with NoSuchFileException if absent, FileSystemException (EISDIR) for a directory. */
    public static Mono<Void> delete(Path path) {
        return onPath(UringFiles::defaultOps, path, (ops, p) -> ops.delete(p, false));
    }

    /** {@link #delete(Path)} on {@code loop}. */
    public static Mono<Void> delete(UringLoop loop, Path path) {
        return onPath(() -> on(loop), path, (ops, p) -> ops.delete(p, false));
    }

    /** Deletes an empty directory (unlinkat AT_REMOVEDIR); DirectoryNotEmptyException if it is not empty. */
    public static Mono<Void> deleteDirectory(Path path) {
        return onPath(UringFiles::defaultOps, path, (ops, p) -> ops.delete(p, true));
    }

    /** {@link #deleteDirectory(Path)} on {@code loop}. */
    public static Mono<Void> deleteDirectory(UringLoop loop, Path path) {
        return onPath(() -> on(loop), path, (ops, p) -> ops.delete(p, true));
    }

    /** Creates a directory (mkdirat, mode 0777 minus the umask); FileAlreadyExistsException if it exists. */
    public static Mono<Void> createDirectory(Path path) {
        return onPath(UringFiles::defaultOps, path, PathOps::createDirectory);
    }

    /** {@link #createDirectory(Path)} on {@code loop}. */
    public static Mono<Void> createDirectory(UringLoop loop, Path path) {
        return onPath(() -> on(loop), path, PathOps::createDirectory);
    }

    /**
     * Renames {@code source} to {@code target} (renameat), replacing an existing target file as
     * rename(2) does; both must be on the same file system (else FileSystemException, EXDEV).
     */
    public static Mono<Void> move(Path source, Path target) {
        return onPaths(UringFiles::defaultOps, "source", source, "target", target, PathOps::move);
    }

    /** {@link #move(Path, Path)} on {@code loop}. */
    public static Mono<Void> move(UringLoop loop, Path source, Path target) {
        return onPaths(() -> on(loop), "source", source, "target", target, PathOps::move);
    }

    /**
     * statx of a path (following symlinks), with the same threads, cancellation and fallback as the
     * class comment describes. Errors: {@link java.nio.file.NoSuchFileException} for a missing path or a
     * dangling link, {@link java.nio.file.AccessDeniedException} for a directory on the way that cannot
     * be searched, {@link java.nio.file.NotDirectoryException} or a {@link java.nio.file.FileSystemException}
     * naming the errno otherwise.
     */
    public static Mono<FileStat> stat(Path path) {
        return onPath(UringFiles::defaultOps, path, PathOps::stat);
    }

    /** {@link #stat(Path)} on {@code loop}. */
    public static Mono<FileStat> stat(UringLoop loop, Path path) {
        return onPath(() -> on(loop), path, PathOps::stat);
    }

    /**
     * Creates the symbolic link {@code link} pointing to {@code target} (symlinkat, Linux 5.15+; on
     * older kernels through NIO on a blocking thread), like
     * {@link java.nio.file.Files#createSymbolicLink}: {@code target} is stored as given, so a relative
     * target is resolved against the link's directory when the link is followed. Fails with
     * FileAlreadyExistsException if {@code link} exists.
     */
    public static Mono<Void> createSymbolicLink(Path link, Path target) {
        return onPaths(UringFiles::defaultOps, "link", link, "target", target, PathOps::createSymbolicLink);
    }

    /** {@link #createSymbolicLink(Path, Path)} on {@code loop}. */
    public static Mono<Void> createSymbolicLink(UringLoop loop, Path link, Path target) {
        return onPaths(() -> on(loop), "link", link, "target", target, PathOps::createSymbolicLink);
    }

    /**
     * Creates the hard link {@code link} to the existing file {@code existing} (linkat, Linux 5.15+;
     * on older kernels through NIO), like {@link java.nio.file.Files#createLink}; a symbolic link
     * {@code existing} is linked itself, not followed. Fails with NoSuchFileException if
     * {@code existing} is absent, FileAlreadyExistsException if {@code link} exists.
     */
    public static Mono<Void> createLink(Path link, Path existing) {
        return onPaths(UringFiles::defaultOps, "link", link, "existing", existing, PathOps::createLink);
    }

    /** {@link #createLink(Path, Path)} on {@code loop}. */
    public static Mono<Void> createLink(UringLoop loop, Path link, Path existing) {
        return onPaths(() -> on(loop), "link", link, "existing", existing, PathOps::createLink);
    }
}
