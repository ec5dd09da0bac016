package io.reactoruring.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
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

    @Test
    void forcedUnavailabilityExplainsWhy() {
        assertThat(Uring.detect("true", () -> 0)).hasMessageContaining("-Dreactoruring.disabled=true");
        assertThat(Uring.detect(null, () -> -Errno.EPERM)).hasMessageContaining("EPERM")
                .satisfies(t -> assertThat(t.getMessage()).containsAnyOf("seccomp", "io_uring_disabled"));
        assertThat(Uring.detect(null, () -> -Errno.ENOMEM)).hasMessageContaining("RLIMIT_MEMLOCK")
                .hasMessageContaining("ulimit -l");
        assertThat(Uring.detect(null, () -> -Errno.ENOSYS)).hasMessageContaining("no io_uring");
        assertThat(Uring.detect(null, () -> {
            throw new UnsatisfiedLinkError("no libreactoruring");
        })).hasMessageContaining("native library").hasMessageContaining("no libreactoruring");
        assertThat(Uring.detect("false", () -> 0)).isNull();
        assertThat(Uring.detect(null, () -> 0)).isNull();
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
