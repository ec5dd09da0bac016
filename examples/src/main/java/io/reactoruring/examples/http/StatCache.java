package io.reactoruring.examples.http;

import io.reactoruring.file.FileStat;
import io.reactoruring.file.UringFile;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import reactor.core.publisher.Mono;

/**
 * Remembers each served file's statx result for a short time, as nginx's {@code open_file_cache_valid}
 * does: io_uring always runs STATX on an io-wq worker thread, a hop per request that a hot file does
 * not need. Only consulted once the file has been opened, so a deleted file is a 404 at once; a file
 * replaced within the validity is served with its old size (framing stays correct: a shorter file
 * closes the connection, see {@link FileResponder}) and old Last-Modified. Thread-safe; bounded by
 * {@link #MAX_ENTRIES} (cleared when full).
 */
final class StatCache {
    static final int MAX_ENTRIES = 4096;

    private record Entry(FileStat stat, long expiresAtNanos) {
    }

    private final ConcurrentHashMap<Path, Entry> entries = new ConcurrentHashMap<>();
    private final long validityNanos;
    private final LongSupplier nanoClock;

    /** @param validityNanos how long a result is reused; 0 disables the cache */
    StatCache(long validityNanos, LongSupplier nanoClock) {
        if (validityNanos < 0) {
            throw new IllegalArgumentException("validityNanos must be >= 0, was " + validityNanos);
        }
        this.validityNanos = validityNanos;
        this.nanoClock = nanoClock;
    }

    /** {@code file}'s metadata: remembered if still valid, else statx on the open file. */
    Mono<FileStat> stat(UringFile file) {
        if (validityNanos == 0) {
            return file.stat();
        }
        Path path = file.path();
        Entry e = entries.get(path);
        long now = nanoClock.getAsLong();
        if (e != null && now - e.expiresAtNanos < 0) {
            return Mono.just(e.stat);
        }
        return file.stat().doOnNext(st -> {
            if (entries.size() >= MAX_ENTRIES) {
                entries.clear();
            }
            entries.put(path, new Entry(st, now + validityNanos));
        });
    }
}
