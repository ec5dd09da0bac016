package io.reactoruring.core;

/**
 * Implemented by every exception reactor-uring makes from a negative CQE result, whatever its
 * standard Java type, so callers can read the kernel's errno, the operation and its target.
 *
 * <p>For example, {@code Errno.errnoOf(e) == Errno.ENOENT} or, having caught a
 * {@link java.nio.file.NoSuchFileException}, {@code ((UringError) e).operation()}. Exceptions thrown by
 * the NIO fallback are the JDK's own and do not implement it. Implementations are immutable.
 */
public interface UringError {
    /** The positive errno value (e.g. 2 for ENOENT). */
    int errno();

    /** The errno's symbolic name, e.g. {@code "ENOENT"}. */
    default String errnoName() {
        return Errno.name(errno());
    }

    /** The operation that failed, e.g. {@code "openat"}. */
    String operation();

    /** What the operation acted on: a path, an fd, an address; never null, may be empty. */
    String target();
}
