package io.reactoruring.file;

import io.reactoruring.core.Errno;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.BufferPool;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * {@link PathOps} on plain NIO, where io_uring is unavailable: each call blocks a
 * {@code Schedulers.boundedElastic()} thread ({@link BlockingCall}). Results and exception types
 * match {@link UringPathOps}. Files opened here take pooled buffers from one {@link BufferPool}
 * owned by this fallback for the life of the JVM.
 */
final class NioPathOps implements PathOps {
    static final NioPathOps INSTANCE = new NioPathOps();
    /** The fallback's own pool: there is no loop to own (and trim) one, so Reactor's parallel scheduler trims it. */
    static final BufferPool POOL = new BufferPool(16).trimOn(reactor.core.scheduler.Schedulers.parallel());
    private static final Logger LOG = Loggers.getLogger(UringFiles.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private NioPathOps() {
    }

    /** Why the fallback is in use, for messages. */
    static String unavailability() {
        Throwable cause = UringLoopGroup.sharedUnavailabilityCause();
        return cause == null ? "NIO back end chosen explicitly" : String.valueOf(cause.getMessage());
    }

    /** Logs, once per JVM, that files run on NIO and why. */
    static void warnOnce() {
        if (WARNED.compareAndSet(false, true)) {
            LOG.warn("io_uring is unavailable ({}); reactor-uring-file falls back to FileChannel on "
                    + "Schedulers.boundedElastic()", unavailability());
        }
    }

    @Override
    public Mono<UringFile> open(Path path, OpenSpec spec) {
        BlockingCall.Body<FileChannel> body = () -> FileChannel.open(path, spec.nioOptions(), spec.attrs());
        return BlockingCall.of("openat", path.toString(), body,
                ch -> new UringFile(new NioFileIo(ch, path, POOL), path, spec.readable(), spec.writable()),
                NioPathOps::closeQuietly);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // an orphan nobody reads from: nothing to report to
        }
    }

    @Override
    public Mono<Void> delete(Path path, boolean directory) {
        return run("unlinkat", path.toString(), () -> {
            // Files.delete removes both kinds; unlinkat distinguishes them.
            boolean isDir = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
            if (isDir != directory && Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
                throw (IOException) Errno.exception(directory ? Errno.ENOTDIR : Errno.EISDIR, "unlinkat",
                        path.toString());
            }
            Files.delete(path);
        });
    }

    @Override
    public Mono<Void> createDirectory(Path path) {
        return run("mkdirat", path.toString(), () -> Files.createDirectory(path));
    }

    @Override
    public Mono<Void> move(Path source, Path target) {
        // ATOMIC_MOVE is rename(2): replaces an existing target, fails across file systems.
        return run("renameat", source + " -> " + target,
                () -> Files.move(source, target, StandardCopyOption.ATOMIC_MOVE));
    }

    @Override
    public Mono<FileStat> stat(Path path) {
        return BlockingCall.of("statx", path.toString(), () -> stat(path, -1));
    }

    /** stat by path, following links; {@code size} >= 0 replaces the path's size (an open file's own). */
    static FileStat stat(Path path, long size) throws IOException {
        Map<String, Object> a = Files.readAttributes(path, "unix:mode,size,lastModifiedTime");
        long blockSize = Files.getFileStore(path).getBlockSize();
        return new FileStat(size >= 0 ? size : (Long) a.get("size"), (Integer) a.get("mode"), (int) blockSize,
                ((FileTime) a.get("lastModifiedTime")).toInstant());
    }

    @Override
    public Mono<Void> createSymbolicLink(Path link, Path target) {
        return run("symlinkat", link + " -> " + target, () -> Files.createSymbolicLink(link, target));
    }

    @Override
    public Mono<Void> createLink(Path link, Path existing) {
        return run("linkat", link + " -> " + existing, () -> Files.createLink(link, existing));
    }

    private interface IoRunnable {
        void run() throws IOException;
    }

    private static Mono<Void> run(String op, String target, IoRunnable r) {
        return BlockingCall.<Void>of(op, target, () -> {
            r.run();
            return null;
        });
    }
}
