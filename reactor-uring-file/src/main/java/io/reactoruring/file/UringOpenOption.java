package io.reactoruring.file;

import java.nio.file.OpenOption;

/** Open options of reactor-uring beyond {@link java.nio.file.StandardOpenOption}. */
public enum UringOpenOption implements OpenOption {
    /**
     * O_DIRECT: transfers bypass the page cache. Buffers, file positions and lengths must then be
     * aligned to the file system's logical block size (usually 512 or 4096 bytes; pooled buffers are
     * page aligned); a misaligned transfer fails with EINVAL, and some file systems (tmpfs) reject the
     * flag at open (EINVAL). In the NIO fallback this is {@code com.sun.nio.file.ExtendedOpenOption.DIRECT},
     * where the JDK checks alignment itself and fails a misaligned transfer with a plain IOException.
     */
    DIRECT,

    /**
     * A plain process fd, never a direct descriptor. By default a file opened on io_uring lives in its
     * loop's registered file table (a direct descriptor: no entry in the process's fd table, no
     * fdget/fdput per op; see {@code RingOptions.registeredFiles}), and {@link UringFile#sharedFd()}
     * is then null because the descriptor means nothing outside that ring. Open with this option when
     * the file's descriptor must be used elsewhere: {@code sharedFd()} for another module's ops
     * (such as reactor-uring-net's {@code sendFile}), or {@link UringFile#fd()}. Either way
     * {@link UringFile#read} called from threads other than the loop reads page-cached data on the
     * calling thread instead of crossing to the loop and back; a direct descriptor first installs a
     * process fd for that (on its first such read, closed with the file). Reads the loop batches
     * ({@code readChunks}, {@code RandomReads}) cost the loop somewhat less CPU on a direct
     * descriptor. Ignored on the NIO fallback.
     */
    PLAIN_FD
}
