package io.reactoruring.core;

import java.net.BindException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;

/**
 * Linux errno values and their mapping to Java exceptions.
 *
 * <p>The mapping prefers the exception a Java programmer already catches: {@code ENOENT} is a
 * {@link NoSuchFileException}, {@code ECONNREFUSED} a {@link ConnectException}, {@code ETIME} a
 * {@link TimeoutException}, {@code ECANCELED} a {@link CancellationException}. Every exception
 * returned implements {@link UringError} and its message names the errno, the operation and the
 * target; errnos without a standard counterpart become a {@link UringException}.
 */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int EXDEV = 18;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int EFBIG = 27;
    public static final int ENOSPC = 28;
    public static final int ESPIPE = 29;
    public static final int EROFS = 30;
    public static final int EPIPE = 32;
    public static final int ENAMETOOLONG = 36;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ELOOP = 40;
    public static final int ETIME = 62;
    public static final int EOVERFLOW = 75;
    public static final int ENOTSOCK = 88;
    public static final int EOPNOTSUPP = 95;
    public static final int EADDRINUSE = 98;
    public static final int EADDRNOTAVAIL = 99;
    public static final int ENETUNREACH = 101;
    public static final int ECONNABORTED = 103;
    public static final int ECONNRESET = 104;
    public static final int ENOBUFS = 105;
    public static final int EISCONN = 106;
    public static final int ENOTCONN = 107;
    public static final int ETIMEDOUT = 110;
    public static final int ECONNREFUSED = 111;
    public static final int EHOSTUNREACH = 113;
    public static final int EALREADY = 114;
    public static final int EINPROGRESS = 115;
    public static final int ECANCELED = 125;

    private static final String[] NAMES = new String[134];
    private static final String[] TEXTS = new String[134];

    static {
        def(EPERM, "EPERM", "Operation not permitted");
        def(ENOENT, "ENOENT", "No such file or directory");
        def(EINTR, "EINTR", "Interrupted system call");
        def(EIO, "EIO", "Input/output error");
        def(EBADF, "EBADF", "Bad file descriptor");
        def(EAGAIN, "EAGAIN", "Resource temporarily unavailable");
        def(ENOMEM, "ENOMEM", "Cannot allocate memory");
        def(EACCES, "EACCES", "Permission denied");
        def(EFAULT, "EFAULT", "Bad address");
        def(EBUSY, "EBUSY", "Device or resource busy");
        def(EEXIST, "EEXIST", "File exists");
        def(EXDEV, "EXDEV", "Invalid cross-device link");
        def(ENOTDIR, "ENOTDIR", "Not a directory");
        def(EISDIR, "EISDIR", "Is a directory");
        def(EINVAL, "EINVAL", "Invalid argument");
        def(ENFILE, "ENFILE", "Too many open files in system");
        def(EMFILE, "EMFILE", "Too many open files");
        def(EFBIG, "EFBIG", "File too large");
        def(ENOSPC, "ENOSPC", "No space left on device");
        def(ESPIPE, "ESPIPE", "Illegal seek");
        def(EROFS, "EROFS", "Read-only file system");
        def(EPIPE, "EPIPE", "Broken pipe");
        def(ENAMETOOLONG, "ENAMETOOLONG", "File name too long");
        def(ENOSYS, "ENOSYS", "Function not implemented");
        def(ENOTEMPTY, "ENOTEMPTY", "Directory not empty");
        def(ELOOP, "ELOOP", "Too many levels of symbolic links");
        def(ETIME, "ETIME", "Timer expired");
        def(EOVERFLOW, "EOVERFLOW", "Value too large for defined data type");
        def(ENOTSOCK, "ENOTSOCK", "Socket operation on non-socket");
        def(EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported");
        def(EADDRINUSE, "EADDRINUSE", "Address already in use");
        def(EADDRNOTAVAIL, "EADDRNOTAVAIL", "Cannot assign requested address");
        def(ENETUNREACH, "ENETUNREACH", "Network is unreachable");
        def(ECONNABORTED, "ECONNABORTED", "Software caused connection abort");
        def(ECONNRESET, "ECONNRESET", "Connection reset by peer");
        def(ENOBUFS, "ENOBUFS", "No buffer space available");
        def(EISCONN, "EISCONN", "Transport endpoint is already connected");
        def(ENOTCONN, "ENOTCONN", "Transport endpoint is not connected");
        def(ETIMEDOUT, "ETIMEDOUT", "Connection timed out");
        def(ECONNREFUSED, "ECONNREFUSED", "Connection refused");
        def(EHOSTUNREACH, "EHOSTUNREACH", "No route to host");
        def(EALREADY, "EALREADY", "Operation already in progress");
        def(EINPROGRESS, "EINPROGRESS", "Operation now in progress");
        def(ECANCELED, "ECANCELED", "Operation canceled");
    }

    private static void def(int errno, String name, String text) {
        NAMES[errno] = name;
        TEXTS[errno] = text;
    }

    private Errno() {
    }

    /** Symbolic name, e.g. {@code "ENOENT"}, or {@code "errno 200"} for values this table lacks. */
    public static String name(int errno) {
        int e = Math.abs(errno);
        return e < NAMES.length && NAMES[e] != null ? NAMES[e] : "errno " + e;
    }

    /** strerror-like description. */
    public static String description(int errno) {
        int e = Math.abs(errno);
        return e < TEXTS.length && TEXTS[e] != null ? TEXTS[e] : "Unknown error " + e;
    }

    static String message(int errno, String operation, String target) {
        String where = target.isEmpty() ? operation : operation + " " + target;
        return where + ": " + name(errno) + " (" + description(errno) + ")";
    }

    /**
     * The Java exception for a failed operation.
     *
     * @param errno the errno, positive or negative (a raw CQE {@code res} is accepted)
     * @param operation what was attempted, e.g. {@code "openat"}
     * @param target what it was attempted on, e.g. a path; may be empty
     */
    public static Exception exception(int errno, String operation, String target) {
        int e = Math.abs(errno);
        String op = operation == null ? "?" : operation;
        String t = target == null ? "" : target;
        String reason = name(e) + " (" + description(e) + ") in " + op;
        switch (e) {
            case ENOENT: return new NoSuchFile(e, op, t, reason);
            case EACCES:
            case EPERM: return new AccessDenied(e, op, t, reason);
            case EEXIST: return new AlreadyExists(e, op, t, reason);
            case ENOTDIR: return new NotDirectory(e, op, t);
            case ENOTEMPTY: return new NotEmpty(e, op, t);
            case ELOOP: return new Loop(e, op, t, reason);
            case EISDIR:
            case EROFS:
            case ENAMETOOLONG:
            case EXDEV: return new FileSystem(e, op, t, reason);
            case EBADF: return new Closed(e, op, t);
            case ECANCELED: return new Cancelled(e, op, t);
            case ETIME: return new Timeout(e, op, t);
            case ECONNREFUSED: return new Connect(e, op, t);
            case ETIMEDOUT: return new SocketTimeout(e, op, t);
            case ENETUNREACH:
            case EHOSTUNREACH: return new NoRoute(e, op, t);
            case EADDRINUSE:
            case EADDRNOTAVAIL: return new Bind(e, op, t);
            case ECONNRESET:
            case ECONNABORTED:
            case EPIPE:
            case ENOTCONN: return new Socket(e, op, t);
            default: return new UringException(e, op, t);
        }
    }

    /** The errno carried by {@code t} if reactor-uring made it, else 0. */
    public static int errnoOf(Throwable t) {
        return t instanceof UringError ? ((UringError) t).errno() : 0;
    }

    // One small subclass per standard exception type, so that each also carries the errno.

    private static final class NoSuchFile extends NoSuchFileException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        NoSuchFile(int errno, String op, String target, String reason) { super(target, null, reason); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class AccessDenied extends AccessDeniedException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        AccessDenied(int errno, String op, String target, String reason) { super(target, null, reason); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class AlreadyExists extends FileAlreadyExistsException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        AlreadyExists(int errno, String op, String target, String reason) { super(target, null, reason); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class NotDirectory extends NotDirectoryException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        NotDirectory(int errno, String op, String target) { super(target); this.errno = errno; this.op = op; this.target = target; }
        @Override public String getMessage() { return message(errno, op, target); }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class NotEmpty extends DirectoryNotEmptyException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        NotEmpty(int errno, String op, String target) { super(target); this.errno = errno; this.op = op; this.target = target; }
        @Override public String getMessage() { return message(errno, op, target); }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class Loop extends FileSystemLoopException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        Loop(int errno, String op, String target, String reason) { super(target); this.errno = errno; this.op = op; this.target = target; }
        @Override public String getMessage() { return message(errno, op, target); }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class FileSystem extends FileSystemException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        FileSystem(int errno, String op, String target, String reason) { super(target, null, reason); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class Closed extends ClosedChannelException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        Closed(int errno, String op, String target) { this.errno = errno; this.op = op; this.target = target; }
        @Override public String getMessage() { return message(errno, op, target); }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class Cancelled extends CancellationException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        Cancelled(int errno, String op, String target) { super(message(errno, op, target)); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class Timeout extends TimeoutException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        Timeout(int errno, String op, String target) { super(message(errno, op, target)); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class Connect extends ConnectException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        Connect(int errno, String op, String target) { super(message(errno, op, target)); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class SocketTimeout extends SocketTimeoutException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        SocketTimeout(int errno, String op, String target) { super(message(errno, op, target)); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class NoRoute extends NoRouteToHostException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        NoRoute(int errno, String op, String target) { super(message(errno, op, target)); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class Bind extends BindException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        Bind(int errno, String op, String target) { super(message(errno, op, target)); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }

    private static final class Socket extends SocketException implements UringError {
        private static final long serialVersionUID = 1L;
        final int errno; final String op; final String target;
        Socket(int errno, String op, String target) { super(message(errno, op, target)); this.errno = errno; this.op = op; this.target = target; }
        @Override public int errno() { return errno; }
        @Override public String operation() { return op; }
        @Override public String target() { return target; }
    }
}
