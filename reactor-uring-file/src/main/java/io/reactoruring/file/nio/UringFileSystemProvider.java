package io.reactoruring.file.nio;

import io.reactoruring.file.UringFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The {@code file:} provider of the platform with one change: {@link #newAsynchronousFileChannel}
 * returns a {@link UringAsynchronousFileChannel}. Install it for the whole JVM with
 * <pre>{@code -Djava.nio.file.spi.DefaultFileSystemProvider=io.reactoruring.file.nio.UringFileSystemProvider}</pre>
 * and every {@link AsynchronousFileChannel#open} on a default-file-system path (Spring's
 * {@code DataBufferUtils.read(Path, ...)}, for one) runs on io_uring without code changes.
 *
 * <p><b>How.</b> The JDK instantiates the class named by that property through its public
 * constructor taking the platform provider, and asks it for the default {@link FileSystem}. Since
 * NIO dispatches every path operation on {@code path.getFileSystem().provider()}, this provider
 * returns a thin {@link FileSystem} and {@link Path} wrapper over the platform's, which route every
 * call back here; all of them except {@link #newAsynchronousFileChannel} go to the platform provider
 * with the platform path. Paths from the platform file system are accepted too, so the provider can
 * also be used directly ({@code new UringFileSystemProvider(FileSystems.getDefault().provider())}).
 * Watch keys and their events report paths of this file system (see {@link UringFileSystem#newWatchService()}).
 * Known limit of the wrapper: directory streams are plain (not {@code SecureDirectoryStream}).
 *
 * <p><b>Fallback.</b> {@link #newAsynchronousFileChannel} returns the platform's channel, counted in
 * {@link #fallbackChannels()}, when io_uring is unavailable ({@link UringFiles#usesUring()} false,
 * which logs reactor-uring-file's one fallback warning),
 * when initial file attributes are given, for options io_uring's open does not support
 * (DELETE_ON_CLOSE, non-standard options; the platform then decides, e.g. rejecting APPEND), and when
 * called on a reactor-uring loop thread, where opening synchronously through a loop is impossible. Other
 * non-blocking threads (Reactor's {@code parallel()}) get io_uring: the open blocks them as the JDK's
 * open(2) on the caller's thread does.
 * Channels opened on io_uring are counted in {@link #uringChannels()}.
 *
 * <p>There is no {@code META-INF/services} entry on purpose: the JDK ignores installed providers
 * for the {@code file} scheme, so the system property is the only way to replace it.
 *
 * <p>Thread-safe. The constructor does nothing but wrap (it runs while the JVM initialises its
 * default file system, so it must not touch files); io_uring is looked at on the first
 * asynchronous channel.
 */
public final class UringFileSystemProvider extends FileSystemProvider {
    private final FileSystemProvider delegate;
    private final UringFileSystem fileSystem;
    private final AtomicLong uringChannels = new AtomicLong();
    private final AtomicLong fallbackChannels = new AtomicLong();

    /**
     * Wraps {@code delegate}, the platform's {@code file:} provider (the JDK passes it when this
     * class is named by {@code java.nio.file.spi.DefaultFileSystemProvider}).
     *
     * @throws IllegalArgumentException if {@code delegate}'s scheme is not {@code file}
     */
    public UringFileSystemProvider(FileSystemProvider delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        if (!"file".equals(delegate.getScheme())) {
            throw new IllegalArgumentException("delegate must be the 'file' provider, was " + delegate.getScheme());
        }
        this.fileSystem = new UringFileSystem(this, delegate.getFileSystem(URI.create("file:///")));
    }

    /** The platform provider everything but asynchronous channels goes to. */
    public FileSystemProvider delegate() {
        return delegate;
    }

    /** How many {@link #newAsynchronousFileChannel} calls returned an io_uring channel. */
    public long uringChannels() {
        return uringChannels.get();
    }

    /** How many {@link #newAsynchronousFileChannel} calls fell back to the platform's channel. */
    public long fallbackChannels() {
        return fallbackChannels.get();
    }

    /** This provider's file system: the platform one, with paths that lead back here. */
    public FileSystem fileSystem() {
        return fileSystem;
    }

    /** The platform path behind {@code path} (ours or the platform's own). */
    Path unwrap(Path path) {
        Path p = unwrapOrNull(Objects.requireNonNull(path, "path"));
        if (p == null) {
            throw new ProviderMismatchException("not a path of the default file system: " + path);
        }
        return p;
    }

    @Nullable Path unwrapOrNull(Path path) {
        if (path instanceof UringPath p) {
            return p.delegate();
        }
        return path.getFileSystem() == fileSystem.delegate() ? path : null;
    }

    private Path wrap(Path path) {
        return UringPath.of(fileSystem, path);
    }

    // ------------------------------------------------------------------ the one change

    /**
     * An io_uring {@link UringAsynchronousFileChannel} on a loop of the shared group, or the
     * platform's channel in the fallback cases listed in the class javadoc.
     */
    @Override
    public AsynchronousFileChannel newAsynchronousFileChannel(Path path, Set<? extends OpenOption> options,
            @Nullable ExecutorService executor, FileAttribute<?>... attrs) throws IOException {
        Path real = unwrap(path);
        if (attrs.length == 0 && UringAsynchronousFileChannel.supports(real, options) && UringFiles.usesUring()
                && !UringAsynchronousFileChannel.onLoopThread()) {
            UringAsynchronousFileChannel channel = UringAsynchronousFileChannel.open(path, options, executor);
            uringChannels.incrementAndGet();
            return channel;
        }
        fallbackChannels.incrementAndGet();
        return delegate.newAsynchronousFileChannel(real, options, executor, attrs);
    }

    // ------------------------------------------------------------------ everything else: the platform's

    @Override
    public String getScheme() {
        return delegate.getScheme();
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
        return delegate.newFileSystem(uri, env);
    }

    @Override
    public FileSystem newFileSystem(Path path, Map<String, ?> env) throws IOException {
        return delegate.newFileSystem(unwrap(path), env);
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
        delegate.getFileSystem(uri); // validates the URI as the platform does
        return fileSystem;
    }

    @Override
    public Path getPath(URI uri) {
        return wrap(delegate.getPath(uri));
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        return delegate.newByteChannel(unwrap(path), options, attrs);
    }

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        return delegate.newFileChannel(unwrap(path), options, attrs);
    }

    @Override
    public InputStream newInputStream(Path path, OpenOption... options) throws IOException {
        return delegate.newInputStream(unwrap(path), options);
    }

    @Override
    public OutputStream newOutputStream(Path path, OpenOption... options) throws IOException {
        return delegate.newOutputStream(unwrap(path), options);
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        Objects.requireNonNull(filter, "filter");
        DirectoryStream<Path> stream = delegate.newDirectoryStream(unwrap(dir), entry -> filter.accept(wrap(entry)));
        return new DirectoryStream<>() {
            @Override
            public Iterator<Path> iterator() {
                Iterator<Path> it = stream.iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Path next() {
                        return wrap(it.next());
                    }

                    @Override
                    public void remove() {
                        it.remove();
                    }
                };
            }

            @Override
            public void close() throws IOException {
                stream.close();
            }
        };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        delegate.createDirectory(unwrap(dir), attrs);
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
        delegate.createSymbolicLink(unwrap(link), unwrap(target), attrs);
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
        delegate.createLink(unwrap(link), unwrap(existing));
    }

    @Override
    public void delete(Path path) throws IOException {
        delegate.delete(unwrap(path));
    }

    @Override
    public boolean deleteIfExists(Path path) throws IOException {
        return delegate.deleteIfExists(unwrap(path));
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
        return wrap(delegate.readSymbolicLink(unwrap(link)));
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
        delegate.copy(unwrap(source), unwrap(target), options);
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        delegate.move(unwrap(source), unwrap(target), options);
    }

    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
        return delegate.isSameFile(unwrap(path), unwrap(path2));
    }

    @Override
    public boolean isHidden(Path path) throws IOException {
        return delegate.isHidden(unwrap(path));
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
        return delegate.getFileStore(unwrap(path));
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        delegate.checkAccess(unwrap(path), modes);
    }

    @Override
    public <V extends FileAttributeView> @Nullable V getFileAttributeView(Path path, Class<V> type,
            LinkOption... options) {
        return delegate.getFileAttributeView(unwrap(path), type, options);
    }

    @Override
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
            throws IOException {
        return delegate.readAttributes(unwrap(path), type, options);
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
            throws IOException {
        return delegate.readAttributes(unwrap(path), attributes, options);
    }

    @Override
    public void setAttribute(Path path, String attribute, @Nullable Object value, LinkOption... options)
            throws IOException {
        delegate.setAttribute(unwrap(path), attribute, value, options);
    }
}
