package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.internal.FixedBufferRegistrar;
import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Idle cached blocks beyond a floor go back to the system: by trim(), by the loop, by a scheduler. */
class BufferTrimTest {
    private static final int BLOCK = 64 * 1024;

    private static void churn(BufferPool pool, int n) {
        List<PooledBuffer> bs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            bs.add(pool.acquire(BLOCK));
        }
        bs.forEach(PooledBuffer::release);
    }

    @Test
    void trimFreesWhatStayedIdleSinceTheLastTrimDownToTheFloor() {
        assumeUring();
        long nativeBefore = NativeMemory.allocatedBytes();
        try (BufferPool pool = new BufferPool(64).trimFloor(2L * BLOCK).trimInterval(Duration.ofHours(1))) {
            churn(pool, 32);
            assertThat(pool.cachedBytes()).isEqualTo(32L * BLOCK);
            pool.trim(); // blocks idle for the whole first interval: those cached when it started
            pool.trim(); // the rest has been idle since
            assertThat(pool.cachedBytes()).as("down to the floor").isEqualTo(2L * BLOCK);
            assertThat(NativeMemory.allocatedBytes() - nativeBefore).isEqualTo(2L * BLOCK);

            churn(pool, 20);
            pool.trim(); // starts an interval at 20 cached
            List<PooledBuffer> inUse = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                inUse.add(pool.acquire(BLOCK)); // 15 stay idle
            }
            inUse.forEach(PooledBuffer::release);
            long freed = pool.trim();
            assertThat(freed).as("only the 15 that stayed idle, not the 5 in use meanwhile").isEqualTo(15L * BLOCK);
            assertThat(pool.cachedBytes()).isEqualTo(5L * BLOCK);
            assertThat(pool.outstanding()).isZero();
        }
        assertThat(NativeMemory.allocatedBytes()).isEqualTo(nativeBefore);
    }

    /**
     * cachedBytes() stops counting a trimmed block only once its memory is freed, so a reader waiting
     * for it to fall (MemoryBackTest's child) then sees Uring.nativeMemoryBytes() without the block.
     * It used to drop first: measured in between, a 4 MiB block being unmapped showed up as 4 MiB
     * "not returned". A registered block's free waits for the loop thread; here it waits for the test.
     */
    @Test
    void aTrimmedBlockCountsAsCachedUntilItsMemoryIsFreed() {
        assumeUring();
        long nativeBefore = NativeMemory.allocatedBytes();
        List<Runnable> heldFrees = new ArrayList<>();
        FixedBufferRegistrar holdingFrees = new FixedBufferRegistrar() {
            private int next;

            @Override
            public int register(long address, int capacity) {
                return next++;
            }

            @Override
            public void unregisterThenFree(int index, Runnable free) {
                heldFrees.add(free); // as a loop thread that has not yet run its next iteration
            }
        };
        try (BufferPool pool = new BufferPool(4).trimFloor(0).trimInterval(Duration.ofHours(1))) {
            pool.useRegistrar(holdingFrees);
            PooledBuffer b = pool.acquire(BLOCK);
            assertThat(pool.fixedIndex(b, b.address(), BLOCK)).as("registered in slot 0").isZero();
            b.release();
            assertThat(pool.trim()).isEqualTo(BLOCK);
            assertThat(heldFrees).hasSize(1);
            assertThat(NativeMemory.allocatedBytes() - nativeBefore).as("not freed yet").isEqualTo(BLOCK);
            assertThat(pool.cachedBytes()).as("so still counted").isEqualTo(BLOCK);
            heldFrees.get(0).run();
            assertThat(pool.cachedBytes()).isZero();
            assertThat(NativeMemory.allocatedBytes()).isEqualTo(nativeBefore);
            assertThat(pool.trimmedBytes()).isEqualTo(BLOCK);
        }
    }

    @Test
    void aLoopTrimsItsIdlePoolWithNoTimerOp() throws Exception {
        assumeUring();
        UringLoop loop = UringLoop.create("trim-test", RingOptions.defaults().sqEntries(8));
        try {
            BufferPool pool = loop.bufferPool().trimFloor(BLOCK).trimInterval(Duration.ofMillis(50));
            Mono.fromRunnable(() -> churn(pool, 40)).subscribeOn(loop).block(Duration.ofSeconds(10));
            assertThat(pool.cachedBytes()).isGreaterThan(BLOCK);
            assertThat(Poll.until(() -> {
                assertThat(loop.metrics().inFlight()).as("no timer op in flight").isZero();
                return pool.cachedBytes() <= BLOCK;
            })).as("the idle loop trimmed its pool: %d bytes cached", pool.cachedBytes()).isTrue();
            assertThat(pool.trimmedBytes()).isGreaterThanOrEqualTo(39L * BLOCK);
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void aPoolWithoutALoopIsTrimmedOnItsScheduler() throws Exception {
        try (BufferPool pool = new BufferPool(64).trimFloor(0).trimInterval(Duration.ofMillis(20))
                .trimOn(Schedulers.parallel())) {
            churn(pool, 10);
            assertThat(Poll.until(() -> pool.cachedBytes() == 0)).as("%d bytes cached", pool.cachedBytes()).isTrue();
            churn(pool, 3); // trimming starts again when idle memory comes back
            assertThat(Poll.until(() -> pool.cachedBytes() == 0)).isTrue();
        }
    }
}
