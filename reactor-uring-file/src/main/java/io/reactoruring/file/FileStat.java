package io.reactoruring.file;

import java.time.Instant;

/**
 * The subset of {@code struct statx} reactor-uring reads (STATX_BASIC_STATS).
 *
 * @param size         file size in bytes ({@code stx_size})
 * @param mode         file type and permission bits ({@code stx_mode}, e.g. {@code 0100644})
 * @param blockSize    preferred I/O block size ({@code stx_blksize})
 * @param lastModified modification time ({@code stx_mtime})
 */
public record FileStat(long size, int mode, int blockSize, Instant lastModified) {
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;

    /** True when {@link #mode()} says a regular file ({@code S_IFREG}). */
    public boolean isRegularFile() {
        return (mode & S_IFMT) == S_IFREG;
    }

    /** True when {@link #mode()} says a directory ({@code S_IFDIR}). */
    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }
}
