package io.reactoruring.file.nio;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The platform's default file system, re-labelled so that its paths belong to
 * {@link UringFileSystemProvider}: {@link java.nio.channels.AsynchronousFileChannel#open} and every
 * other {@code Files}/channel factory dispatch on {@code path.getFileSystem().provider()}, so this
 * is what routes them to the provider. Everything else is the platform file system's.
 */
final class UringFileSystem extends FileSystem {
    private final UringFileSystemProvider provider;
    private final FileSystem delegate;

    UringFileSystem(UringFileSystemProvider provider, FileSystem delegate) {
        this.provider = provider;
        this.delegate = delegate;
    }

    FileSystem delegate() {
        return delegate;
    }

    @Override
    public UringFileSystemProvider provider() {
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
            roots.add(new UringPath(this, root));
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
        return new UringPath(this, delegate.getPath(first, more));
    }

    @Override
    public PathMatcher getPathMatcher(String syntaxAndPattern) {
        PathMatcher matcher = delegate.getPathMatcher(syntaxAndPattern);
        return path -> matcher.matches(provider.unwrap(path));
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        return delegate.getUserPrincipalLookupService();
    }

    /** The platform's watch service; keys and event contexts it reports carry platform paths. */
    @Override
    public WatchService newWatchService() throws IOException {
        return delegate.newWatchService();
    }
}
