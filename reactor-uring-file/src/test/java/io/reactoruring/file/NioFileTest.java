package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** The behaviour tests of {@link FileBackendTest} on the NIO fallback, forced whether or not io_uring is here. */
class NioFileTest extends FileBackendTest {
    @Override
    PathOps ops() {
        return UringFiles.nio();
    }

    @Override
    BufferPool pool() {
        return NioPathOps.POOL;
    }

    /** NIO runs release hooks before its call ends, and close waits for the calls: nothing to wait for. */
    @Override
    void awaitReleased(String what, BooleanSupplier condition) {
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    @Override
    void awaitReleasedQuietly(BooleanSupplier condition) {
        // nothing to wait for: see awaitReleased
    }

    @Test
    void nioFilesHaveNoLoopAndSaySo() throws Exception {
        UringFile f = open(Files.createFile(dir.resolve("nio")), StandardOpenOption.READ);
        assertThat(f.isUring()).isFalse();
        assertThat(f.sharedFd()).isNull();
        assertThat(f.fd()).isEqualTo(-1);
        assertThat(f.bufferPool()).isSameAs(NioPathOps.POOL);
        assertThatThrownBy(f::loop).isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("NIO");
        assertThat(f.toString()).contains("nio");
        f.close().block(T);
    }

    @Test
    void theFallbacksPoolGivesIdleMemoryBackWithoutALoop() throws Exception {
        BufferPool pool = NioPathOps.POOL;
        Duration interval = pool.trimInterval();
        pool.trimInterval(Duration.ofMillis(20));
        try {
            // 4 MiB of 64 KiB blocks read through, then idle: all but the floor must go back.
            List<PooledBuffer> held = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                held.add(pool.acquire(64 * 1024));
            }
            held.forEach(PooledBuffer::release);
            assertThat(pool.cachedBytes()).isGreaterThan(BufferPool.DEFAULT_TRIM_FLOOR);
            assertThat(Poll.until(() -> pool.cachedBytes() <= BufferPool.DEFAULT_TRIM_FLOOR))
                    .as("%d bytes still cached", pool.cachedBytes()).isTrue();
        } finally {
            pool.trimInterval(interval);
        }
    }
}
