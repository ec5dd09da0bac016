package io.reactoruring.spring;

import static io.reactoruring.spring.TestSupport.T;
import static io.reactoruring.spring.TestSupport.awaitOnLoop;
import static io.reactoruring.spring.TestSupport.openFds;
import static io.reactoruring.spring.TestSupport.random;
import static io.reactoruring.spring.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.PooledByteBufAllocator;
import io.reactoruring.core.UringLoop;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DataBufferWrapper;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.core.io.buffer.PooledDataBuffer;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class UringDataBuffersTest {
    private static final int CHUNK = 16 * 1024;
    private static UringLoop loop;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("spring-buffers-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    private static byte[] drain(List<DataBuffer> buffers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (DataBuffer b : buffers) {
            byte[] bytes = new byte[b.readableByteCount()];
            b.read(bytes);
            out.writeBytes(bytes);
            assertThat(DataBufferUtils.release(b)).isTrue();
        }
        return out.toByteArray();
    }

    @Test
    void readsFileAsPooledDataBuffersForDefaultFactory() {
        byte[] content = random(5 * CHUNK + 123, 1);
        Path file = write(dir.resolve("a.bin"), content);
        long before = loop.bufferPool().outstanding();

        List<DataBuffer> buffers = UringDataBuffers.read(loop, file, 0, Long.MAX_VALUE,
                DefaultDataBufferFactory.sharedInstance, CHUNK, 2).collectList().block(T);

        assertThat(buffers).hasSize(6).allSatisfy(b -> assertThat(b).isInstanceOf(PooledDataBuffer.class));
        assertThat(buffers.get(0).readableByteCount()).isEqualTo(CHUNK);
        assertThat(loop.bufferPool().outstanding()).isEqualTo(before + 6);
        assertThat(drain(buffers)).isEqualTo(content);
        assertThat(loop.bufferPool().outstanding()).isEqualTo(before);
    }

    @Test
    void readsARegion() {
        byte[] content = random(3 * CHUNK, 2);
        Path file = write(dir.resolve("r.bin"), content);

        List<DataBuffer> buffers = UringDataBuffers.read(loop, file, 1000, CHUNK + 7,
                DefaultDataBufferFactory.sharedInstance, CHUNK, 2).collectList().block(T);

        assertThat(drain(buffers)).isEqualTo(Arrays.copyOfRange(content, 1000, 1000 + CHUNK + 7));
    }

    @Test
    void nettyFactoryGetsNettyBuffersOverThePooledMemory() {
        byte[] content = random(2 * CHUNK + 5, 3);
        Path file = write(dir.resolve("n.bin"), content);
        long before = loop.bufferPool().outstanding();
        NettyDataBufferFactory factory = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);

        List<DataBuffer> buffers = UringDataBuffers.read(loop, file, 0, Long.MAX_VALUE, factory, CHUNK, 2)
                .collectList().block(T);

        assertThat(buffers).hasSize(3).allSatisfy(b -> {
            assertThat(b).isInstanceOf(NettyDataBuffer.class);
            NettyPooledBuffers.PooledByteBuf buf =
                    (NettyPooledBuffers.PooledByteBuf) ((NettyDataBuffer) b).getNativeBuffer();
            // Same memory the kernel read into: the ByteBuf's first byte is the pooled buffer's.
            assertThat(io.netty.util.internal.PlatformDependent.directBufferAddress(buf.nioBuffer()))
                    .isEqualTo(buf.pooled().address());
        });
        assertThat(drain(buffers)).isEqualTo(content);
        assertThat(loop.bufferPool().outstanding()).isEqualTo(before);
    }

    @Test
    void cancelReleasesReadAheadAndClosesTheFile() {
        Path file = write(dir.resolve("c.bin"), random(64 * CHUNK, 4));
        long before = loop.bufferPool().outstanding();
        long fds = openFds();

        StepVerifier.create(UringDataBuffers.read(loop, file, 0, Long.MAX_VALUE,
                        DefaultDataBufferFactory.sharedInstance, CHUNK, 4), 1)
                .consumeNextWith(DataBufferUtils::release)
                .thenCancel()
                .verify(T);

        awaitOnLoop(loop, "read-ahead released", () -> loop.bufferPool().outstanding() == before);
        awaitOnLoop(loop, "file closed", () -> openFds() == fds);
    }

    @Test
    void discardedBuffersGoBackToThePoolThroughSpringsReleaseHook() {
        Path file = write(dir.resolve("d.bin"), random(8 * CHUNK, 6));
        long before = loop.bufferPool().outstanding();
        NettyDataBufferFactory netty = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);

        // What Spring's codecs do with buffers they drop: Reactor's discard hook -> DataBufferUtils.release.
        for (DataBufferFactory factory : List.of(DefaultDataBufferFactory.sharedInstance, netty)) {
            StepVerifier.create(UringDataBuffers.read(loop, file, 0, Long.MAX_VALUE, factory, CHUNK, 2)
                            .filter(b -> b.readableByteCount() < 0)
                            .doOnDiscard(DataBuffer.class, DataBufferUtils::release))
                    .verifyComplete();
        }

        awaitOnLoop(loop, "discarded buffers released", () -> loop.bufferPool().outstanding() == before);
    }

    @Test
    void missingFileErrorsWithoutLeaks() {
        long fds = openFds();
        StepVerifier.create(UringDataBuffers.read(loop, dir.resolve("nope"), 0, 10,
                        DefaultDataBufferFactory.sharedInstance, CHUNK, 2))
                .expectError(java.nio.file.NoSuchFileException.class)
                .verify(T);
        assertThat(openFds()).isEqualTo(fds);
    }

    @Test
    void badArgumentsAreRejectedAtCallTime() {
        DataBufferFactory f = DefaultDataBufferFactory.sharedInstance;
        Path p = dir.resolve("x");
        assertThatThrownBy(() -> UringDataBuffers.read(loop, p, -1, 1, f, CHUNK, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UringDataBuffers.read(loop, p, 0, 1, f, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UringDataBuffers.read(loop, p, 0, 1, f, CHUNK, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UringDataBuffers.write(Flux.empty(), loop, p, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UringDataBuffers.read(loop, p, 0, 1, null, CHUNK, 1))
                .isInstanceOf(NullPointerException.class);
    }

    /** A source buffer that counts how many are emitted and not yet released. */
    static final class Tracked extends DataBufferWrapper implements PooledDataBuffer {
        private final AtomicInteger live;
        private final AtomicInteger refs = new AtomicInteger(1);

        Tracked(DataBuffer delegate, AtomicInteger live) {
            super(delegate);
            this.live = live;
        }

        @Override
        public boolean isAllocated() {
            return refs.get() > 0;
        }

        @Override
        public PooledDataBuffer retain() {
            refs.incrementAndGet();
            return this;
        }

        @Override
        public PooledDataBuffer touch(Object hint) {
            return this;
        }

        @Override
        public boolean release() {
            int r = refs.decrementAndGet();
            assertThat(r).isGreaterThanOrEqualTo(0);
            if (r == 0) {
                live.decrementAndGet();
                return true;
            }
            return false;
        }
    }

    @Test
    void writesUploadWithBoundedInFlightAndReleasesEveryBuffer() throws Exception {
        byte[] content = random(40 * 1000 + 17, 5);
        AtomicInteger live = new AtomicInteger();
        AtomicInteger maxLive = new AtomicInteger();
        NettyDataBufferFactory netty = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);
        // Alternate heap (default factory) and direct (pooled Netty) buffers of 1000 bytes.
        Flux<DataBuffer> source = Flux.range(0, 41).map(i -> {
            int from = i * 1000;
            int len = Math.min(1000, content.length - from);
            DataBuffer raw = i % 2 == 0 ? DefaultDataBufferFactory.sharedInstance.allocateBuffer(len)
                    : netty.allocateBuffer(len);
            raw.write(content, from, len);
            maxLive.accumulateAndGet(live.incrementAndGet(), Math::max);
            return new Tracked(raw, live);
        });
        Path file = dir.resolve("upload.bin");

        Long written = UringDataBuffers.write(source, loop, file, 3).block(T);

        assertThat(written).isEqualTo(content.length);
        assertThat(Files.readAllBytes(file)).isEqualTo(content);
        assertThat(live.get()).isZero();
        assertThat(maxLive.get()).isBetween(1, 3);
    }

    /** 41 buffers of up to 1000 bytes of {@code content}, counted in {@code live} until released. */
    static Flux<DataBuffer> tracked(byte[] content, AtomicInteger live) {
        return Flux.range(0, (content.length + 999) / 1000).map(i -> {
            int from = i * 1000;
            int len = Math.min(1000, content.length - from);
            DataBuffer raw = DefaultDataBufferFactory.sharedInstance.allocateBuffer(len);
            raw.write(content, from, len);
            live.incrementAndGet();
            return new Tracked(raw, live);
        });
    }

    @Test
    void writesThroughAGroupOrTheSharedOne() throws Exception {
        byte[] content = random(40 * 1000 + 17, 8);
        io.reactoruring.core.UringLoopGroup group = io.reactoruring.core.UringLoopGroup.create("spring-write", 1,
                io.reactoruring.core.RingOptions.defaults());
        try {
            for (io.reactoruring.core.UringLoopGroup g : Arrays.asList(group, null)) {
                AtomicInteger live = new AtomicInteger();
                Path file = dir.resolve("group-" + (g == null ? "shared" : "own") + ".bin");
                long before = group.loops().get(0).metrics().submitted();
                assertThat(UringDataBuffers.write(tracked(content, live), g, file, 3).block(T)).isEqualTo(content.length);
                assertThat(Files.readAllBytes(file)).isEqualTo(content);
                assertThat(live.get()).as("every buffer released").isZero();
                if (g != null) {
                    awaitOnLoop(g.loops().get(0), "the writes counted on the group's loop",
                            () -> g.loops().get(0).metrics().submitted() >= before + 41);
                }
            }
        } finally {
            group.disposeLater().block(T);
        }
    }

    @Test
    void failedSourceReleasesBuffersAndClosesFile() {
        AtomicInteger live = new AtomicInteger();
        long fds = openFds();
        Flux<DataBuffer> source = Flux.range(0, 5)
                .<DataBuffer>map(i -> {
                    live.incrementAndGet();
                    return new Tracked(DefaultDataBufferFactory.sharedInstance.wrap(new byte[100]), live);
                })
                .concatWith(Flux.error(new IllegalStateException("upload aborted")));

        StepVerifier.create(UringDataBuffers.write(source, loop, dir.resolve("partial.bin"), 2))
                .expectErrorMessage("upload aborted")
                .verify(T);

        assertThat(live.get()).isZero();
        awaitOnLoop(loop, "file closed", () -> openFds() == fds);
    }

    @Test
    void writesAtAPositionOfAnOpenFile() throws Exception {
        Path file = write(dir.resolve("pos.bin"), new byte[10]);
        UringFile f = UringFiles.open(loop, file, Set.of(StandardOpenOption.WRITE)).block(T);
        List<DataBuffer> parts = new ArrayList<>();
        parts.add(DefaultDataBufferFactory.sharedInstance.wrap(new byte[] {1, 2}));
        parts.add(DefaultDataBufferFactory.sharedInstance.wrap(new byte[] {3}));
        try {
            assertThat(UringDataBuffers.write(Flux.fromIterable(parts), f, 4, 2).block(T)).isEqualTo(3);
        } finally {
            f.close().block(T);
        }
        assertThat(Files.readAllBytes(file)).containsExactly(0, 0, 0, 0, 1, 2, 3, 0, 0, 0);
    }
}
