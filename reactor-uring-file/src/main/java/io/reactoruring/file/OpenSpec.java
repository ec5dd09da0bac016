package io.reactoruring.file;

import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * Validated open options, as openat(2) flags and a creation mode, plus the original options for
 * NIO. Built at call time, so bad options throw before anything runs.
 *
 * @param options  the caller's options (copied)
 * @param flags    openat flags
 * @param readable opened for reading
 * @param writable opened for writing
 * @param mode     permission bits for a created file (the umask still applies)
 * @param attrs    the caller's file attributes (permissions only)
 */
record OpenSpec(Set<OpenOption> options, int flags, boolean readable, boolean writable, int mode,
                FileAttribute<?>[] attrs) {
    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_RDWR = 2;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_TRUNC = 01000;
    static final int O_APPEND = 02000;
    static final int O_DSYNC = 010000;
    static final int O_DIRECT = 040000;
    static final int O_SYNC = 04010000;
    static final int O_NOFOLLOW = 0400000;
    static final int O_CLOEXEC = 02000000;
    static final int DEFAULT_FILE_MODE = 0666;

    boolean direct() {
        return (flags & O_DIRECT) != 0;
    }

    /** {@link UringOpenOption#PLAIN_FD}: a process fd even where the loop offers direct descriptors. */
    boolean plainFd() {
        return options.contains(UringOpenOption.PLAIN_FD);
    }

    static OpenSpec of(Set<? extends OpenOption> options, FileAttribute<?>... attrs) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(attrs, "attrs");
        boolean read = options.contains(StandardOpenOption.READ);
        boolean write = options.contains(StandardOpenOption.WRITE);
        boolean append = options.contains(StandardOpenOption.APPEND);
        int flags = O_CLOEXEC;
        for (OpenOption o : options) {
            Objects.requireNonNull(o, "options contains null");
            if (o == StandardOpenOption.DELETE_ON_CLOSE) {
                throw new UnsupportedOperationException("DELETE_ON_CLOSE is not supported");
            } else if (o == StandardOpenOption.DSYNC) {
                flags |= O_DSYNC;
            } else if (o == StandardOpenOption.SYNC) {
                flags |= O_SYNC;
            } else if (o == LinkOption.NOFOLLOW_LINKS) {
                flags |= O_NOFOLLOW;
            } else if (o == UringOpenOption.DIRECT) {
                flags |= O_DIRECT;
            } else if (o == UringOpenOption.PLAIN_FD) {
                continue; // a choice of descriptor, not an openat flag: plainFd()
            } else if (!(o instanceof StandardOpenOption)) {
                throw new UnsupportedOperationException("unsupported open option: " + o);
            }
        }
        if (append) {
            if (read) {
                throw new IllegalArgumentException("READ + APPEND not allowed");
            }
            if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
                throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
            }
            write = true;
            flags |= O_APPEND;
        }
        if (!read && !write) {
            read = true;
        }
        flags |= read && write ? O_RDWR : write ? O_WRONLY : O_RDONLY;
        if (write) {
            // As in NIO, creation and truncation only apply to files opened for writing.
            if (options.contains(StandardOpenOption.CREATE_NEW)) {
                flags |= O_CREAT | O_EXCL;
            } else if (options.contains(StandardOpenOption.CREATE)) {
                flags |= O_CREAT;
            }
            if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
                flags |= O_TRUNC;
            }
        }
        return new OpenSpec(Set.copyOf(options), flags, read, write, mode(attrs), attrs.clone());
    }

    /** The mode bits of a {@code posix:permissions} attribute, else 0666; other attributes are unsupported, as in NIO. */
    private static int mode(FileAttribute<?>... attrs) {
        int mode = DEFAULT_FILE_MODE;
        for (FileAttribute<?> a : attrs) {
            Objects.requireNonNull(a, "attrs contains null");
            String name = a.name();
            if (!name.equals("posix:permissions") && !name.equals("unix:permissions")) {
                throw new UnsupportedOperationException("'" + name + "' cannot be set when creating a file");
            }
            mode = 0;
            for (Object p : (Set<?>) a.value()) {
                mode |= bit((PosixFilePermission) Objects.requireNonNull(p, "permissions contain null"));
            }
        }
        return mode;
    }

    private static int bit(PosixFilePermission p) {
        // OWNER_READ .. OTHERS_EXECUTE are declared from 0400 down to 0001.
        return 0400 >> p.ordinal();
    }

    /** The options for {@link java.nio.channels.FileChannel#open}: DIRECT becomes the JDK's own. */
    Set<OpenOption> nioOptions() {
        Set<OpenOption> nio = new HashSet<>(options);
        if (nio.remove(UringOpenOption.DIRECT)) {
            nio.add(com.sun.nio.file.ExtendedOpenOption.DIRECT);
        }
        nio.remove(StandardOpenOption.SPARSE);
        nio.remove(UringOpenOption.PLAIN_FD);
        return nio;
    }
}
