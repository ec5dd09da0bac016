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
 *
 * <p>Every errno Linux defines from 1 to 133 ({@code EHWPOISON}) has a constant, a name and a
 * description (41 and 58 are unassigned); the numbers are the same on x86_64 and aarch64
 * (asm-generic). Only values outside that range are shown as {@code "errno N"}.
 */
public final class Errno {
    /** {@code EPERM} (1): Operation not permitted. */
    public static final int EPERM = 1;
    /** {@code ENOENT} (2): No such file or directory. */
    public static final int ENOENT = 2;
    /** {@code ESRCH} (3): No such process. */
    public static final int ESRCH = 3;
    /** {@code EINTR} (4): Interrupted system call. */
    public static final int EINTR = 4;
    /** {@code EIO} (5): Input/output error. */
    public static final int EIO = 5;
    /** {@code ENXIO} (6): No such device or address. */
    public static final int ENXIO = 6;
    /** {@code E2BIG} (7): Argument list too long. */
    public static final int E2BIG = 7;
    /** {@code ENOEXEC} (8): Exec format error. */
    public static final int ENOEXEC = 8;
    /** {@code EBADF} (9): Bad file descriptor. */
    public static final int EBADF = 9;
    /** {@code ECHILD} (10): No child processes. */
    public static final int ECHILD = 10;
    /** {@code EAGAIN} (11): Resource temporarily unavailable. */
    public static final int EAGAIN = 11;
    /** {@code ENOMEM} (12): Cannot allocate memory. */
    public static final int ENOMEM = 12;
    /** {@code EACCES} (13): Permission denied. */
    public static final int EACCES = 13;
    /** {@code EFAULT} (14): Bad address. */
    public static final int EFAULT = 14;
    /** {@code ENOTBLK} (15): Block device required. */
    public static final int ENOTBLK = 15;
    /** {@code EBUSY} (16): Device or resource busy. */
    public static final int EBUSY = 16;
    /** {@code EEXIST} (17): File exists. */
    public static final int EEXIST = 17;
    /** {@code EXDEV} (18): Invalid cross-device link. */
    public static final int EXDEV = 18;
    /** {@code ENODEV} (19): No such device. */
    public static final int ENODEV = 19;
    /** {@code ENOTDIR} (20): Not a directory. */
    public static final int ENOTDIR = 20;
    /** {@code EISDIR} (21): Is a directory. */
    public static final int EISDIR = 21;
    /** {@code EINVAL} (22): Invalid argument. */
    public static final int EINVAL = 22;
    /** {@code ENFILE} (23): Too many open files in system. */
    public static final int ENFILE = 23;
    /** {@code EMFILE} (24): Too many open files. */
    public static final int EMFILE = 24;
    /** {@code ENOTTY} (25): Inappropriate ioctl for device. */
    public static final int ENOTTY = 25;
    /** {@code ETXTBSY} (26): Text file busy. */
    public static final int ETXTBSY = 26;
    /** {@code EFBIG} (27): File too large. */
    public static final int EFBIG = 27;
    /** {@code ENOSPC} (28): No space left on device. */
    public static final int ENOSPC = 28;
    /** {@code ESPIPE} (29): Illegal seek. */
    public static final int ESPIPE = 29;
    /** {@code EROFS} (30): Read-only file system. */
    public static final int EROFS = 30;
    /** {@code EMLINK} (31): Too many links. */
    public static final int EMLINK = 31;
    /** {@code EPIPE} (32): Broken pipe. */
    public static final int EPIPE = 32;
    /** {@code EDOM} (33): Numerical argument out of domain. */
    public static final int EDOM = 33;
    /** {@code ERANGE} (34): Numerical result out of range. */
    public static final int ERANGE = 34;
    /** {@code EDEADLK} (35): Resource deadlock avoided. */
    public static final int EDEADLK = 35;
    /** {@code ENAMETOOLONG} (36): File name too long. */
    public static final int ENAMETOOLONG = 36;
    /** {@code ENOLCK} (37): No locks available. */
    public static final int ENOLCK = 37;
    /** {@code ENOSYS} (38): Function not implemented. */
    public static final int ENOSYS = 38;
    /** {@code ENOTEMPTY} (39): Directory not empty. */
    public static final int ENOTEMPTY = 39;
    /** {@code ELOOP} (40): Too many levels of symbolic links. */
    public static final int ELOOP = 40;
    /** {@code ENOMSG} (42): No message of desired type. */
    public static final int ENOMSG = 42;
    /** {@code EIDRM} (43): Identifier removed. */
    public static final int EIDRM = 43;
    /** {@code ECHRNG} (44): Channel number out of range. */
    public static final int ECHRNG = 44;
    /** {@code EL2NSYNC} (45): Level 2 not synchronized. */
    public static final int EL2NSYNC = 45;
    /** {@code EL3HLT} (46): Level 3 halted. */
    public static final int EL3HLT = 46;
    /** {@code EL3RST} (47): Level 3 reset. */
    public static final int EL3RST = 47;
    /** {@code ELNRNG} (48): Link number out of range. */
    public static final int ELNRNG = 48;
    /** {@code EUNATCH} (49): Protocol driver not attached. */
    public static final int EUNATCH = 49;
    /** {@code ENOCSI} (50): No CSI structure available. */
    public static final int ENOCSI = 50;
    /** {@code EL2HLT} (51): Level 2 halted. */
    public static final int EL2HLT = 51;
    /** {@code EBADE} (52): Invalid exchange. */
    public static final int EBADE = 52;
    /** {@code EBADR} (53): Invalid request descriptor. */
    public static final int EBADR = 53;
    /** {@code EXFULL} (54): Exchange full. */
    public static final int EXFULL = 54;
    /** {@code ENOANO} (55): No anode. */
    public static final int ENOANO = 55;
    /** {@code EBADRQC} (56): Invalid request code. */
    public static final int EBADRQC = 56;
    /** {@code EBADSLT} (57): Invalid slot. */
    public static final int EBADSLT = 57;
    /** {@code EBFONT} (59): Bad font file format. */
    public static final int EBFONT = 59;
    /** {@code ENOSTR} (60): Device not a stream. */
    public static final int ENOSTR = 60;
    /** {@code ENODATA} (61): No data available. */
    public static final int ENODATA = 61;
    /** {@code ETIME} (62): Timer expired. */
    public static final int ETIME = 62;
    /** {@code ENOSR} (63): Out of streams resources. */
    public static final int ENOSR = 63;
    /** {@code ENONET} (64): Machine is not on the network. */
    public static final int ENONET = 64;
    /** {@code ENOPKG} (65): Package not installed. */
    public static final int ENOPKG = 65;
    /** {@code EREMOTE} (66): Object is remote. */
    public static final int EREMOTE = 66;
    /** {@code ENOLINK} (67): Link has been severed. */
    public static final int ENOLINK = 67;
    /** {@code EADV} (68): Advertise error. */
    public static final int EADV = 68;
    /** {@code ESRMNT} (69): Srmount error. */
    public static final int ESRMNT = 69;
    /** {@code ECOMM} (70): Communication error on send. */
    public static final int ECOMM = 70;
    /** {@code EPROTO} (71): Protocol error. */
    public static final int EPROTO = 71;
    /** {@code EMULTIHOP} (72): Multihop attempted. */
    public static final int EMULTIHOP = 72;
    /** {@code EDOTDOT} (73): RFS specific error. */
    public static final int EDOTDOT = 73;
    /** {@code EBADMSG} (74): Bad message. */
    public static final int EBADMSG = 74;
    /** {@code EOVERFLOW} (75): Value too large for defined data type. */
    public static final int EOVERFLOW = 75;
    /** {@code ENOTUNIQ} (76): Name not unique on network. */
    public static final int ENOTUNIQ = 76;
    /** {@code EBADFD} (77): File descriptor in bad state. */
    public static final int EBADFD = 77;
    /** {@code EREMCHG} (78): Remote address changed. */
    public static final int EREMCHG = 78;
    /** {@code ELIBACC} (79): Can not access a needed shared library. */
    public static final int ELIBACC = 79;
    /** {@code ELIBBAD} (80): Accessing a corrupted shared library. */
    public static final int ELIBBAD = 80;
    /** {@code ELIBSCN} (81): .lib section in a.out corrupted. */
    public static final int ELIBSCN = 81;
    /** {@code ELIBMAX} (82): Attempting to link in too many shared libraries. */
    public static final int ELIBMAX = 82;
    /** {@code ELIBEXEC} (83): Cannot exec a shared library directly. */
    public static final int ELIBEXEC = 83;
    /** {@code EILSEQ} (84): Invalid or incomplete multibyte or wide character. */
    public static final int EILSEQ = 84;
    /** {@code ERESTART} (85): Interrupted system call should be restarted. */
    public static final int ERESTART = 85;
    /** {@code ESTRPIPE} (86): Streams pipe error. */
    public static final int ESTRPIPE = 86;
    /** {@code EUSERS} (87): Too many users. */
    public static final int EUSERS = 87;
    /** {@code ENOTSOCK} (88): Socket operation on non-socket. */
    public static final int ENOTSOCK = 88;
    /** {@code EDESTADDRREQ} (89): Destination address required. */
    public static final int EDESTADDRREQ = 89;
    /** {@code EMSGSIZE} (90): Message too long. */
    public static final int EMSGSIZE = 90;
    /** {@code EPROTOTYPE} (91): Protocol wrong type for socket. */
    public static final int EPROTOTYPE = 91;
    /** {@code ENOPROTOOPT} (92): Protocol not available. */
    public static final int ENOPROTOOPT = 92;
    /** {@code EPROTONOSUPPORT} (93): Protocol not supported. */
    public static final int EPROTONOSUPPORT = 93;
    /** {@code ESOCKTNOSUPPORT} (94): Socket type not supported. */
    public static final int ESOCKTNOSUPPORT = 94;
    /** {@code EOPNOTSUPP} (95): Operation not supported. */
    public static final int EOPNOTSUPP = 95;
    /** {@code EPFNOSUPPORT} (96): Protocol family not supported. */
    public static final int EPFNOSUPPORT = 96;
    /** {@code EAFNOSUPPORT} (97): Address family not supported by protocol. */
    public static final int EAFNOSUPPORT = 97;
    /** {@code EADDRINUSE} (98): Address already in use. */
    public static final int EADDRINUSE = 98;
    /** {@code EADDRNOTAVAIL} (99): Cannot assign requested address. */
    public static final int EADDRNOTAVAIL = 99;
    /** {@code ENETDOWN} (100): Network is down. */
    public static final int ENETDOWN = 100;
    /** {@code ENETUNREACH} (101): Network is unreachable. */
    public static final int ENETUNREACH = 101;
    /** {@code ENETRESET} (102): Network dropped connection on reset. */
    public static final int ENETRESET = 102;
    /** {@code ECONNABORTED} (103): Software caused connection abort. */
    public static final int ECONNABORTED = 103;
    /** {@code ECONNRESET} (104): Connection reset by peer. */
    public static final int ECONNRESET = 104;
    /** {@code ENOBUFS} (105): No buffer space available. */
    public static final int ENOBUFS = 105;
    /** {@code EISCONN} (106): Transport endpoint is already connected. */
    public static final int EISCONN = 106;
    /** {@code ENOTCONN} (107): Transport endpoint is not connected. */
    public static final int ENOTCONN = 107;
    /** {@code ESHUTDOWN} (108): Cannot send after transport endpoint shutdown. */
    public static final int ESHUTDOWN = 108;
    /** {@code ETOOMANYREFS} (109): Too many references: cannot splice. */
    public static final int ETOOMANYREFS = 109;
    /** {@code ETIMEDOUT} (110): Connection timed out. */
    public static final int ETIMEDOUT = 110;
    /** {@code ECONNREFUSED} (111): Connection refused. */
    public static final int ECONNREFUSED = 111;
    /** {@code EHOSTDOWN} (112): Host is down. */
    public static final int EHOSTDOWN = 112;
    /** {@code EHOSTUNREACH} (113): No route to host. */
    public static final int EHOSTUNREACH = 113;
    /** {@code EALREADY} (114): Operation already in progress. */
    public static final int EALREADY = 114;
    /** {@code EINPROGRESS} (115): Operation now in progress. */
    public static final int EINPROGRESS = 115;
    /** {@code ESTALE} (116): Stale file handle. */
    public static final int ESTALE = 116;
    /** {@code EUCLEAN} (117): Structure needs cleaning. */
    public static final int EUCLEAN = 117;
    /** {@code ENOTNAM} (118): Not a XENIX named type file. */
    public static final int ENOTNAM = 118;
    /** {@code ENAVAIL} (119): No XENIX semaphores available. */
    public static final int ENAVAIL = 119;
    /** {@code EISNAM} (120): Is a named type file. */
    public static final int EISNAM = 120;
    /** {@code EREMOTEIO} (121): Remote I/O error. */
    public static final int EREMOTEIO = 121;
    /** {@code EDQUOT} (122): Disk quota exceeded. */
    public static final int EDQUOT = 122;
    /** {@code ENOMEDIUM} (123): No medium found. */
    public static final int ENOMEDIUM = 123;
    /** {@code EMEDIUMTYPE} (124): Wrong medium type. */
    public static final int EMEDIUMTYPE = 124;
    /** {@code ECANCELED} (125): Operation canceled. */
    public static final int ECANCELED = 125;
    /** {@code ENOKEY} (126): Required key not available. */
    public static final int ENOKEY = 126;
    /** {@code EKEYEXPIRED} (127): Key has expired. */
    public static final int EKEYEXPIRED = 127;
    /** {@code EKEYREVOKED} (128): Key has been revoked. */
    public static final int EKEYREVOKED = 128;
    /** {@code EKEYREJECTED} (129): Key was rejected by service. */
    public static final int EKEYREJECTED = 129;
    /** {@code EOWNERDEAD} (130): Owner died. */
    public static final int EOWNERDEAD = 130;
    /** {@code ENOTRECOVERABLE} (131): State not recoverable. */
    public static final int ENOTRECOVERABLE = 131;
    /** {@code ERFKILL} (132): Operation not possible due to RF-kill. */
    public static final int ERFKILL = 132;
    /** {@code EHWPOISON} (133): Memory page has hardware error. */
    public static final int EHWPOISON = 133;
    /** The same value as {@link #EAGAIN}. */
    public static final int EWOULDBLOCK = EAGAIN;
    /** The same value as {@link #EOPNOTSUPP}. */
    public static final int ENOTSUP = EOPNOTSUPP;

    private static final String[] NAMES = new String[134];
    private static final String[] TEXTS = new String[134];

    static {
        def(EPERM, "EPERM", "Operation not permitted");
        def(ENOENT, "ENOENT", "No such file or directory");
        def(ESRCH, "ESRCH", "No such process");
        def(EINTR, "EINTR", "Interrupted system call");
        def(EIO, "EIO", "Input/output error");
        def(ENXIO, "ENXIO", "No such device or address");
        def(E2BIG, "E2BIG", "Argument list too long");
        def(ENOEXEC, "ENOEXEC", "Exec format error");
        def(EBADF, "EBADF", "Bad file descriptor");
        def(ECHILD, "ECHILD", "No child processes");
        def(EAGAIN, "EAGAIN", "Resource temporarily unavailable");
        def(ENOMEM, "ENOMEM", "Cannot allocate memory");
        def(EACCES, "EACCES", "Permission denied");
        def(EFAULT, "EFAULT", "Bad address");
        def(ENOTBLK, "ENOTBLK", "Block device required");
        def(EBUSY, "EBUSY", "Device or resource busy");
        def(EEXIST, "EEXIST", "File exists");
        def(EXDEV, "EXDEV", "Invalid cross-device link");
        def(ENODEV, "ENODEV", "No such device");
        def(ENOTDIR, "ENOTDIR", "Not a directory");
        def(EISDIR, "EISDIR", "Is a directory");
        def(EINVAL, "EINVAL", "Invalid argument");
        def(ENFILE, "ENFILE", "Too many open files in system");
        def(EMFILE, "EMFILE", "Too many open files");
        def(ENOTTY, "ENOTTY", "Inappropriate ioctl for device");
        def(ETXTBSY, "ETXTBSY", "Text file busy");
        def(EFBIG, "EFBIG", "File too large");
        def(ENOSPC, "ENOSPC", "No space left on device");
        def(ESPIPE, "ESPIPE", "Illegal seek");
        def(EROFS, "EROFS", "Read-only file system");
        def(EMLINK, "EMLINK", "Too many links");
        def(EPIPE, "EPIPE", "Broken pipe");
        def(EDOM, "EDOM", "Numerical argument out of domain");
        def(ERANGE, "ERANGE", "Numerical result out of range");
        def(EDEADLK, "EDEADLK", "Resource deadlock avoided");
        def(ENAMETOOLONG, "ENAMETOOLONG", "File name too long");
        def(ENOLCK, "ENOLCK", "No locks available");
        def(ENOSYS, "ENOSYS", "Function not implemented");
        def(ENOTEMPTY, "ENOTEMPTY", "Directory not empty");
        def(ELOOP, "ELOOP", "Too many levels of symbolic links");
        def(ENOMSG, "ENOMSG", "No message of desired type");
        def(EIDRM, "EIDRM", "Identifier removed");
        def(ECHRNG, "ECHRNG", "Channel number out of range");
        def(EL2NSYNC, "EL2NSYNC", "Level 2 not synchronized");
        def(EL3HLT, "EL3HLT", "Level 3 halted");
        def(EL3RST, "EL3RST", "Level 3 reset");
        def(ELNRNG, "ELNRNG", "Link number out of range");
        def(EUNATCH, "EUNATCH", "Protocol driver not attached");
        def(ENOCSI, "ENOCSI", "No CSI structure available");
        def(EL2HLT, "EL2HLT", "Level 2 halted");
        def(EBADE, "EBADE", "Invalid exchange");
        def(EBADR, "EBADR", "Invalid request descriptor");
        def(EXFULL, "EXFULL", "Exchange full");
        def(ENOANO, "ENOANO", "No anode");
        def(EBADRQC, "EBADRQC", "Invalid request code");
        def(EBADSLT, "EBADSLT", "Invalid slot");
        def(EBFONT, "EBFONT", "Bad font file format");
        def(ENOSTR, "ENOSTR", "Device not a stream");
        def(ENODATA, "ENODATA", "No data available");
        def(ETIME, "ETIME", "Timer expired");
        def(ENOSR, "ENOSR", "Out of streams resources");
        def(ENONET, "ENONET", "Machine is not on the network");
        def(ENOPKG, "ENOPKG", "Package not installed");
        def(EREMOTE, "EREMOTE", "Object is remote");
        def(ENOLINK, "ENOLINK", "Link has been severed");
        def(EADV, "EADV", "Advertise error");
        def(ESRMNT, "ESRMNT", "Srmount error");
        def(ECOMM, "ECOMM", "Communication error on send");
        def(EPROTO, "EPROTO", "Protocol error");
        def(EMULTIHOP, "EMULTIHOP", "Multihop attempted");
        def(EDOTDOT, "EDOTDOT", "RFS specific error");
        def(EBADMSG, "EBADMSG", "Bad message");
        def(EOVERFLOW, "EOVERFLOW", "Value too large for defined data type");
        def(ENOTUNIQ, "ENOTUNIQ", "Name not unique on network");
        def(EBADFD, "EBADFD", "File descriptor in bad state");
        def(EREMCHG, "EREMCHG", "Remote address changed");
        def(ELIBACC, "ELIBACC", "Can not access a needed shared library");
        def(ELIBBAD, "ELIBBAD", "Accessing a corrupted shared library");
        def(ELIBSCN, "ELIBSCN", ".lib section in a.out corrupted");
        def(ELIBMAX, "ELIBMAX", "Attempting to link in too many shared libraries");
        def(ELIBEXEC, "ELIBEXEC", "Cannot exec a shared library directly");
        def(EILSEQ, "EILSEQ", "Invalid or incomplete multibyte or wide character");
        def(ERESTART, "ERESTART", "Interrupted system call should be restarted");
        def(ESTRPIPE, "ESTRPIPE", "Streams pipe error");
        def(EUSERS, "EUSERS", "Too many users");
        def(ENOTSOCK, "ENOTSOCK", "Socket operation on non-socket");
        def(EDESTADDRREQ, "EDESTADDRREQ", "Destination address required");
        def(EMSGSIZE, "EMSGSIZE", "Message too long");
        def(EPROTOTYPE, "EPROTOTYPE", "Protocol wrong type for socket");
        def(ENOPROTOOPT, "ENOPROTOOPT", "Protocol not available");
        def(EPROTONOSUPPORT, "EPROTONOSUPPORT", "Protocol not supported");
        def(ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT", "Socket type not supported");
        def(EOPNOTSUPP, "EOPNOTSUPP", "Operation not supported");
        def(EPFNOSUPPORT, "EPFNOSUPPORT", "Protocol family not supported");
        def(EAFNOSUPPORT, "EAFNOSUPPORT", "Address family not supported by protocol");
        def(EADDRINUSE, "EADDRINUSE", "Address already in use");
        def(EADDRNOTAVAIL, "EADDRNOTAVAIL", "Cannot assign requested address");
        def(ENETDOWN, "ENETDOWN", "Network is down");
        def(ENETUNREACH, "ENETUNREACH", "Network is unreachable");
        def(ENETRESET, "ENETRESET", "Network dropped connection on reset");
        def(ECONNABORTED, "ECONNABORTED", "Software caused connection abort");
        def(ECONNRESET, "ECONNRESET", "Connection reset by peer");
        def(ENOBUFS, "ENOBUFS", "No buffer space available");
        def(EISCONN, "EISCONN", "Transport endpoint is already connected");
        def(ENOTCONN, "ENOTCONN", "Transport endpoint is not connected");
        def(ESHUTDOWN, "ESHUTDOWN", "Cannot send after transport endpoint shutdown");
        def(ETOOMANYREFS, "ETOOMANYREFS", "Too many references: cannot splice");
        def(ETIMEDOUT, "ETIMEDOUT", "Connection timed out");
        def(ECONNREFUSED, "ECONNREFUSED", "Connection refused");
        def(EHOSTDOWN, "EHOSTDOWN", "Host is down");
        def(EHOSTUNREACH, "EHOSTUNREACH", "No route to host");
        def(EALREADY, "EALREADY", "Operation already in progress");
        def(EINPROGRESS, "EINPROGRESS", "Operation now in progress");
        def(ESTALE, "ESTALE", "Stale file handle");
        def(EUCLEAN, "EUCLEAN", "Structure needs cleaning");
        def(ENOTNAM, "ENOTNAM", "Not a XENIX named type file");
        def(ENAVAIL, "ENAVAIL", "No XENIX semaphores available");
        def(EISNAM, "EISNAM", "Is a named type file");
        def(EREMOTEIO, "EREMOTEIO", "Remote I/O error");
        def(EDQUOT, "EDQUOT", "Disk quota exceeded");
        def(ENOMEDIUM, "ENOMEDIUM", "No medium found");
        def(EMEDIUMTYPE, "EMEDIUMTYPE", "Wrong medium type");
        def(ECANCELED, "ECANCELED", "Operation canceled");
        def(ENOKEY, "ENOKEY", "Required key not available");
        def(EKEYEXPIRED, "EKEYEXPIRED", "Key has expired");
        def(EKEYREVOKED, "EKEYREVOKED", "Key has been revoked");
        def(EKEYREJECTED, "EKEYREJECTED", "Key was rejected by service");
        def(EOWNERDEAD, "EOWNERDEAD", "Owner died");
        def(ENOTRECOVERABLE, "ENOTRECOVERABLE", "State not recoverable");
        def(ERFKILL, "ERFKILL", "Operation not possible due to RF-kill");
        def(EHWPOISON, "EHWPOISON", "Memory page has hardware error");
    }

    private static void def(int errno, String name, String text) {
        NAMES[errno] = name;
        TEXTS[errno] = text;
    }

    private Errno() {
    }

    /**
     * Symbolic name, e.g. {@code "ENOENT"}, or {@code "errno 200"} for values this table lacks.
     *
     * @param errno the errno, positive or negative
     * @return its name; never null
     */
    public static String name(int errno) {
        int e = Math.abs(errno);
        return e < NAMES.length && NAMES[e] != null ? NAMES[e] : "errno " + e;
    }

    /**
     * strerror-like description, e.g. {@code "No such file or directory"}.
     *
     * @param errno the errno, positive or negative
     * @return its description, or {@code "Unknown error N"}; never null
     */
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
     * @return a new exception of the type the class comment maps {@code errno} to, implementing
     *         {@link UringError}; returned, not thrown
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
            case ENXIO: // e.g. a FIFO opened for writing with no reader
            case ENODEV:
            case ETXTBSY:
            case EMLINK:
            case EDQUOT:
            case ESTALE:
            case EROFS:
            case ENAMETOOLONG:
            case EXDEV: return new FileSystem(e, op, t, reason);
            case EBADF: return new Closed(e, op, t);
            case ECANCELED: return new Cancelled(e, op, t);
            case ETIME: return new Timeout(e, op, t);
            case ECONNREFUSED: return new Connect(e, op, t);
            case ETIMEDOUT: return new SocketTimeout(e, op, t);
            case ENETUNREACH:
            case ENETDOWN:
            case EHOSTDOWN:
            case EHOSTUNREACH: return new NoRoute(e, op, t);
            case EADDRINUSE:
            case EADDRNOTAVAIL: return new Bind(e, op, t);
            case ECONNRESET:
            case ECONNABORTED:
            case EPIPE:
            case ENETRESET:
            case ESHUTDOWN:
            case ENOTCONN: return new Socket(e, op, t);
            default: return new UringException(e, op, t);
        }
    }

    /**
     * The errno carried by {@code t} if reactor-uring made it, else 0.
     *
     * @param t any throwable
     * @return the positive errno, or 0 (also for the NIO fallback's own exceptions)
     */
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
