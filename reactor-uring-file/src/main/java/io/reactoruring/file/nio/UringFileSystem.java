package io.reactoruring.file.nio;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.nio.file.spi.FileSystemProvider;
import org.jspecify.annotations.Nullable;

/**
 * The platform's default file system, re-labelled so that its paths belong to
 * {@link UringFileSystemProvider}: {@link java.nio.channels.AsynchronousFileChannel#open} and every
 * other {@code Files}/channel factory dispatch on {@code path.getFileSystem().provider()}, so this
 * is what routes them to the provider. Everything else is the platform file system's.
 */
final class UringFileSystem extends FileSystem {
    private static final String DEFAULT_FILE_TYPE_DETECTOR = "sun.nio.fs.DefaultFileTypeDetector";
    private static final StackWalker STACK = StackWalker.getInstance();

    private final UringFileSystemProvider provider;
    private final AtomicReference<@Nullable Thread> initialisingTypeDetectors = new AtomicReference<>();
    /** JDK 25 asks its own provider directly for its file type detector: nothing to work around there. */
    private volatile boolean typeDetectorsReady = Runtime.version().feature() >= 25;
    private final FileSystem delegate;

    UringFileSystem(UringFileSystemProvider provider, FileSystem delegate) {
        this.provider = provider;
        this.delegate = delegate;
    }

    FileSystem delegate() {
        return delegate;
    }

    /** The provider, whatever the caller (see {@link #provider()}). */
    UringFileSystemProvider uringProvider() {
        return provider;
    }

    /**
     * {@link UringFileSystemProvider}; except to JDK 17 to 24's {@code sun.nio.fs.DefaultFileTypeDetector},
     * which casts {@code FileSystems.getDefault().provider()} to the platform's own provider class
     * (a {@code ClassCastException} would break {@code Files.probeContentType} for the life of the
     * JVM): it gets the platform provider, which it only asks for its file type detector. That
     * class is initialised once, so the first call of this method on the default file system
     * initialises it right away; later calls only read a volatile flag.
     */
    @Override
    public FileSystemProvider provider() {
        if (!typeDetectorsReady) {
            return providerBeforeTypeDetectors();
        }
        return provider;
    }

    private FileSystemProvider providerBeforeTypeDetectors() {
        if (STACK.walk(s -> s.limit(4).anyMatch(f -> f.getClassName().equals(DEFAULT_FILE_TYPE_DETECTOR)))) {
            return provider.delegate();
        }
        FileSystem dflt = FileSystems.getDefault(); // null while the JDK is still installing us
        if (dflt != null && dflt != this) {
            typeDetectorsReady = true; // nobody casts a provider that is not the default one
        } else if (dflt == this && initialisingTypeDetectors.compareAndSet(null, Thread.currentThread())) {
            try {
                Class.forName("java.nio.file.Files$FileTypeDetectors", true, null);
            } catch (ClassNotFoundException | LinkageError e) {
                // An installed detector failed: the JDK's Files.probeContentType reports it, as without us.
            } finally {
                typeDetectorsReady = true;
                initialisingTypeDetectors.set(null);
            }
        }
        return provider;
    }

    /** The default file system cannot be closed: the platform's throws {@link UnsupportedOperationException}. */
    @Override
    public void close() throws IOException {
        delegate.close();
    }

    @Override
    public boolean isOpen() {
        return delegate.isOpen();
    }

    @Override
    public boolean isReadOnly() {
        return delegate.isReadOnly();
    }

    @Override
    public String getSeparator() {
        return delegate.getSeparator();
    }

    @Override
    public Iterable<Path> getRootDirectories() {
        List<Path> roots = new ArrayList<>();
        for (Path root : delegate.getRootDirectories()) {
            roots.add(UringPath.of(this, root));
        }
        return roots;
    }

    @Override
    public Iterable<FileStore> getFileStores() {
        return delegate.getFileStores();
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return delegate.supportedFileAttributeViews();
    }

    @Override
    public Path getPath(String first, String... more) {
        return UringPath.of(this, delegate.getPath(first, more));
    }

    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        PathMatcher matcher = delegate.getPathMatcher(syntaxAndPattern);
        return path -> {
            Path p = provider.unwrapOrNull(path);
            return p != null && matcher.matches(p);
        };
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        return delegate.getUserPrincipalLookupService();
    }

    /**
     * The platform's watch service, wrapped so that a key's {@code watchable()} is the path that was
     * registered and event contexts are paths of this file system.
     */
    @Override
    public WatchService newWatchService() throws IOException {
        return new UringWatchService(this, delegate.newWatchService());
    }
}
