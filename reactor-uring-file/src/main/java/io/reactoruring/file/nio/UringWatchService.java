package io.reactoruring.file.nio;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.Watchable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The platform's {@link WatchService} seen through {@link UringFileSystem}: a key's
 * {@link WatchKey#watchable()} is the {@link UringPath} that was registered (so
 * {@code watchable().equals(dir)}, {@code dir.relativize(watchable().resolve(ctx))} and moves of
 * {@code watchable().resolve(ctx)} work as with the platform's own paths) and a {@link Path} event
 * context is a {@link UringPath} too. Each platform key has one wrapper, so keys compare as the
 * platform's do (the same directory registered twice gives the same key). Thread-safe.
 */
final class UringWatchService implements WatchService {
    private final UringFileSystem fileSystem;
    private final WatchService delegate;
    private final Map<WatchKey, Key> keys = new ConcurrentHashMap<>();

    UringWatchService(UringFileSystem fileSystem, WatchService delegate) {
        this.fileSystem = fileSystem;
        this.delegate = delegate;
    }

    WatchKey register(UringPath dir, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
            throws IOException {
        WatchKey k = dir.delegate().register(delegate, events, modifiers);
        return keys.computeIfAbsent(k, platform -> new Key(platform, dir));
    }

    @Override
    public void close() throws IOException {
        delegate.close();
        keys.clear();
    }

    @Override
    public @Nullable WatchKey poll() {
        return wrap(delegate.poll());
    }

    @Override
    public @Nullable WatchKey poll(long timeout, TimeUnit unit) throws InterruptedException {
        return wrap(delegate.poll(timeout, unit));
    }

    @Override
    public WatchKey take() throws InterruptedException {
        WatchKey k = wrap(delegate.take());
        return Objects.requireNonNull(k);
    }

    private @Nullable WatchKey wrap(@Nullable WatchKey platform) {
        if (platform == null) {
            return null;
        }
        Key k = keys.get(platform);
        if (k == null) { // cancelled (and forgotten) after it was signalled, or registered by a platform path
            return platform.watchable() instanceof Path p ? new Key(platform, UringPath.of(fileSystem, p)) : platform;
        }
        if (!platform.isValid()) {
            keys.remove(platform, k); // no more events after this signal: forget it
        }
        return k;
    }

    /** A platform key with our path as its watchable. */
    private final class Key implements WatchKey {
        private final WatchKey delegate;
        private final UringPath dir;

        Key(WatchKey delegate, UringPath dir) {
            this.delegate = delegate;
            this.dir = dir;
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public List<WatchEvent<?>> pollEvents() {
            List<WatchEvent<?>> events = delegate.pollEvents();
            List<WatchEvent<?>> wrapped = new ArrayList<>(events.size());
            for (WatchEvent<?> e : events) {
                wrapped.add(e.context() instanceof Path p ? new Event<>(e, UringPath.of(fileSystem, p)) : e);
            }
            return wrapped;
        }

        @Override
        public boolean reset() {
            return delegate.reset();
        }

        @Override
        public void cancel() {
            delegate.cancel();
            keys.remove(delegate, this);
        }

        @Override
        public Watchable watchable() {
            return dir;
        }

        @Override
        public String toString() {
            return "UringWatchKey[" + dir + "]";
        }
    }

    /** An event whose context is our path. */
    private record Event<T>(WatchEvent<?> delegate, Object path) implements WatchEvent<T> {
        @SuppressWarnings("unchecked")
        @Override
        public Kind<T> kind() {
            return (Kind<T>) delegate.kind();
        }

        @Override
        public int count() {
            return delegate.count();
        }

        @SuppressWarnings("unchecked")
        @Override
        public T context() {
            return (T) path;
        }

        @Override
        public String toString() {
            return delegate.kind() + " " + path + " x" + delegate.count();
        }
    }
}
