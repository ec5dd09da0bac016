package io.reactoruring.core.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The environments where io_uring is blocked or limited that users run in, each reproducible by a
 * root test run on Linux: what to prefix the child's command with, which JDK and flags it runs with,
 * and what the unavailability cause must say.
 */
public enum Restriction {
    /** A seccomp filter refusing io_uring_setup with EPERM (Docker's default profile). */
    SECCOMP_SETUP_EPERM("io_uring_setup failed with EPERM"),
    /** A seccomp filter refusing io_uring_setup with ENOSYS: blocked, which must not read as "no io_uring". */
    SECCOMP_SETUP_ENOSYS("blocked, not missing"),
    /** A seccomp filter that allows io_uring_setup but refuses io_uring_enter and io_uring_register. */
    SECCOMP_ENTER_REGISTER_EPERM("io_uring_enter failed with EPERM"),
    /**
     * A seccomp filter refusing io_uring_enter on registered ring fds only: the availability probe
     * passes, and every loop dies on its first enter.
     */
    SECCOMP_LOOP_ENTER_EPERM("io_uring_enter failed: EPERM"),
    /** RLIMIT_MEMLOCK of 32 KiB without CAP_IPC_LOCK: the probe's tiny ring fits, real rings do not. */
    MEMLOCK_WITHOUT_CAP_IPC_LOCK("RLIMIT_MEMLOCK is " + Restriction.MEMLOCK_BYTES + " bytes"),
    /** JDK 22+ (Temurin 25) with --illegal-native-access=deny: System.load throws IllegalCallerException. */
    NATIVE_ACCESS_DENIED("--enable-native-access");

    /** The memlock limit of {@link #MEMLOCK_WITHOUT_CAP_IPC_LOCK}. */
    public static final int MEMLOCK_BYTES = 32768;

    private final String expectedCause;

    Restriction(String expectedCause) {
        this.expectedCause = expectedCause;
    }

    /** What the unavailability cause must contain in this environment. */
    public String expectedCause() {
        return expectedCause;
    }

    /** Why this environment cannot be set up on this machine, or null when it can. */
    public @Nullable String missing() {
        switch (this) {
            case MEMLOCK_WITHOUT_CAP_IPC_LOCK:
                return ChildJvm.onPath("prlimit") && ChildJvm.onPath("capsh") ? null
                        : "needs prlimit (util-linux) and capsh (libcap2-bin)";
            case NATIVE_ACCESS_DENIED:
                return ChildJvm.jdk25() != null ? null : "needs a JDK 22+ (/usr/lib/jvm/temurin-25-jdk-*)";
            default:
                return ChildJvm.onPath("gcc") ? null : "needs gcc to build the seccomp launcher";
        }
    }

    /**
     * Skips the calling test where this environment cannot be set up, except in CI
     * ({@code -Dreactoruring.requireIoUring=true}, from .ci/run), where that is a failure.
     */
    public void assumeSupported() {
        String missing = missing();
        if (missing == null) {
            return;
        }
        if ("true".equals(System.getProperty("reactoruring.requireIoUring"))) {
            throw new AssertionError(this + " " + missing + " (required in CI: see .ci/run)");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(false, this + " " + missing);
    }

    List<String> prefix() {
        switch (this) {
            case MEMLOCK_WITHOUT_CAP_IPC_LOCK:
                // capsh drops the capability from the bounding set, so the exec'd shell and the JVM it
                // execs have none; prlimit lowers both limits (root lacks CAP_SYS_RESOURCE here).
                return List.of("prlimit", "--memlock=" + MEMLOCK_BYTES + ":" + MEMLOCK_BYTES,
                        "capsh", "--drop=cap_ipc_lock", "--", "-c", "exec \"$@\"", "child");
            case NATIVE_ACCESS_DENIED:
                return List.of();
            default:
                try {
                    return List.of(ChildJvm.seccompLauncher().toString(), mode());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
        }
    }

    private String mode() {
        switch (this) {
            case SECCOMP_SETUP_EPERM:
                return "setup-eperm";
            case SECCOMP_SETUP_ENOSYS:
                return "setup-enosys";
            case SECCOMP_LOOP_ENTER_EPERM:
                return "loop-enter-eperm";
            default:
                return "enter-register-eperm";
        }
    }

    Path java() {
        Path jdk25 = ChildJvm.jdk25();
        return this == NATIVE_ACCESS_DENIED && jdk25 != null ? jdk25 : ChildJvm.currentJava();
    }

    List<String> jvmArgs() {
        return this == NATIVE_ACCESS_DENIED ? List.of("--illegal-native-access=deny") : List.of();
    }
}
