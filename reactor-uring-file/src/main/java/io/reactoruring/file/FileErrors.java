package io.reactoruring.file;

import io.reactoruring.core.Errno;
import io.reactoruring.core.UringError;
import java.io.IOException;
import java.nio.file.FileSystemException;

/**
 * Makes both back ends fail with the same exception types.
 *
 * <p>io_uring errors come from core's {@link Errno}; NIO throws the standard exceptions for most
 * errors but a plain {@link IOException} carrying strerror's text for the rest (EISDIR on read,
 * EFBIG, ENOSPC...), which {@link #translate} turns into the {@link Errno} exception. Running out of
 * space or file size ({@link #refine}) becomes a {@link StorageException}, a
 * {@link FileSystemException} that names the errno, on both back ends.
 */
final class FileErrors {
    static final int EDQUOT = 122;
    private static final int MAX_ERRNO = 133;

    private FileErrors() {
    }

    /** A NIO exception as the back end independent type; {@code op} and {@code target} name what failed. */
    static Throwable translate(Throwable e, String op, String target) {
        // NIO reports errnos it has no type for as a plain IOException or FileSystemException with strerror's text.
        String text = e.getClass() == IOException.class ? e.getMessage()
                : e.getClass() == FileSystemException.class ? ((FileSystemException) e).getReason() : null;
        if (text != null) {
            int errno = errnoOfMessage(text);
            if (errno != 0) {
                Throwable t = Errno.exception(errno, op, target);
                t.initCause(e);
                return refine(t);
            }
        }
        return refine(e);
    }

    private static int errnoOfMessage(String message) {
        for (int errno = 1; errno <= MAX_ERRNO; errno++) {
            String text = errno == EDQUOT ? "Disk quota exceeded" : Errno.description(errno);
            // The JDK sometimes appends its own detail: "... (NOFOLLOW_LINKS specified)".
            if (message.equals(text) || message.startsWith(text + " (")) {
                return errno;
            }
        }
        return 0;
    }

    /** EFBIG, ENOSPC and EDQUOT as a {@link StorageException}; anything else unchanged. */
    static Throwable refine(Throwable e) {
        if (e instanceof UringError && !(e instanceof FileSystemException)) {
            UringError u = (UringError) e;
            int errno = u.errno();
            if (errno == Errno.EFBIG || errno == Errno.ENOSPC || errno == EDQUOT) {
                StorageException s = new StorageException(errno, u.operation(), u.target());
                s.initCause(e);
                return s;
            }
        }
        return e;
    }

    /**
     * The file system refused to store more: EFBIG (past RLIMIT_FSIZE or the file system's maximum
     * file size), ENOSPC (disk full) or EDQUOT (quota exceeded).
     */
    static final class StorageException extends FileSystemException implements UringError {
        private static final long serialVersionUID = 1L;
        private final int errno;
        private final String operation;

        StorageException(int errno, String operation, String target) {
            super(target, null, (errno == EDQUOT ? "EDQUOT (Disk quota exceeded)"
                    : Errno.name(errno) + " (" + Errno.description(errno) + ")") + " in " + operation);
            this.errno = errno;
            this.operation = operation;
        }

        @Override
        public int errno() {
            return errno;
        }

        @Override
        public String operation() {
            return operation;
        }

        @Override
        public String target() {
            String f = getFile();
            return f == null ? "" : f;
        }
    }
}
