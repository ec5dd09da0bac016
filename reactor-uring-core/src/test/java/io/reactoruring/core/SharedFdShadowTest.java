package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.AT_FDCWD;
import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.TestSupport.CPath;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import io.reactoruring.core.testing.Fds;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A direct descriptor's shadow process fd ({@link CoreAccess#readNowait}): installed on the first
 * inline read, closed with the descriptor, and never closed under a read that is using it: not by
 * the owner's close, not by the loop's termination (which closes while references are held).
 * Counted in /proc/self/fd.
 */
class SharedFdShadowTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final int N = 4096;

    @TempDir
    Path dir;

    @Test
    void aShadowInUseIsClosedByItsLastReaderNotByTheClose() throws Exception {
        assumeUring();
        Path p = Files.write(dir.resolve("in-use"), random(2 * N, 1));
        long before = Fds.openOn(p);
        UringLoop loop = UringLoop.create("shadow-fd-close");
        try {
            SharedFd fd = openDirect(loop, p);
            assertThat(Fds.openOn(p)).as("a direct descriptor has no process fd").isEqualTo(before);
            ByteBuffer dst = ByteBuffer.allocateDirect(N);
            long addr = Native.addressOf(dst);
            installShadow(loop, fd, addr);
            assertThat(Fds.openOn(p)).as("the shadow").isEqualTo(before + 1);

            int shadow = fd.enterShadow(); // a read between its look at the shadow and its preadv2
            assertThat(shadow).isNotNegative();
            fd.close().block(T);
            assertThat(Fds.openOn(p)).as("kept open for the read inside").isEqualTo(before + 1);
            assertThat(Native.preadv2(shadow, addr, N, 0, 0)).as("still this file").isEqualTo(N);
            assertThat(CoreAccess.readNowait(fd, addr, N, 0)).as("a read that starts now").isEqualTo(-Errno.EBADF);
            fd.exitShadow();
            assertThat(Fds.openOn(p)).as("closed by the last reader out").isEqualTo(before);
            assertThat(CoreAccess.readNowait(fd, addr, N, 0)).isEqualTo(-Errno.EBADF);
            assertThat(Fds.openOn(p)).as("and never installed again").isEqualTo(before);
        } finally {
            loop.disposeGracefully().block(T);
        }
    }

    @Test
    void theLoopsTerminationClosesTheShadowOnceNoReadIsInside() throws Exception {
        assumeUring();
        Path p = Files.write(dir.resolve("outlived"), random(2 * N, 2));
        long before = Fds.openOn(p);
        UringLoop loop = UringLoop.create("shadow-fd-terminate");
        SharedFd fd;
        int shadow;
        try {
            fd = openDirect(loop, p);
            ByteBuffer dst = ByteBuffer.allocateDirect(N);
            installShadow(loop, fd, Native.addressOf(dst));
            shadow = fd.enterShadow();
            assertThat(shadow).isNotNegative();
        } finally {
            loop.disposeGracefully().block(T); // the owner's reference is still held
        }
        assertThat(Fds.openOn(p)).as("kept open for the read inside").isEqualTo(before + 1);
        fd.exitShadow();
        assertThat(Fds.openOn(p)).isEqualTo(before);
        fd.close().block(T); // the owner's close after the loop's: nothing left to close
        assertThat(Fds.openOn(p)).isEqualTo(before);
    }

    @Test
    void withoutAReadInsideTheCloseClosesTheShadowItself() throws Exception {
        assumeUring();
        Path p = Files.write(dir.resolve("idle"), random(2 * N, 3));
        long before = Fds.openOn(p);
        UringLoop loop = UringLoop.create("shadow-fd-idle");
        try {
            SharedFd fd = openDirect(loop, p);
            ByteBuffer dst = ByteBuffer.allocateDirect(N);
            installShadow(loop, fd, Native.addressOf(dst));
            fd.close().block(T);
            assertThat(Fds.openOn(p)).isEqualTo(before);
        } finally {
            loop.disposeGracefully().block(T);
        }
    }

    /** openat into the loop's file table (IORING_FILE_INDEX_ALLOC), as reactor-uring-file opens by default. */
    private static SharedFd openDirect(UringLoop loop, Path p) {
        try (CPath path = new CPath(p)) {
            Op open = Op.builder(Opcode.OPENAT).fd(AT_FDCWD).addr(path.address).fileIndex(Opcode.IORING_FILE_INDEX_ALLOC)
                    .closesOrphanedFd(true).keepAlive(path).build();
            int slot = loop.submit(open).block(T);
            return CoreAccess.adoptDirectFd(slot, loop, "file " + p);
        }
    }

    /** Inline reads until one succeeds: the first asks for the shadow (-EAGAIN), later ones use it. */
    private static void installShadow(UringLoop loop, SharedFd fd, long addr) {
        assertThat(CoreAccess.readNowait(fd, addr, N, 0)).as("the first inline read").isEqualTo(-Errno.EAGAIN);
        assertThat(TestSupport.awaitOnLoop(loop, () -> CoreAccess.readNowait(fd, addr, N, 0) == N))
                .as("the shadow is installed").isTrue();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
