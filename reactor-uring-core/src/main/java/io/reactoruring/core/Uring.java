package io.reactoruring.core;

import io.reactoruring.core.internal.Native;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntSupplier;
import org.jspecify.annotations.Nullable;

/**
 * Whether io_uring can be used in this process, and if not, why.
 *
 * <p>io_uring may be missing or blocked: an old kernel, the sysctl {@code kernel.io_uring_disabled},
 * a container's seccomp profile (Docker's default returns EPERM), a low {@code RLIMIT_MEMLOCK} on
 * kernels before 5.12, the native library not loadable, or {@code -Dreactoruring.disabled=true}.
 * The file and net modules check {@link #isAvailable()} and fall back to plain NIO.
 */
public final class Uring {
    /** System property that turns io_uring off for this JVM: {@code -Dreactoruring.disabled=true}. */
    public static final String DISABLE_PROPERTY = "reactoruring.disabled";

    /** Completions are kept on an overflow list instead of being dropped when the CQ is full. */
    static final int IORING_FEAT_NODROP = 1 << 1;
    private static volatile @Nullable Holder holder;

    private Uring() {
    }

    private static final class Holder {
        final @Nullable Throwable cause;

        Holder(@Nullable Throwable cause) {
            this.cause = cause;
        }
    }

    /** True when rings can be created here. Detected once per JVM. */
    public static boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /** Why io_uring cannot be used, or null when it can. The message names the fix where there is one. */
    public static @Nullable Throwable unavailabilityCause() {
        Holder h = holder;
        if (h == null) {
            synchronized (Uring.class) {
                h = holder;
                if (h == null) {
                    h = new Holder(detect(System.getProperty(DISABLE_PROPERTY), Uring::probeRing));
                    holder = h;
                }
            }
        }
        return h.cause;
    }

    /** Throws the unavailability cause, if any, as an {@link UnsupportedOperationException}. */
    public static void ensureAvailable() {
        Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new UnsupportedOperationException(cause.getMessage(), cause);
        }
    }

    /**
     * Detection, separated from its inputs so tests can force each failure.
     *
     * @param disabledProperty value of {@link #DISABLE_PROPERTY}
     * @param ringProbe creates and closes a tiny ring: 0 on success, {@code -errno} on failure;
     *                  may throw {@link LinkageError} if the native library cannot be loaded
     */
    static @Nullable Throwable detect(@Nullable String disabledProperty, IntSupplier ringProbe) {
        if (disabledProperty != null && !disabledProperty.equalsIgnoreCase("false")) {
            return new UnsupportedOperationException("io_uring disabled by -D" + DISABLE_PROPERTY + "=" + disabledProperty);
        }
        int res;
        try {
            res = ringProbe.getAsInt();
        } catch (LinkageError e) {
            return new UnsupportedOperationException("reactor-uring native library unavailable: " + e.getMessage(), e);
        }
        return res >= 0 ? null : new UnsupportedOperationException(explainSetupFailure(-res));
    }

    static String explainSetupFailure(int errno) {
        String head = "io_uring_setup failed with " + Errno.name(errno) + " (" + Errno.description(errno) + "): ";
        switch (errno) {
            case Errno.EPERM: {
                String sysctl = readSysctl("/proc/sys/kernel/io_uring_disabled");
                if ("2".equals(sysctl)) {
                    return head + "io_uring is disabled by sysctl kernel.io_uring_disabled=2; set it to 0";
                }
                if ("1".equals(sysctl)) {
                    return head + "sysctl kernel.io_uring_disabled=1 restricts io_uring to the group in "
                            + "kernel.io_uring_group; add this user to it or set the sysctl to 0";
                }
                return head + "most likely a seccomp profile blocks io_uring (Docker's and containerd's default "
                        + "profiles do): allow io_uring_setup, io_uring_enter and io_uring_register";
            }
            case Errno.ENOSYS:
                return head + "this kernel has no io_uring (needs Linux 5.1+, 6.1+ recommended, with CONFIG_IO_URING)";
            case Errno.ENOMEM: {
                long limit = memlockLimit();
                return head + "RLIMIT_MEMLOCK (" + (limit < 0 ? "unknown" : limit + " bytes") + ") is too low for the "
                        + "ring memory (kernels before 5.12 charge it there); raise it with 'ulimit -l unlimited' or "
                        + "LimitMEMLOCK=infinity";
            }
            case Errno.EINVAL:
                return head + "the kernel rejected the ring parameters; it is probably too old (Linux 5.5+ needed)";
            case Errno.EOPNOTSUPP:
                return head + "the kernel lacks IORING_FEAT_NODROP (Linux 5.5+), without which completions can be lost";
            default:
                return head + "io_uring cannot be used in this process";
        }
    }

    private static long memlockLimit() {
        try {
            return Native.memlockLimit();
        } catch (LinkageError e) {
            return -1;
        }
    }

    private static @Nullable String readSysctl(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static int probeRing() {
        Native.ensureLoaded();
        int[] out = new int[Native.OPEN_COUNT];
        long ring = Native.ringOpen(4, 8, 0, 0, out);
        if (ring < 0) {
            return (int) ring;
        }
        Native.ringClose(ring);
        return (out[Native.OPEN_FEATURES] & IORING_FEAT_NODROP) == 0 ? -Errno.EOPNOTSUPP : 0;
    }
}
