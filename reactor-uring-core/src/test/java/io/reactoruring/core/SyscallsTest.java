package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.internal.Native;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The plain socket syscalls core offers the net module: getsockopt next to setsockopt. */
class SyscallsTest {
    @BeforeAll
    static void load() {
        assumeUring();
        Native.ensureLoaded();
    }

    @Test
    void getsockoptReadsWhatSetsockoptWrote() {
        int fd = Native.socket(2 /* AF_INET */, 1 /* SOCK_STREAM */, 0);
        assertThat(fd).isNotNegative();
        try {
            assertThat(Native.getsockoptInt(fd, 1 /* SOL_SOCKET */, 9 /* SO_KEEPALIVE */)).isZero();
            assertThat(Native.setsockoptInt(fd, 1, 9, 1)).isZero();
            assertThat(Native.getsockoptInt(fd, 1, 9)).isEqualTo(1);
            assertThat(Native.getsockoptInt(fd, 1, 12345)).isEqualTo(-92); // ENOPROTOOPT
        } finally {
            Native.close(fd);
        }
        assertThat(Native.getsockoptInt(fd, 1, 9)).isEqualTo(-Errno.EBADF);
    }
}
