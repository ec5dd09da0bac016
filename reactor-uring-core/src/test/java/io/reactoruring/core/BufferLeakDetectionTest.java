package io.reactoruring.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.Poll;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Leak detection mode: a buffer that becomes unreachable without its last release is reported
 * with the stack of its acquisition; released buffers are not.
 */
class BufferLeakDetectionTest {
    private final boolean wasOn = BufferPool.leakDetection();

    @AfterEach
    void restore() {
        BufferPool.leakDetection(wasOn);
    }

    /** Acquires a buffer and forgets it: the frame of this method is in the recorded stack. */
    private static void leakOneBuffer(BufferPool pool) {
        PooledBuffer forgotten = pool.acquire(4096);
        forgotten.buffer().put(0, (byte) 1);
    }

    @Test
    void aBufferUnreachableWithoutReleaseIsReportedWithWhereItWasAcquired() throws Exception {
        BufferPool.leakDetection(true);
        BufferPool pool = new BufferPool(4);
        long leaksBefore = BufferPool.leaksDetected();
        PooledBuffer released = pool.acquire(4096);
        released.retain();
        released.release();
        released.release();
        PooledBuffer held = pool.acquire(8192);
        leakOneBuffer(pool);
        List<Throwable> out = pool.outstandingAcquisitions();
        assertThat(out).as("the held and the forgotten buffer are out").hasSize(2);
        assertThat(out).anySatisfy(t -> assertThat(t.getStackTrace()).anySatisfy(
                f -> assertThat(f.getMethodName()).isEqualTo("leakOneBuffer")));

        assertThat(Poll.untilWithGc(() -> BufferPool.leaksDetected() > leaksBefore)).as("the leak was reported").isTrue();
        assertThat(BufferPool.leaksDetected() - leaksBefore).as("only the forgotten buffer").isEqualTo(1);
        String report = BufferPool.recentLeakReports().get(BufferPool.recentLeakReports().size() - 1);
        assertThat(report).startsWith("LEAK: a PooledBuffer of 4096 bytes")
                .contains("leakOneBuffer").contains(BufferLeakDetectionTest.class.getName());
        assertThat(pool.outstandingAcquisitions()).as("the held one only").hasSize(1);
        assertThat(pool.outstanding()).as("a leaked buffer still counts as out").isEqualTo(2);

        held.release();
        assertThat(pool.outstandingAcquisitions()).isEmpty();
        System.gc();
        assertThat(BufferPool.leaksDetected() - leaksBefore).as("released buffers are never reported").isEqualTo(1);
        pool.close();
    }

    @Test
    void withoutLeakDetectionNothingIsRecorded() {
        BufferPool.leakDetection(false);
        try (BufferPool pool = new BufferPool(4)) {
            PooledBuffer b = pool.acquire(4096);
            assertThat(pool.outstandingAcquisitions()).isEmpty();
            b.release();
        }
    }
}
