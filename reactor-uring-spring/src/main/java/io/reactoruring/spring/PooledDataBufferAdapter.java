package io.reactoruring.spring;

import io.reactoruring.core.buffer.PooledBuffer;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.util.ClassUtils;

/**
 * Turns a chunk read by reactor-uring into a {@link DataBuffer} without copying it, in the form
 * the target {@link DataBufferFactory} will pass through untouched:
 * <ul>
 *   <li>Reactor Netty's {@code NettyDataBufferFactory} copies every buffer that is not a
 *   {@code NettyDataBuffer}, so there the chunk becomes a Netty {@code ByteBuf} over the pooled
 *   memory ({@link NettyPooledBuffers});</li>
 *   <li>any other factory gets a {@link UringPooledDataBuffer}, a
 *   {@link org.springframework.core.io.buffer.PooledDataBuffer} over the same memory.</li>
 * </ul>
 * Either way releasing the Spring buffer returns the memory to the loop's buffer pool.
 */
interface PooledDataBufferAdapter {
    boolean NETTY_PRESENT = ClassUtils.isPresent("org.springframework.core.io.buffer.NettyDataBufferFactory",
            PooledDataBufferAdapter.class.getClassLoader())
            && ClassUtils.isPresent("io.netty.buffer.UnpooledDirectByteBuf", PooledDataBufferAdapter.class.getClassLoader());

    /** Takes over the caller's reference to {@code chunk}: the returned buffer's last release drops it. */
    DataBuffer wrap(PooledBuffer chunk);

    /** The adapter for {@code factory}; cheap, may be called per request. */
    static PooledDataBufferAdapter forFactory(DataBufferFactory factory) {
        if (NETTY_PRESENT) {
            PooledDataBufferAdapter netty = NettyPooledBuffers.adapterFor(factory);
            if (netty != null) {
                return netty;
            }
        }
        return UringPooledDataBuffer::new;
    }

    /** The factory reported by non-Netty buffers. */
    DataBufferFactory DEFAULT_FACTORY = DefaultDataBufferFactory.sharedInstance;
}
