package io.reactoruring.spring;

import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.reactoruring.core.buffer.PooledBuffer;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBufferFactory;

/**
 * The Reactor Netty side of {@link PooledDataBufferAdapter}; only loaded when Netty is on the
 * class path. A chunk becomes a {@link PooledByteBuf} wrapped by the exchange's
 * {@link NettyDataBufferFactory}, so Spring hands Reactor Netty the very memory the kernel read into.
 */
final class NettyPooledBuffers {
    private NettyPooledBuffers() {
    }

    static @Nullable PooledDataBufferAdapter adapterFor(DataBufferFactory factory) {
        if (factory instanceof NettyDataBufferFactory netty) {
            ByteBufAllocator alloc = netty.getByteBufAllocator();
            return chunk -> netty.wrap(new PooledByteBuf(alloc, chunk));
        }
        return null;
    }

    /**
     * A Netty direct buffer over a {@link PooledBuffer}'s bytes (position to limit). Netty's
     * reference count owns the caller's reference to the pooled buffer: the last
     * {@code ByteBuf.release()} returns it to the loop's pool instead of freeing anything.
     */
    static final class PooledByteBuf extends UnpooledDirectByteBuf {
        private final PooledBuffer pooled;

        PooledByteBuf(ByteBufAllocator alloc, PooledBuffer pooled) {
            // Netty's constructor slices position..limit and sets writerIndex to the byte count.
            super(alloc, pooled.buffer(), pooled.buffer().remaining());
            this.pooled = pooled;
        }

        PooledBuffer pooled() {
            return pooled;
        }

        @Override
        protected void freeDirect(java.nio.ByteBuffer buffer) {
            // Not ours to free: the pool owns the memory.
        }

        @Override
        protected void deallocate() {
            super.deallocate();
            pooled.release();
        }
    }
}
