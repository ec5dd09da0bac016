package io.reactoruring.file.nio;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import org.jspecify.annotations.Nullable;

/**
 * A path of {@link UringFileSystem}: the platform's path, re-labelled so that
 * {@link #getFileSystem()} leads to {@link UringFileSystemProvider}. Every operation is the platform
 * path's; paths it returns are wrapped again. Immutable and thread-safe, like the path it wraps.
 */
final class UringPath implements Path {
    private final UringFileSystem fileSystem;
    private final Path delegate;

    UringPath(UringFileSystem fileSystem, Path delegate) {
        this.fileSystem = fileSystem;
        this.delegate = delegate;
    }

    Path delegate() {
        return delegate;
    }

    private @Nullable Path wrap(@Nullable Path p) {
        return p == null ? null : new UringPath(fileSystem, p);
    }

    private Path unwrap(Path other) {
        return fileSystem.provider().unwrap(other);
    }

    @Override
    public UringFileSystem getFileSystem() {
        return fileSystem;
    }

    @Override
    public boolean isAbsolute() {
        return delegate.isAbsolute();
    }

    @Override
    public @Nullable Path getRoot() {
        return wrap(delegate.getRoot());
    }

    @Override
    public @Nullable Path getFileName() {
        return wrap(delegate.getFileName());
    }

    @Override
    public @Nullable Path getParent() {
        return wrap(delegate.getParent());
    }

    @Override
    public int getNameCount() {
        return delegate.getNameCount();
    }

    @Override
    public Path getName(int index) {
        return new UringPath(fileSystem, delegate.getName(index));
    }

    @Override
    public Path subpath(int beginIndex, int endIndex) {
        return new UringPath(fileSystem, delegate.subpath(beginIndex, endIndex));
    }

    @Override
    public boolean startsWith(Path other) {
        Path o = fileSystem.provider().unwrapOrNull(other);
        return o != null && delegate.startsWith(o);
    }

    @Override
    public boolean endsWith(Path other) {
        Path o = fileSystem.provider().unwrapOrNull(other);
        return o != null && delegate.endsWith(o);
    }

    @Override
    public Path normalize() {
        return new UringPath(fileSystem, delegate.normalize());
    }

    @Override
    public Path resolve(Path other) {
        return new UringPath(fileSystem, delegate.resolve(unwrap(other)));
    }

    @Override
    public Path relativize(Path other) {
        return new UringPath(fileSystem, delegate.relativize(unwrap(other)));
    }

    @Override
    public URI toUri() {
        return delegate.toUri();
    }

    @Override
    public Path toAbsolutePath() {
        return new UringPath(fileSystem, delegate.toAbsolutePath());
    }

    @Override
    public Path toRealPath(LinkOption... options) throws IOException {
        return new UringPath(fileSystem, delegate.toRealPath(options));
    }

    /** Always a {@link File}: these are {@code file:} paths whether or not this file system is the default. */
    @Override
    public File toFile() {
        return new File(delegate.toString());
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
            throws IOException {
        return delegate.register(watcher, events, modifiers);
    }

    @Override
    public int compareTo(Path other) {
        return delegate.compareTo(unwrap(other));
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof UringPath p && p.fileSystem == fileSystem && p.delegate.equals(delegate);
    }

    @Override
    public int hashCode() {
        return delegate.hashCode();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
