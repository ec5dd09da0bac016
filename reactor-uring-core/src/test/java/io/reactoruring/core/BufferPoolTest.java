package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.NativeMemory;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class BufferPoolTest {

    @Test
    void poolReturnsToItsStartingState() {
        assumeUring();
        long before = NativeMemory.allocatedBytes();
        BufferPool pool = new BufferPool(4);
        PooledBuffer a = pool.acquire(100);
        PooledBuffer b = pool.acquire(5000);
        assertThat(a.capacity()).isEqualTo(4096);
        assertThat(b.capacity()).isEqualTo(8192);
        assertThat(a.address() % NativeMemory.PAGE).isZero();
        assertThat(pool.outstanding()).isEqualTo(2);
        a.retain();
        assertThat(a.release()).isFalse();
        assertThat(a.release()).isTrue();
        b.release();
        assertThat(pool.outstanding()).isZero();
        long doubleReleases = PooledBuffer.doubleReleases();
        PooledBuffer again = pool.acquire(4096);
        assertThat(again.address()).as("the memory is recycled").isEqualTo(a.address());
        assertThat(again).as("in a new object: a stale reference cannot release it").isNotSameAs(a);
        assertThatThrownBy(b::release).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(a::release).isInstanceOf(IllegalStateException.class);
        assertThat(again.refCount()).as("the new owner's reference is untouched").isEqualTo(1);
        assertThat(PooledBuffer.doubleReleases() - doubleReleases).isEqualTo(2);
        again.release();
        pool.close();
        assertThat(NativeMemory.allocatedBytes()).isEqualTo(before);
    }

    @Test
    void registeredBuffersCanBeRegisteredAndUnregistered() {
        assumeUring();
        UringLoop loop = UringLoop.create("regbuf-test", RingOptions.defaults().sqEntries(8).registeredBuffers(0).registeredFiles(0));
        try {
            PooledBuffer a = loop.bufferPool().acquire(4096);
            PooledBuffer b = loop.bufferPool().acquire(4096);
            StepVerifier.create(loop.registerBuffers(List.of(a, b))).verifyComplete();
            StepVerifier.create(loop.unregisterBuffers()).verifyComplete();
            StepVerifier.create(loop.registerFiles(16)).verifyComplete();
            a.release();
            b.release();
            assertThat(loop.bufferPool().outstanding()).isZero();
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }
}
