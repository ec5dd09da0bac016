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
    DIRECT
}
