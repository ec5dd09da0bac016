package io.reactoruring.core;

import io.reactoruring.core.internal.Native;
import io.reactoruring.core.internal.NativeMemory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * Whether io_uring can be used in this process, and if not, why.
 *
 * <p>io_uring may be missing or blocked: an old kernel, the sysctl {@code kernel.io_uring_disabled},
 * a container's seccomp profile (Docker's default returns EPERM; some profiles allow
 * {@code io_uring_setup} but refuse {@code io_uring_enter} or {@code io_uring_register}), a low
 * {@code RLIMIT_MEMLOCK} without {@code CAP_IPC_LOCK} (kernels before 5.12, and again recent ones,
 * charge ring memory there), the native library not loadable (another platform, or JDK 22+ with
 * {@code --illegal-native-access=deny} and no {@code --enable-native-access}), or
 * {@code -Dreactoruring.disabled=true}. Detection runs once per JVM: a probe on a tiny ring of its
 * own exercises every syscall the library uses (setup, enter, register), so a cause names the
 * syscall that was refused and with which errno.
 *
 * <p>Rings can still fail later where this says yes (e.g. the memlock limit admits the probe's ring
 * but not the real ones). The file and net modules therefore choose their back end with
 * {@link UringLoopGroup#sharedIfUsable()}, which also covers the shared group's creation and its
 * loops' health, and fall back to plain NIO with a single warning per module naming
 * {@link UringLoopGroup#sharedUnavailabilityCause()}.
 */
public final class Uring {
    /** System property that turns io_uring off for this JVM: {@code -Dreactoruring.disabled=true}. */
    public static final String DISABLE_PROPERTY = "reactoruring.disabled";

    /** Completions are kept on an overflow list instead of being dropped when the CQ is full. */
    static final int IORING_FEAT_NODROP = 1 << 1;
    private static final int CAP_IPC_LOCK = 14;
    private static final int PAGE = 4096;
    private static volatile @Nullable Holder holder;

    private Uring() {
    }

    private static final class Holder {
        final @Nullable Throwable cause;

        Holder(@Nullable Throwable cause) {
            this.cause = cause;
        }
    }

    /** The native probe: fills {@code out} ({@code Native.PROBE_OUT_*}) and returns the failed stage ({@code Native.PROBE_*}). */
    @FunctionalInterface
    interface SyscallProbe {
        int run(int[] out);
    }

    /**
     * True when rings can be created here. Detected once per JVM (the first call runs the probe,
     * later calls read the result); thread-safe.
     *
     * @return whether io_uring is usable in this process
     */
    public static boolean isAvailable() {
        return unavailabilityCause() == null;
    }

    /**
     * Why io_uring cannot be used, or null when it can. The message names the refused syscall and
     * errno, the limit and its value, or the JVM flag, and the fix where there is one. Never throws;
     * thread-safe.
     *
     * @return the cause, or null
     */
    public static @Nullable Throwable unavailabilityCause() {
        Holder h = holder;
        if (h == null) {
            synchronized (Uring.class) {
                h = holder;
                if (h == null) {
                    h = new Holder(detect(System.getProperty(DISABLE_PROPERTY), Uring::probe));
                    holder = h;
                }
            }
        }
        return h.cause;
    }

    /**
     * Throws the unavailability cause, if any, as an {@link UnsupportedOperationException}.
     *
     * @throws UnsupportedOperationException when {@link #isAvailable()} is false, with
     *         {@link #unavailabilityCause()} as its cause and message
     */
    public static void ensureAvailable() {
        Throwable cause = unavailabilityCause();
        if (cause != null) {
            throw new UnsupportedOperationException(cause.getMessage(), cause);
        }
    }

    /**
     * Bytes of native memory reactor-uring holds right now, process-wide: loops' op tables and
     * submission batches, buffer pools, provided-buffer rings, file and socket-address blocks. A
     * diagnostic for gauges and leak checks: once every loop is disposed and every buffer released it
     * is back at the value it had before they were created. Not included: the kernel's ring memory
     * (mapped by {@code io_uring_setup}) and the JDK's direct {@code ByteBuffer}s. Thread-safe, never
     * blocks, and does not load the native library.
     *
     * @return the bytes currently allocated and not yet freed, {@code >= 0}
     */
    public static long nativeMemoryBytes() {
        return NativeMemory.allocatedBytes();
    }

    /**
     * The number of native blocks behind {@link #nativeMemoryBytes()}: each allocation counts one
     * until it is freed. Thread-safe, never blocks.
     *
     * @return the blocks currently allocated and not yet freed, {@code >= 0}
     */
    public static long nativeMemoryBlocks() {
        return NativeMemory.allocatedBlocks();
    }

    /**
     * Detection, separated from its inputs so tests can force each failure.
     *
     * @param disabledProperty value of {@link #DISABLE_PROPERTY}
     * @param probe the native syscall probe; may throw {@link LinkageError} (or, on JDK 22+, a
     *              runtime exception) if the native library cannot be loaded
     */
    static @Nullable Throwable detect(@Nullable String disabledProperty, SyscallProbe probe) {
        if (disabledProperty != null && !disabledProperty.equalsIgnoreCase("false")) {
            return new UnsupportedOperationException("io_uring disabled by -D" + DISABLE_PROPERTY + "=" + disabledProperty);
        }
        int[] out = new int[Native.PROBE_OUT_COUNT];
        int stage;
        try {
            stage = probe.run(out);
        } catch (LinkageError | RuntimeException e) {
            // RuntimeException: IllegalCallerException from a JDK that refuses native access, should
            // it ever get past NativeLibrary; nothing here may kill the caller.
            return new UnsupportedOperationException("reactor-uring native library unavailable: " + e.getMessage(), e);
        }
        int errno = out[Native.PROBE_OUT_ERRNO];
        switch (stage) {
            case Native.PROBE_OK:
                return (out[Native.PROBE_OUT_FEATURES] & IORING_FEAT_NODROP) == 0
                        ? new UnsupportedOperationException(explainSetupFailure(Errno.EOPNOTSUPP))
                        : null;
            case Native.PROBE_SETUP:
                return new UnsupportedOperationException(explainSetupFailure(errno));
            default:
                return new UnsupportedOperationException(explainRefusal(stage == Native.PROBE_ENTER
                        ? "io_uring_enter" : "io_uring_register", errno));
        }
    }

    private static int probe(int[] out) {
        Native.ensureLoaded();
        return Native.probeSyscalls(out);
    }

    /** io_uring_setup worked, but a later syscall of the probe was refused. */
    static String explainRefusal(String syscall, int errno) {
        String head = "io_uring_setup works but " + syscall + " failed with " + Errno.name(errno) + " ("
                + Errno.description(errno) + "): ";
        if (errno == Errno.ENOMEM) {
            return head + memlockAdvice(sharedGroupBytes(), "registered buffers and the shared group's rings");
        }
        return head + "a seccomp profile (or another security policy) allows io_uring_setup but refuses " + syscall
                + seccompNote() + "; allow io_uring_setup, io_uring_enter and io_uring_register";
    }

    static String explainSetupFailure(int errno) {
        return explainSetupFailure(errno, sharedGroupBytes());
    }

    /** @param ringBytes about how much locked memory the ring(s) being set up need */
    static String explainSetupFailure(int errno, long ringBytes) {
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
                        + "profiles do)" + seccompNote() + ": allow io_uring_setup, io_uring_enter and io_uring_register";
            }
            case Errno.ENOSYS:
                if (seccompFiltered() || Files.exists(Path.of("/proc/sys/kernel/io_uring_disabled"))) {
                    // A kernel that has the sysctl has io_uring; a seccomp filter may answer ENOSYS
                    // for any syscall it blocks.
                    return head + "io_uring is blocked, not missing: " + (seccompFiltered()
                            ? "a seccomp filter is active in this process (Seccomp: 2 in /proc/self/status) and "
                            + "answers ENOSYS for the syscalls it refuses"
                            : "this kernel has io_uring (kernel.io_uring_disabled exists), so a security policy "
                            + "refuses the syscall") + "; allow io_uring_setup, io_uring_enter and io_uring_register";
                }
                return head + "this kernel (" + System.getProperty("os.version") + ") has no io_uring (needs Linux "
                        + "5.1+, 6.1+ recommended, built with CONFIG_IO_URING)";
            case Errno.ENOMEM:
                return head + memlockAdvice(ringBytes, "the ring memory");
            case Errno.EINVAL:
                return head + "the kernel rejected the ring parameters; it is probably too old (Linux 5.5+ needed)";
            case Errno.EOPNOTSUPP:
                return head + "the kernel lacks IORING_FEAT_NODROP (Linux 5.5+), without which completions can be lost";
            default:
                return head + "io_uring cannot be used in this process";
        }
    }

    /**
     * What to say about an ENOMEM from io_uring: the RLIMIT_MEMLOCK value, whether CAP_IPC_LOCK
     * exempts this process, and about how much {@code what} needs.
     */
    static String memlockAdvice(long bytesNeeded, String what) {
        long limit = memlockLimit();
        String value = limit == -1 ? "unlimited" : limit < -1 ? "unknown" : limit + " bytes";
        StringBuilder b = new StringBuilder("RLIMIT_MEMLOCK is ").append(value);
        Boolean ipcLock = hasCapIpcLock();
        if (Boolean.TRUE.equals(ipcLock)) {
            return b.append(" but this process has CAP_IPC_LOCK, so the kernel is really out of memory for ")
                    .append(what).toString();
        }
        b.append(ipcLock == null ? "" : " and this process lacks CAP_IPC_LOCK")
                .append(": this kernel charges io_uring ring memory, registered buffers and provided-buffer rings "
                        + "to that limit (per user); about ").append(bytesNeeded).append(" bytes are needed for ").append(what)
                .append(". Raise it ('ulimit -l unlimited', systemd LimitMEMLOCK=infinity, "
                        + "docker run --ulimit memlock=-1) or grant CAP_IPC_LOCK");
        return b.toString();
    }

    /** A note for an ENOMEM from a registration or a zero-copy op: {@code ""} where memlock cannot be the reason. */
    static String memlockNoteForEnomem(long bytesNeeded, String what) {
        long limit = memlockLimit();
        if (limit == -1 || Boolean.TRUE.equals(hasCapIpcLock())) {
            return "";
        }
        return " (" + memlockAdvice(bytesNeeded, what) + ")";
    }

    /** About how much locked memory one ring of {@code sq}/{@code cq} entries takes: SQEs, SQ and CQ rings. */
    static long ringBytes(int sq, int cq) {
        long sqes = pages(64L * sq);
        long rings = pages(64L + 4L * sq + 16L * cq + 256);
        return (sqes + rings) * PAGE;
    }

    private static long pages(long bytes) {
        return (bytes + PAGE - 1) / PAGE;
    }

    /** The shared group's rings: one per processor with default options. */
    static long sharedGroupBytes() {
        RingOptions d = RingOptions.defaults();
        return ringBytes(d.sqEntries, d.effectiveCqEntries()) * Runtime.getRuntime().availableProcessors();
    }

    private static long memlockLimit() {
        try {
            return Native.memlockLimit();
        } catch (LinkageError e) {
            return -2;
        }
    }

    /** True/false from CapEff in /proc/self/status; null if unknown. */
    private static @Nullable Boolean hasCapIpcLock() {
        String capEff = statusField("CapEff");
        if (capEff == null) {
            return null;
        }
        try {
            return (Long.parseUnsignedLong(capEff, 16) & (1L << CAP_IPC_LOCK)) != 0;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean seccompFiltered() {
        return "2".equals(statusField("Seccomp"));
    }

    private static String seccompNote() {
        return seccompFiltered() ? " (a seccomp filter is active in this process: Seccomp: 2 in /proc/self/status)" : "";
    }

    private static @Nullable String statusField(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name + ":")) {
                    return line.substring(name.length() + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not mounted
        }
        return null;
    }

    private static @Nullable String readSysctl(String file) {
        try {
            return Files.readString(Path.of(file)).trim();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
