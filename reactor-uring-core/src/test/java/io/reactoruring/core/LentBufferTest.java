package io.reactoruring.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.CoreAccess;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** CoreAccess.lend/adopt and PooledBuffer.releaseDropped: a lent buffer has exactly one owner when onNext returns. */
class LentBufferTest {

    @Test
    void aLentBufferIsReleasedWhenTheConsumerReturns() {
        try (BufferPool pool = new BufferPool(2)) {
            PooledBuffer b = pool.acquire(100);
            AtomicReference<Integer> refsInside = new AtomicReference<>();
            CoreAccess.lend(b, x -> refsInside.set(x.refCount()));
            assertThat(refsInside.get()).isEqualTo(1);
            assertThat(b.refCount()).isZero();
            assertThat(pool.outstanding()).isZero();
        }
    }

    @Test
    void aRetainedBufferOutlivesTheLoan() {
        try (BufferPool pool = new BufferPool(2)) {
            PooledBuffer b = pool.acquire(100);
            CoreAccess.lend(b, PooledBuffer::retain);
            assertThat(b.refCount()).isEqualTo(1);
            assertThat(pool.outstanding()).isEqualTo(1);
            assertThat(b.release()).isTrue();
            assertThat(pool.outstanding()).isZero();
        }
    }

    @Test
    void adoptTakesTheLendersOnlyReferenceButNotARetainedOne() {
        try (BufferPool pool = new BufferPool(2)) {
            long doubleReleases = PooledBuffer.doubleReleases();
            PooledBuffer a = pool.acquire(100);
            CoreAccess.lend(a, CoreAccess::adopt); // sendPooled(receive())
            assertThat(a.refCount()).as("the adopter's").isEqualTo(1);
            a.release();
            PooledBuffer b = pool.acquire(100);
            CoreAccess.lend(b, x -> CoreAccess.adopt(x.retain())); // sendPooled(receive().map(PooledBuffer::retain))
            assertThat(b.refCount()).as("the retained one, now the adopter's").isEqualTo(1);
            b.release();
            PooledBuffer c = pool.acquire(100);
            assertThat(CoreAccess.adopt(c)).as("not lent: the caller's own reference").isSameAs(c);
            assertThat(c.refCount()).isEqualTo(1);
            c.release();
            assertThatThrownBy(() -> CoreAccess.adopt(c)).isInstanceOf(IllegalStateException.class).hasMessageContaining("retain()");
            assertThat(pool.outstanding()).isZero();
            assertThat(PooledBuffer.doubleReleases()).isEqualTo(doubleReleases);
        }
    }

    @Test
    void releaseDroppedLeavesALentBufferToItsLender() {
        try (BufferPool pool = new BufferPool(2)) {
            long doubleReleases = PooledBuffer.doubleReleases();
            PooledBuffer a = pool.acquire(100);
            CoreAccess.lend(a, PooledBuffer::releaseDropped); // an operator dropped it during onNext
            assertThat(a.refCount()).isZero();
            PooledBuffer b = pool.acquire(100);
            CoreAccess.lend(b, x -> PooledBuffer.releaseDropped(x.retain())); // retained, then dropped: that reference goes
            assertThat(b.refCount()).isZero();
            assertThat(pool.outstanding()).isZero();
            assertThat(PooledBuffer.doubleReleases()).isEqualTo(doubleReleases);
        }
    }

    @Test
    void releasingALentBufferOneDidNotRetainIsCountedNotThrown() {
        try (BufferPool pool = new BufferPool(2)) {
            long doubleReleases = PooledBuffer.doubleReleases();
            PooledBuffer a = pool.acquire(100);
            CoreAccess.lend(a, PooledBuffer::release);
            assertThat(PooledBuffer.doubleReleases() - doubleReleases).isEqualTo(1);
            assertThat(pool.outstanding()).isZero();
            assertThatThrownBy(() -> CoreAccess.lend(a, x -> { })).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void composedDiscardHooksReleaseADiscardedBufferOnce() {
        try (BufferPool pool = new BufferPool(2)) {
            long doubleReleases = PooledBuffer.doubleReleases();
            PooledBuffer a = pool.acquire(100);
            PooledBuffer.releaseDropped(a); // the innermost doOnDiscard hook
            PooledBuffer.releaseDropped(a); // an outer one: Reactor runs every hook of the chain
            assertThat(a.refCount()).isZero();
            assertThat(pool.outstanding()).isZero();
            assertThat(PooledBuffer.doubleReleases()).isEqualTo(doubleReleases);
        }
    }
}
