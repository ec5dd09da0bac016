package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static io.reactoruring.core.TestSupport.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.buffer.BufferRing;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.internal.CoreAccess;
import io.reactoruring.core.internal.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Provided-buffer rings: the kernel picks buffers, Java hands them back on release, memory is freed at the end. */
class BufferRingTest {
    private static final Duration T = Duration.ofSeconds(10);
    // One loop per test: a ring released at the end of one test is unregistered on the loop a little
    // later, so a shared loop's pool count could still be falling when the next test reads it.
    private UringLoop loop;
    private final int[] pipe = new int[2];

    @BeforeEach
    void start() {
        assumeUring();
        loop = UringLoop.create("buffer-ring-test");
        loop.bufferPool().acquire(64).release(); // the pool caches this size class: block counts stay put
        assertThat(Native.pipe2(pipe, 02000000 /* O_CLOEXEC */)).isZero(); // the loop loaded the library
    }

    @AfterEach
    void stop() {
        if (loop != null) {
            loop.disposeGracefully().block(T);
            Native.close(pipe[0]);
            Native.close(pipe[1]);
        }
    }

    private void write(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        PooledBuffer b = loop.bufferPool().acquire(bytes.length);
        try {
            b.buffer().put(bytes);
            StepVerifier.create(loop.submit(Op.builder(Opcode.WRITE).fd(pipe[1]).addr(b.address()).length(bytes.length)
                    .offset(-1).build())).expectNext(bytes.length).verifyComplete();
        } finally {
            b.release();
        }
    }

    /** A READ that lets the kernel pick a buffer from {@code ring}; its single CQE with the flags. */
    private Completion selectRead(BufferRing ring) {
        Op read = Op.builder(Opcode.READ).fd(pipe[0]).offset(-1).length(ring.bufferSize())
                .sqeFlags(Opcode.IOSQE_BUFFER_SELECT).bufIndex(ring.groupId()).acceptedErrno(Errno.ENOBUFS).build();
        Completion c = loop.submitMultishot(read).single().block(T);
        assertThat(c).isNotNull();
        return c;
    }

    @Test
    void kernelPicksABufferAndReleaseReturnsItToTheRing() {
        long outstanding = loop.bufferPool().outstanding();
        BufferRing ring = loop.registerBufferRing(4, 4096).block(T);
        assertThat(ring).isNotNull();
        assertThat(ring.available()).isEqualTo(4);
        assertThat(loop.bufferPool().outstanding()).as("ring array and buffers are pool blocks").isEqualTo(outstanding + 2);

        write("hello ring");
        Completion c = selectRead(ring);
        assertThat(c.res()).isEqualTo(10);
        assertThat(c.bufferId()).isBetween(0, 3);
        PooledBuffer b = CoreAccess.take(ring, c.bufferId(), c.res(), null);
        assertThat(ring.available()).isEqualTo(3);
        assertThat(ring.outstanding()).isEqualTo(1);
        assertThat(StandardCharsets.UTF_8.decode(b.buffer()).toString()).isEqualTo("hello ring");
        assertThatThrownBy(() -> CoreAccess.take(ring, c.bufferId(), 1, null)).isInstanceOf(IllegalStateException.class);

        b.release();
        assertThat(ring.available()).isEqualTo(4);
        // The released buffer went back to the kernel: four more reads each get a buffer.
        for (int i = 0; i < 4; i++) {
            write("x" + i);
            Completion again = selectRead(ring);
            CoreAccess.take(ring, again.bufferId(), again.res(), null).release();
        }
        assertThat(ring.available()).isEqualTo(4);

        ring.close();
        assertThat(awaitOnLoop(loop, () -> loop.bufferPool().outstanding() == outstanding))
                .as("unregistered and its memory back in the pool once closed").isTrue();
    }

    @Test
    void anEmptyRingFailsWithEnobufsAndExhaustionIsCounted() {
        long outstanding = loop.bufferPool().outstanding();
        BufferRing ring = loop.registerBufferRing(1, 4096).block(T);
        assertThat(ring).isNotNull();
        write("one");
        Completion first = selectRead(ring);
        PooledBuffer held = CoreAccess.take(ring, first.bufferId(), first.res(), null);
        assertThat(ring.available()).isZero();

        write("two");
        Completion starved = selectRead(ring);
        assertThat(starved.res()).isEqualTo(-Errno.ENOBUFS);
        assertThat(starved.bufferId()).isEqualTo(-1);
        long before = loop.metrics().bufferRingExhaustions();
        ring.recordExhausted();
        assertThat(ring.exhaustions()).isEqualTo(1);
        assertThat(awaitOnLoop(loop, () -> loop.metrics().bufferRingExhaustions() == before + 1)).isTrue();

        // whenAvailable completes once the held buffer is released, and the read then succeeds.
        StepVerifier.create(ring.whenAvailable()).expectSubscription().expectNoEvent(Duration.ZERO)
                .then(held::release).verifyComplete();
        Completion fed = selectRead(ring);
        PooledBuffer two = CoreAccess.take(ring, fed.bufferId(), fed.res(), null);
        assertThat(StandardCharsets.UTF_8.decode(two.buffer()).toString()).isEqualTo("two");

        ring.close();
        assertThat(loop.bufferPool().outstanding()).as("a taken buffer keeps the ring alive").isEqualTo(outstanding + 2);
        two.release();
        assertThat(awaitOnLoop(loop, () -> loop.bufferPool().outstanding() == outstanding)).isTrue();
    }

    @Test
    void groupIdsAreReusedAndBadShapesAreRejected() {
        BufferRing a = loop.registerBufferRing(2, 4096).block(T);
        BufferRing b = loop.registerBufferRing(2, 4096).block(T);
        assertThat(a).isNotNull();
        assertThat(b).isNotNull();
        assertThat(a.groupId()).isNotEqualTo(b.groupId());
        int freed = a.groupId();
        a.close();
        assertThat(awaitOnLoop(loop, a::isReleased)).isTrue();
        BufferRing c = loop.registerBufferRing(2, 4096).block(T);
        assertThat(c).isNotNull();
        assertThat(c.groupId()).isEqualTo(freed);
        b.close();
        c.close();

        assertThatThrownBy(() -> loop.registerBufferRing(3, 4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> loop.registerBufferRing(0, 4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> loop.registerBufferRing(4, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> loop.registerBufferRing(65536, 4096)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pipe2ReturnsTwoConnectedEnds() throws IOException {
        write("through the pipe");
        PooledBuffer b = loop.bufferPool().acquire(64);
        try {
            StepVerifier.create(loop.submit(Op.builder(Opcode.READ).fd(pipe[0]).addr(b.address()).length(64).offset(-1)
                    .build())).expectNext(16).verifyComplete();
            b.buffer().limit(16);
            assertThat(StandardCharsets.UTF_8.decode(b.buffer()).toString()).isEqualTo("through the pipe");
        } finally {
            b.release();
        }
        int[] bad = new int[2];
        assertThat(Native.pipe2(bad, -1)).isEqualTo(-Errno.EINVAL);
    }

    @Test
    void setPipeSizeGrowsAPipeAndNamesBadFds() {
        // Linux rounds the capacity up to a power-of-two number of pages.
        assertThat(Native.setPipeSize(pipe[1], 200 * 1024)).isEqualTo(256 * 1024);
        assertThat(Native.setPipeSize(-1, 4096)).isEqualTo(-Errno.EBADF);
    }

    @Test
    void kernelVersionsAreReadForIncrementalConsumption() {
        assertThat(io.reactoruring.core.internal.KernelVersion.atLeast("6.18.0-1-amd64", 6, 12)).isTrue();
        assertThat(io.reactoruring.core.internal.KernelVersion.atLeast("6.12", 6, 12)).isTrue();
        assertThat(io.reactoruring.core.internal.KernelVersion.atLeast("7.0.1", 6, 12)).isTrue();
        assertThat(io.reactoruring.core.internal.KernelVersion.atLeast("6.11.9-generic", 6, 12)).isFalse();
        assertThat(io.reactoruring.core.internal.KernelVersion.atLeast("5.15.0", 6, 12)).isFalse();
        assertThat(io.reactoruring.core.internal.KernelVersion.atLeast("unknown", 6, 12)).isFalse();
    }

    @Test
    void anIncrementalRingHandsOutSlicesAndTakesABufferBackOnlyWhenTheKernelAndEverySliceAreDone() {
        long outstanding = loop.bufferPool().outstanding();
        BufferRing plain = loop.registerBufferRing(2, 64).block(T);
        assertThat(plain).isNotNull();
        assertThat(plain.incremental()).as("only when asked for").isFalse();
        BufferRing ring = loop.registerBufferRing(2, 64, true).block(T);
        assertThat(ring).isNotNull();
        boolean granted = io.reactoruring.core.internal.KernelVersion.atLeast(System.getProperty("os.version"), 6, 12);
        assertThat(ring.incremental()).as("Linux 6.12+ grants IOU_PBUF_RING_INC").isEqualTo(granted);
        assertThat(awaitOnLoop(loop, () -> loop.metrics().incrementalBufferRings() == (granted ? 1 : 0))).isTrue();
        plain.close();
        assertThat(awaitOnLoop(loop, () -> loop.bufferPool().outstanding() == outstanding + 2))
                .as("the plain ring's memory back in the pool").isTrue();
        if (!granted) {
            ring.close(); // an older kernel: the ring works as a plain one (the tests above)
            assertThat(awaitOnLoop(loop, () -> loop.bufferPool().outstanding() == outstanding)).isTrue();
            return;
        }
        write("hello ");
        Completion c1 = selectRead(ring);
        assertThat(c1.res()).isEqualTo(6);
        assertThat(c1.bufferMore()).as("the kernel keeps filling the buffer").isTrue();
        int a = c1.bufferId();
        PooledBuffer s1 = CoreAccess.take(ring, a, c1.res(), c1.bufferMore(), null);
        assertThat(s1.capacity()).isEqualTo(6);
        assertThat(ring.available()).as("a partly used buffer stays the kernel's").isEqualTo(2);

        write("world");
        Completion c2 = selectRead(ring);
        assertThat(c2.bufferId()).isEqualTo(a);
        assertThat(c2.bufferMore()).isTrue();
        PooledBuffer s2 = CoreAccess.take(ring, a, c2.res(), c2.bufferMore(), null);
        assertThat(s2.address()).as("where the previous completion stopped").isEqualTo(s1.address() + 6);
        assertThat(StandardCharsets.UTF_8.decode(s1.buffer().duplicate()).toString()).isEqualTo("hello ");
        assertThat(StandardCharsets.UTF_8.decode(s2.buffer().duplicate()).toString()).isEqualTo("world");
        s1.release();
        assertThat(ring.available()).isEqualTo(2);

        // 60 bytes: the 53 left in the buffer end it (no BUF_MORE), the other 7 start the next one.
        String sixty = "0123456789".repeat(6);
        write(sixty);
        Completion c3 = selectRead(ring);
        assertThat(c3.bufferId()).isEqualTo(a);
        assertThat(c3.res()).isEqualTo(53);
        assertThat(c3.bufferMore()).as("the kernel is done with the buffer").isFalse();
        int[] backs = {0};
        PooledBuffer s3 = CoreAccess.take(ring, a, c3.res(), c3.bufferMore(), () -> backs[0]++);
        assertThat(StandardCharsets.UTF_8.decode(s3.buffer().duplicate()).toString()).isEqualTo(sixty.substring(0, 53));
        assertThat(ring.available()).isEqualTo(1);
        assertThat(ring.outstanding()).isEqualTo(1);
        Completion c4 = selectRead(ring);
        assertThat(c4.bufferId()).isNotEqualTo(a);
        assertThat(c4.res()).isEqualTo(7);
        PooledBuffer s4 = CoreAccess.take(ring, c4.bufferId(), c4.res(), c4.bufferMore(), null);
        assertThat(StandardCharsets.UTF_8.decode(s4.buffer().duplicate()).toString()).isEqualTo(sixty.substring(53));

        // Bad completions are refused before they corrupt anything.
        assertThatThrownBy(() -> CoreAccess.take(ring, c4.bufferId(), 64, true, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CoreAccess.take(ring, 2, 1, true, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CoreAccess.take(ring, c4.bufferId(), 1, null)).as("slices need the BUF_MORE flag")
                .isInstanceOf(IllegalStateException.class);

        s3.release();
        assertThat(backs[0]).as("the slice's hook ran").isEqualTo(1);
        assertThat(ring.available()).as("a slice of the buffer is still held").isEqualTo(1);
        s2.release();
        assertThat(ring.available()).as("kernel done and every slice released: back in the ring").isEqualTo(2);

        // Closed while the kernel still fills a buffer and a slice of it is held: the slice keeps the memory.
        ring.close();
        reactor.core.publisher.Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        assertThat(loop.bufferPool().outstanding()).isEqualTo(outstanding + 2);
        assertThat(loop.metrics().incrementalBufferRings()).as("still registered").isEqualTo(1);
        s4.release();
        assertThat(awaitOnLoop(loop, () -> loop.bufferPool().outstanding() == outstanding
                && loop.metrics().incrementalBufferRings() == 0)).isTrue();
    }
}
