package io.reactoruring.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reactoruring.core.internal.Native;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class ErrnoAndAvailabilityTest {

    @Test
    void errnoMapsToStandardExceptionsThatNameErrnoOperationAndTarget() {
        assertMapped(Errno.EBADF, ClosedChannelException.class);
        assertMapped(Errno.ENOENT, NoSuchFileException.class);
        assertMapped(Errno.EACCES, AccessDeniedException.class);
        assertMapped(Errno.EEXIST, FileAlreadyExistsException.class);
        assertMapped(Errno.EINVAL, UringException.class);
        assertMapped(Errno.ECANCELED, CancellationException.class);
        assertMapped(Errno.ETIME, TimeoutException.class);
        assertMapped(Errno.ECONNREFUSED, ConnectException.class);
        assertThat(Errno.name(9999)).isEqualTo("errno 9999");
    }

    private static void assertMapped(int errno, Class<? extends Throwable> type) {
        Exception e = Errno.exception(-errno, "someop", "/some/target");
        assertThat(e).isInstanceOf(type);
        assertThat(e.getMessage()).contains(Errno.name(errno)).contains("someop").contains("/some/target");
        assertThat(((UringError) e).errno()).isEqualTo(errno);
        assertThat(((UringError) e).errnoName()).isEqualTo(Errno.name(errno));
    }

    /** A probe that fails at {@code stage} with {@code errno}, on a ring with {@code features}. */
    private static Uring.SyscallProbe failing(int stage, int errno, int features) {
        return out -> {
            out[Native.PROBE_OUT_ERRNO] = errno;
            out[Native.PROBE_OUT_FEATURES] = features;
            return stage;
        };
    }

    @Test
    void forcedUnavailabilityExplainsWhy() {
        Uring.SyscallProbe ok = failing(Native.PROBE_OK, 0, Uring.IORING_FEAT_NODROP);
        assertThat(Uring.detect("true", ok)).hasMessageContaining("-Dreactoruring.disabled=true");
        assertThat(Uring.detect(null, failing(Native.PROBE_SETUP, Errno.EPERM, 0))).hasMessageContaining("EPERM")
                .hasMessageContaining("io_uring_setup")
                .satisfies(t -> assertThat(t.getMessage()).containsAnyOf("seccomp", "io_uring_disabled"));
        assertThat(Uring.detect(null, failing(Native.PROBE_SETUP, Errno.ENOMEM, 0))).hasMessageContaining("RLIMIT_MEMLOCK is ")
                .hasMessageContaining("CAP_IPC_LOCK").hasMessageNotContaining("before 5.12"); // the advice without the capability: RestrictedEnvironmentTest
        assertThat(Uring.detect(null, ok)).isNull();
        assertThat(Uring.detect("false", ok)).isNull();
        assertThat(Uring.detect(null, failing(Native.PROBE_OK, 0, 0))).hasMessageContaining("IORING_FEAT_NODROP");
        assertThat(Uring.detect(null, out -> {
            throw new UnsatisfiedLinkError("no libreactoruring");
        })).hasMessageContaining("native library").hasMessageContaining("no libreactoruring");
        assertThat(Uring.detect(null, out -> {
            throw new IllegalCallerException("refused");
        })).hasMessageContaining("native library").hasMessageContaining("refused");
    }

    @Test
    void aRefusedEnterOrRegisterIsNamedAsSuch() {
        assertThat(Uring.detect(null, failing(Native.PROBE_ENTER, Errno.EPERM, Uring.IORING_FEAT_NODROP)))
                .hasMessageContaining("io_uring_setup works but io_uring_enter failed with EPERM")
                .hasMessageContaining("seccomp");
        assertThat(Uring.detect(null, failing(Native.PROBE_REGISTER, Errno.EPERM, Uring.IORING_FEAT_NODROP)))
                .hasMessageContaining("io_uring_register failed with EPERM");
        assertThat(Uring.detect(null, failing(Native.PROBE_REGISTER, Errno.ENOMEM, Uring.IORING_FEAT_NODROP)))
                .hasMessageContaining("io_uring_register failed with ENOMEM").hasMessageContaining("RLIMIT_MEMLOCK is ");
    }

    @Test
    void enosysIsBlockedNotMissingWhereTheKernelHasIoUring() {
        String message = Uring.detect(null, failing(Native.PROBE_SETUP, Errno.ENOSYS, 0)).getMessage();
        if (Files.exists(Path.of("/proc/sys/kernel/io_uring_disabled"))) { // Linux 6.6+: the kernel has io_uring
            assertThat(message).contains("blocked, not missing").doesNotContain("has no io_uring");
        } else {
            assertThat(message).containsAnyOf("has no io_uring", "blocked, not missing");
        }
    }

    @Test
    void theRealProbeAgreesWithTheLibrary() {
        assumeTrue(Uring.isAvailable());
        int[] out = new int[Native.PROBE_OUT_COUNT];
        assertThat(Native.probeSyscalls(out)).isEqualTo(Native.PROBE_OK);
        assertThat(out[Native.PROBE_OUT_FEATURES] & Uring.IORING_FEAT_NODROP).isNotZero();
    }

    @Test
    void ciRequiresIoUring() {
        // .ci/run exports REACTORURING_REQUIRE=true: the io_uring paths must never be skipped there.
        if ("true".equals(System.getProperty("reactoruring.requireIoUring"))) {
            assertThat(Uring.unavailabilityCause()).isNull();
        }
        assertThat(Uring.isAvailable()).isEqualTo(Uring.unavailabilityCause() == null);
    }
}
