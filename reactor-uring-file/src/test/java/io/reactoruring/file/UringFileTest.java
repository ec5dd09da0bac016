package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.NativeMemory;
import io.reactoruring.core.Op;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class UringFileTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static UringLoop loop;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("file-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    private UringFile open(Path p, StandardOpenOption... options) {
        return UringFiles.open(loop, p, Set.of(options)).block(T);
    }

    private static ByteBuffer direct(byte[] bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length);
        b.put(bytes).flip();
        return b;
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Two round trips through the loop: every CQE that was ready before has been dispatched. */
    private static void flushLoop() {
        loop.submit(Op.nop()).block(T);
        loop.submit(Op.nop()).block(T);
    }

    /**
     * Round trips through the loop until {@code condition} holds (at most 10,000): hooks that free
     * native memory run on the loop thread, right after the op's signal. No sleeps, no GC.
     */
    private static void awaitOnLoop(String what, BooleanSupplier condition) {
        for (int i = 0; i < 10_000 && !condition.getAsBoolean(); i++) {
            Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    @Test
    void writeThenReadRoundTrip() throws Exception {
        Path p = dir.resolve("a.txt");
        byte[] data = "hello, io_uring".getBytes(StandardCharsets.UTF_8);
        UringFile f = open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ);
        ByteBuffer src = direct(data);
        StepVerifier.create(f.write(src, 0)).expectNext(data.length).expectComplete().verify(T);
        assertThat(src.hasRemaining()).isFalse();
        StepVerifier.create(f.fdatasync().then(f.fsync())).expectComplete().verify(T);
        assertThat(Files.readAllBytes(p)).isEqualTo(data);

        ByteBuffer dst = ByteBuffer.allocateDirect(64);
        StepVerifier.create(f.read(dst, 7)).expectNext(data.length - 7).expectComplete().verify(T);
        dst.flip();
        assertThat(StandardCharsets.UTF_8.decode(dst).toString()).isEqualTo("io_uring");
        StepVerifier.create(f.close()).expectComplete().verify(T);
    }

    @Test
    void truncateCutsAndExtendsAndRejectsMisuse() throws Exception {
        Path p = dir.resolve("t");
        Files.write(p, random(10_000, 3));
        UringFile rw = open(p, StandardOpenOption.READ, StandardOpenOption.WRITE);
        StepVerifier.create(rw.truncate(100)).expectComplete().verify(T);
        assertThat(Files.size(p)).isEqualTo(100);
        StepVerifier.create(rw.truncate(4096).then(rw.size())).expectNext(4096L).expectComplete().verify(T);
        assertThat(Files.readAllBytes(p)).endsWith(new byte[4096 - 100]);
        StepVerifier.create(rw.truncate(-1)).expectError(IllegalArgumentException.class).verify(T);
        rw.close().block(T);

        UringFile ro = open(p, StandardOpenOption.READ);
        StepVerifier.create(ro.truncate(0)).expectError(NonWritableChannelException.class).verify(T);
        ro.close().block(T);
        assertThat(Files.size(p)).isEqualTo(4096);
    }

    @Test
    void readAtEofEmitsMinusOneAndFullBufferEmitsZero() throws Exception {
        Path p = dir.resolve("small");
        Files.write(p, new byte[] {1, 2, 3});
        UringFile f = open(p, StandardOpenOption.READ);
        StepVerifier.create(f.read(ByteBuffer.allocateDirect(8), 3)).expectNext(-1).expectComplete().verify(T);
        StepVerifier.create(f.read(ByteBuffer.allocateDirect(8), 100)).expectNext(-1).expectComplete().verify(T);
        StepVerifier.create(f.read(ByteBuffer.allocateDirect(0), 0)).expectNext(0).expectComplete().verify(T);
        f.close().block(T);
    }

    @Test
    void openMissingFileFailsWithNoSuchFile() {
        StepVerifier.create(UringFiles.open(loop, dir.resolve("missing"), Set.of(StandardOpenOption.READ)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(NoSuchFileException.class)
                        .hasMessageContaining("missing"))
                .verify(T);
    }

    @Test
    void createNewOnExistingFileFails() throws Exception {
        Path p = Files.createFile(dir.resolve("exists"));
        StepVerifier.create(UringFiles.open(loop, p, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)))
                .expectError(FileAlreadyExistsException.class)
                .verify(T);
    }

    @Test
    void createTruncateAndAppendBehaveLikeNio() throws Exception {
        Path p = dir.resolve("modes");
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        f.write(direct(new byte[] {1, 2, 3, 4}), 0).block(T);
        f.close().block(T);
        UringFile a = open(p, StandardOpenOption.APPEND);
        assertThat(a.isReadable()).isFalse();
        a.write(direct(new byte[] {5}), 0).block(T); // position ignored: O_APPEND
        a.close().block(T);
        assertThat(Files.readAllBytes(p)).containsExactly(1, 2, 3, 4, 5);
        UringFile t = open(p, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        t.close().block(T);
        assertThat(Files.size(p)).isZero();
    }

    @Test
    void openDirectoryForWriteFails() {
        StepVerifier.create(UringFiles.open(loop, dir, Set.of(StandardOpenOption.WRITE)))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(FileSystemException.class)
                        .isNotInstanceOf(NoSuchFileException.class))
                .verify(T);
    }

    @Test
    void invalidOptionsAreRejectedAtCallTime() {
        Path p = dir.resolve("x");
        assertThatThrownBy(() -> UringFiles.open(loop, p, Set.of(StandardOpenOption.READ, StandardOpenOption.APPEND)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UringFiles.open(loop, p, Set.of(StandardOpenOption.DELETE_ON_CLOSE)))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(Files.exists(p)).isFalse();
    }

    @Test
    void wrongModeAndBadArgumentsAreRejectedBeforeTheKernel() throws Exception {
        Path p = Files.write(dir.resolve("ro"), new byte[] {1});
        UringFile ro = open(p, StandardOpenOption.READ);
        assertThatThrownBy(() -> ro.write(direct(new byte[] {9}), 0)).isInstanceOf(NonWritableChannelException.class);
        assertThatThrownBy(() -> ro.writeAll(Flux.empty(), 0, 1)).isInstanceOf(NonWritableChannelException.class);
        assertThatThrownBy(() -> ro.read(ByteBuffer.allocateDirect(1), -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.read(ByteBuffer.allocate(1), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.read(ByteBuffer.allocateDirect(1).asReadOnlyBuffer(), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readChunks(0, -1, 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readChunks(-1, 1, 10, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readChunks(0, 1, 0, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ro.readChunks(0, 1, 10, 0)).isInstanceOf(IllegalArgumentException.class);
        ro.close().block(T);
        assertThat(Files.readAllBytes(p)).containsExactly(1);

        UringFile wo = open(p, StandardOpenOption.WRITE);
        assertThatThrownBy(() -> wo.read(ByteBuffer.allocateDirect(1), 0)).isInstanceOf(NonReadableChannelException.class);
        assertThatThrownBy(() -> wo.write(ByteBuffer.wrap(new byte[1]), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> wo.write(direct(new byte[1]), -5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> wo.writeAll(Flux.empty(), -1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> wo.writeAll(Flux.empty(), 0, 0)).isInstanceOf(IllegalArgumentException.class);
        wo.close().block(T);
    }

    @Test
    void closedHandleFailsWithClosedChannel() throws Exception {
        Path p = Files.write(dir.resolve("c"), new byte[] {1, 2});
        UringFile f = open(p, StandardOpenOption.READ);
        StepVerifier.create(f.close()).expectComplete().verify(T);
        assertThat(f.isClosing()).isTrue();
        StepVerifier.create(f.read(ByteBuffer.allocateDirect(2), 0)).expectError(ClosedChannelException.class).verify(T);
        StepVerifier.create(f.size()).expectError(ClosedChannelException.class).verify(T);
        StepVerifier.create(f.close()).expectComplete().verify(T); // idempotent
    }

    @Test
    void statMatchesTheFile() throws Exception {
        Path p = Files.write(dir.resolve("s"), random(12345, 1));
        UringFile f = open(p, StandardOpenOption.READ);
        StepVerifier.create(f.size()).expectNext(12345L).expectComplete().verify(T);
        FileStat st = f.stat().block(T);
        assertThat(st.isRegularFile()).isTrue();
        assertThat(st.lastModified()).isEqualTo(Files.getLastModifiedTime(p).toInstant());
        assertThat(st.blockSize()).isPositive();
        f.close().block(T);
        FileStat ds = UringFiles.stat(loop, dir).block(T);
        assertThat(ds.isDirectory()).isTrue();
        StepVerifier.create(UringFiles.stat(loop, dir.resolve("nope"))).expectError(NoSuchFileException.class).verify(T);
    }

    @Test
    void readChunksEqualsFileContentUnderBoundedDemand() throws Exception {
        byte[] data = random(3 * 1024 * 1024 + 777, 2);
        Path p = Files.write(dir.resolve("big"), data);
        UringFile f = open(p, StandardOpenOption.READ);
        long before = loop.bufferPool().outstanding();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int chunk = 64 * 1024;
        int chunks = (data.length + chunk - 1) / chunk;
        StepVerifier.create(f.readChunks(0, Long.MAX_VALUE, chunk, 4), 0)
                .thenRequest(1)
                .assertNext(b -> {
                    assertThat(b.buffer().remaining()).isEqualTo(chunk);
                    append(out, b);
                })
                .expectNoEvent(Duration.ofMillis(50)) // demand is honoured: nothing beyond what was asked
                .thenRequest(chunks - 1)
                .thenConsumeWhile(b -> {
                    append(out, b);
                    return true;
                })
                .expectComplete()
                .verify(T);
        assertThat(out.toByteArray()).isEqualTo(data);
        awaitOnLoop("pooled buffers returned", () -> loop.bufferPool().outstanding() == before);
        f.close().block(T);
    }

    @Test
    void readChunksOfARangeAndReadAll() throws Exception {
        byte[] data = random(100_000, 3);
        Path p = Files.write(dir.resolve("range"), data);
        UringFile f = open(p, StandardOpenOption.READ);
        byte[] got = collect(f.readChunks(1000, 5000, 1024, 2));
        assertThat(got).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 6000));
        assertThat(collect(f.readChunks(99_990, 5000, 1024, 2))).isEqualTo(java.util.Arrays.copyOfRange(data, 99_990, 100_000));
        assertThat(collect(f.readChunks(200_000, 10, 1024, 2))).isEmpty();
        f.close().block(T);
        assertThat(collect(UringFiles.readAll(loop, p, 8192))).isEqualTo(data);
        assertThat(collect(UringFiles.readAll(loop, Files.createFile(dir.resolve("empty")), 8192))).isEmpty();
        StepVerifier.create(UringFiles.readAll(loop, dir.resolve("absent"), 8192)).expectError(NoSuchFileException.class).verify(T);
        awaitOnLoop("pooled buffers returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void cancelMidStreamReturnsEveryBuffer() throws Exception {
        byte[] data = random(4 * 1024 * 1024, 4);
        Path p = Files.write(dir.resolve("cancel"), data);
        UringFile f = open(p, StandardOpenOption.READ);
        List<PooledBuffer> received = new ArrayList<>();
        StepVerifier.create(f.readChunks(0, Long.MAX_VALUE, 16 * 1024, 8), 3)
                .recordWith(() -> received)
                .expectNextCount(3)
                .thenCancel()
                .verify(T);
        received.forEach(PooledBuffer::release);
        // Reads already in the kernel release their buffers at their CQE; closing the file waits
        // for every op holding the fd, so after close every such CQE has been handled.
        StepVerifier.create(f.close()).expectComplete().verify(T);
        flushLoop();
        awaitOnLoop("pooled buffers returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void cancelWithReadAheadQueuedReturnsEveryBuffer() throws Exception {
        Path p = Files.write(dir.resolve("cancel2"), random(1024 * 1024, 6));
        UringFile f = open(p, StandardOpenOption.READ);
        java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);
        reactor.core.publisher.BaseSubscriber<PooledBuffer> s = new reactor.core.publisher.BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                request(1);
            }

            @Override
            protected void hookOnNext(PooledBuffer b) {
                b.release();
                first.countDown();
            }
        };
        f.readChunks(0, Long.MAX_VALUE, 16 * 1024, 8).subscribe(s);
        assertThat(first.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        // Let the read-ahead complete, so its buffers sit undelivered in the operator queues and
        // the cancel below has to discard them (rather than abandon reads still in the kernel).
        flushLoop();
        assertThat(loop.bufferPool().outstanding()).isPositive();
        s.cancel();
        StepVerifier.create(f.close()).expectComplete().verify(T);
        flushLoop();
        awaitOnLoop("pooled buffers returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void writeAllWritesInOrderWithHeapAndDirectBuffers() throws Exception {
        byte[] data = random(1_000_000, 5);
        Path p = dir.resolve("out");
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
        List<ByteBuffer> pieces = new ArrayList<>();
        int off = 0;
        int i = 0;
        while (off < data.length) {
            int n = Math.min(data.length - off, 10_000 + (i * 7919) % 50_000);
            ByteBuffer b = i % 2 == 0 ? ByteBuffer.wrap(data, off, n).slice() : direct(java.util.Arrays.copyOfRange(data, off, off + n));
            pieces.add(b);
            off += n;
            i++;
        }
        StepVerifier.create(f.writeAll(Flux.fromIterable(pieces), 10, 4)).expectNext((long) data.length).expectComplete().verify(T);
        StepVerifier.create(f.size()).expectNext(10L + data.length).expectComplete().verify(T);
        f.close().block(T);
        byte[] onDisk = Files.readAllBytes(p);
        assertThat(java.util.Arrays.copyOfRange(onDisk, 10, onDisk.length)).isEqualTo(data);
        assertThat(java.util.Arrays.copyOfRange(onDisk, 0, 10)).containsOnly(0);
        awaitOnLoop("pooled buffers returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void writeAllPropagatesSourceErrors() throws Exception {
        Path p = dir.resolve("err");
        UringFile f = open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        Flux<ByteBuffer> src = Flux.concat(Mono.just(ByteBuffer.wrap(new byte[] {1, 2})), Mono.error(new IllegalStateException("boom")));
        StepVerifier.create(f.writeAll(src, 0, 2)).expectErrorMessage("boom").verify(T);
        f.close().block(T);
        awaitOnLoop("pooled buffers returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void pathOperations() throws Exception {
        Path d = dir.resolve("sub");
        long blocks = NativeMemory.allocatedBlocks();
        StepVerifier.create(UringFiles.createDirectory(loop, d)).expectComplete().verify(T);
        assertThat(Files.isDirectory(d)).isTrue();
        StepVerifier.create(UringFiles.createDirectory(loop, d)).expectError(FileAlreadyExistsException.class).verify(T);

        Path a = Files.write(d.resolve("a"), new byte[] {42});
        Path b = d.resolve("b");
        StepVerifier.create(UringFiles.move(loop, a, b)).expectComplete().verify(T);
        assertThat(Files.exists(a)).isFalse();
        assertThat(Files.readAllBytes(b)).containsExactly(42);
        StepVerifier.create(UringFiles.move(loop, a, b)).expectError(NoSuchFileException.class).verify(T);

        StepVerifier.create(UringFiles.deleteDirectory(loop, d)).expectError(DirectoryNotEmptyException.class).verify(T);
        StepVerifier.create(UringFiles.delete(loop, d)).expectError(FileSystemException.class).verify(T);
        StepVerifier.create(UringFiles.delete(loop, b)).expectComplete().verify(T);
        assertThat(Files.exists(b)).isFalse();
        StepVerifier.create(UringFiles.delete(loop, b)).expectError(NoSuchFileException.class).verify(T);
        StepVerifier.create(UringFiles.deleteDirectory(loop, d)).expectComplete().verify(T);
        assertThat(Files.exists(d)).isFalse();
        // Every native path copy was freed on these success and error paths, without waiting for GC.
        awaitOnLoop("path blocks freed", () -> NativeMemory.allocatedBlocks() == blocks);
    }

    @Test
    void cancelledOpsInTheKernelFreeNativeMemoryWithoutGc() throws Exception {
        int chunk = 16 * 1024;
        Path p = Files.write(dir.resolve("nogc"), random(4 * 1024 * 1024, 7));
        UringFile f = open(p, StandardOpenOption.READ);
        // Warm the pool, so chunks below come from its cache and NativeMemory only counts what we leak.
        List<PooledBuffer> warm = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            warm.add(loop.bufferPool().acquire(chunk));
        }
        warm.forEach(PooledBuffer::release);
        long blocks = NativeMemory.allocatedBlocks();
        long outstanding = loop.bufferPool().outstanding();
        for (int i = 0; i < 20; i++) {
            // readChunks cancelled mid-stream while read-ahead reads are still in the kernel.
            List<PooledBuffer> received = new ArrayList<>();
            StepVerifier.create(f.readChunks(0, Long.MAX_VALUE, chunk, 8), 3)
                    .recordWith(() -> received)
                    .expectNextCount(3)
                    .thenCancel()
                    .verify(T);
            received.forEach(PooledBuffer::release);
            // Path and statx ops cancelled right after subscription: before or while in the kernel.
            UringFiles.stat(loop, p).subscribe().dispose();
            f.stat().subscribe().dispose();
            UringFiles.createDirectory(loop, dir.resolve("d" + i)).subscribe().dispose();
            UringFiles.open(loop, p, Set.of(StandardOpenOption.READ)).subscribe(g -> g.close().subscribe()).dispose();
        }
        // The file stays open: the cancellations alone, not a close, return the memory.
        awaitOnLoop("pooled buffers returned", () -> loop.bufferPool().outstanding() == outstanding);
        awaitOnLoop("native blocks freed", () -> NativeMemory.allocatedBlocks() == blocks);
        assertThat(f.isClosing()).isFalse();
        StepVerifier.create(f.close()).expectComplete().verify(T);
    }

    @Test
    void sharedGroupOverloadsWork() throws Exception {
        Path p = dir.resolve("shared");
        UringFile f = UringFiles.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).block(T);
        assertThat(f.loop()).isNotSameAs(loop);
        f.write(direct(new byte[] {7, 8}), 0).block(T);
        f.close().block(T);
        assertThat(Files.readAllBytes(p)).containsExactly(7, 8);
        UringFiles.delete(p).block(T);
        assertThat(Files.exists(p)).isFalse();
    }

    private static void append(ByteArrayOutputStream out, PooledBuffer b) {
        try {
            ByteBuffer bb = b.buffer();
            byte[] bytes = new byte[bb.remaining()];
            bb.get(bytes);
            out.writeBytes(bytes);
        } finally {
            b.release();
        }
    }

    private static byte[] collect(Flux<PooledBuffer> flux) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        flux.doOnNext(b -> append(out, b)).then().block(T);
        return out.toByteArray();
    }
}
