package io.reactoruring.core;

import java.io.IOException;

/**
 * A kernel error for which Java has no more specific standard exception. Names the errno, the
 * operation and its target, e.g. {@code "read /data/a.bin: EINVAL (Invalid argument)"}.
 *
 * <p>Where Java does have a standard exception ({@code NoSuchFileException}, {@code ConnectException},
 * ...), reactor-uring throws that type instead; it implements {@link UringError} so the errno is
 * still readable. See {@link Errno#exception(int, String, String)}.
 */
public class UringException extends IOException implements UringError {
    private static final long serialVersionUID = 1L;
    /** The errno, positive. */
    private final int errno;
    /** What was attempted, e.g. {@code "openat"}. */
    private final String operation;
    /** What it was attempted on, e.g. a path; may be empty. */
    private final String target;

    /**
     * An exception for a failed operation; its message is {@code "operation target: ENAME (description)"}.
     *
     * @param errno the errno, positive
     * @param operation what was attempted, e.g. {@code "read"}
     * @param target what it was attempted on, e.g. a path; may be empty
     */
    public UringException(int errno, String operation, String target) {
        super(Errno.message(errno, operation, target));
        this.errno = errno;
        this.operation = operation;
        this.target = target;
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
        return target;
    }
}
