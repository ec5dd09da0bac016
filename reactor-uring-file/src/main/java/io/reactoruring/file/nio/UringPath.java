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

    private UringPath(UringFileSystem fileSystem, Path delegate) {
        this.fileSystem = fileSystem;
        this.delegate = delegate;
    }

    /**
     * {@code path} as a path of {@code fileSystem}, never a wrapper of a wrapper: the platform
     * answers some calls with {@code new File(...).toPath()} (e.g. {@code getPath(URI)} for a
     * {@code file:/x} URI), which is already one of ours when this file system is the default.
     */
    static UringPath of(UringFileSystem fileSystem, Path path) {
        if (path instanceof UringPath p) {
            if (p.fileSystem == fileSystem) {
                return p;
            }
            return new UringPath(fileSystem, p.delegate);
        }
        return new UringPath(fileSystem, path);
    }

    Path delegate() {
        return delegate;
    }

    private @Nullable Path wrap(@Nullable Path p) {
        return p == null ? null : of(fileSystem, p);
    }

    private Path unwrap(Path other) {
        return fileSystem.uringProvider().unwrap(other);
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
        return of(fileSystem, delegate.getName(index));
    }

    @Override
    public Path subpath(int beginIndex, int endIndex) {
        return of(fileSystem, delegate.subpath(beginIndex, endIndex));
    }

    @Override
    public boolean startsWith(Path other) {
        Path o = fileSystem.uringProvider().unwrapOrNull(other);
        return o != null && delegate.startsWith(o);
    }

    @Override
    public boolean endsWith(Path other) {
        Path o = fileSystem.uringProvider().unwrapOrNull(other);
        return o != null && delegate.endsWith(o);
    }

    @Override
    public Path normalize() {
        return of(fileSystem, delegate.normalize());
    }

    @Override
    public Path resolve(Path other) {
        return of(fileSystem, delegate.resolve(unwrap(other)));
    }

    @Override
    public Path relativize(Path other) {
        return of(fileSystem, delegate.relativize(unwrap(other)));
    }

    @Override
    public URI toUri() {
        return delegate.toUri();
    }

    @Override
    public Path toAbsolutePath() {
        return of(fileSystem, delegate.toAbsolutePath());
    }

    @Override
    public Path toRealPath(LinkOption... options) throws IOException {
        return of(fileSystem, delegate.toRealPath(options));
    }

    /** Always a {@link File}: these are {@code file:} paths whether or not this file system is the default. */
    @Override
    public File toFile() {
        return new File(delegate.toString());
    }

    /**
     * Registers the platform directory with the platform watch service; with a
     * {@link UringWatchService} (what this file system's {@code newWatchService()} returns) the key,
     * its {@code watchable()} and its events' contexts are paths of this file system.
     */
    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
            throws IOException {
        if (watcher instanceof UringWatchService w) {
            return w.register(this, events, modifiers);
        }
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
