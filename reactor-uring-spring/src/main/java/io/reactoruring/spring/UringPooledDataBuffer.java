package io.reactoruring.spring;

import io.reactoruring.core.buffer.PooledBuffer;
import org.springframework.core.io.buffer.DataBufferWrapper;
import org.springframework.core.io.buffer.PooledDataBuffer;

/**
 * A {@link PooledDataBuffer} over a reactor-uring {@link PooledBuffer}: reads and writes go to the
 * pooled native memory (through a {@code DefaultDataBuffer} view), and the reference count is the
 * pooled buffer's, so the last {@link #release()} returns the memory to the loop's pool. Used for
 * every {@link org.springframework.core.io.buffer.DataBufferFactory} other than Reactor Netty's.
 *
 * <p>Thread-safe reference counting; the data methods are not thread-safe, as for any DataBuffer.
 */
final class UringPooledDataBuffer extends DataBufferWrapper implements PooledDataBuffer {
    private final PooledBuffer pooled;

    UringPooledDataBuffer(PooledBuffer pooled) {
        super(PooledDataBufferAdapter.DEFAULT_FACTORY.wrap(pooled.buffer().slice()));
        this.pooled = pooled;
    }

    PooledBuffer pooled() {
        return pooled;
    }

    @Override
    public boolean isAllocated() {
        return pooled.refCount() > 0;
    }

    @Override
    public PooledDataBuffer retain() {
        pooled.retain();
        return this;
    }

    @Override
    public PooledDataBuffer touch(Object hint) {
        return this;
    }

    @Override
    public boolean release() {
        return pooled.release();
    }
}
