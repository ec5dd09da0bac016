package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10 "Also": a read is sized to what is left of the file, never readAhead x chunkSize; a
 * 10-byte file read with 256 MiB chunks once allocated 1 GiB and stalled its loop zeroing it.
 */
class ReadChunksSizingTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static final int HUGE_CHUNK = 256 << 20;
    private static final long BOUND = 1 << 20;
    private static UringLoop loop;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        assumeTrue(Uring.isAvailable(), () -> "io_uring unavailable: " + Uring.unavailabilityCause());
        loop = UringLoop.create("sizing-test");
    }

    @AfterAll
    static void stop() {
        if (loop != null) {
            loop.disposeGracefully().block(T);
        }
    }

    @Test
    void aTenByteFileWithHugeChunksAllocatesAboutTheFile() throws Exception {
        Path f = Files.writeString(dir.resolve("ten"), "0123456789");
        AtomicLong peak = new AtomicLong();
        long before = NativeMemory.allocatedBytes();
        List<String> chunks = new ArrayList<>();
        UringFiles.readAll(loop, f, HUGE_CHUNK)
                .doOnNext(b -> peak.accumulateAndGet(NativeMemory.allocatedBytes() - before, Math::max))
                .doOnNext(b -> {
                    chunks.add(StandardCharsets.UTF_8.decode(b.buffer()).toString());
                    b.release();
                })
                .blockLast(T);
        peak.accumulateAndGet(NativeMemory.allocatedBytes() - before, Math::max);
        assertThat(chunks).containsExactly("0123456789");
        assertThat(peak.get()).as("native bytes allocated while streaming a 10-byte file").isLessThan(BOUND);
    }

    @Test
    void chunksAreFullExceptTheLastAndAFileThatGrewIsReadToItsNewEnd() throws Exception {
        byte[] data = new byte[3 * 65536 + 100];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        Path f = Files.write(dir.resolve("data"), data);
        UringFile file = UringFiles.open(loop, f, java.util.Set.of(java.nio.file.StandardOpenOption.READ)).block(T);
        try {
            List<Integer> sizes = new ArrayList<>();
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            file.readChunks(0, Long.MAX_VALUE, 65536, 4).doOnNext(b -> {
                sizes.add(b.buffer().remaining());
                byte[] x = new byte[b.buffer().remaining()];
                b.buffer().get(x);
                got.writeBytes(x);
                b.release();
            }).blockLast(T);
            assertThat(sizes).containsExactly(65536, 65536, 65536, 100);
            assertThat(got.toByteArray()).isEqualTo(data);

            // The size is read when the stream starts; bytes appended before the end is reached are still read.
            long size = data.length;
            List<PooledBuffer> first = new ArrayList<>();
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            file.readChunks(0, Long.MAX_VALUE, 65536, 1).doOnNext(b -> {
                if (first.isEmpty()) {
                    first.add(b);
                    try {
                        Files.write(f, new byte[200_000], java.nio.file.StandardOpenOption.APPEND);
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
                byte[] x = new byte[b.buffer().remaining()];
                b.buffer().get(x);
                all.writeBytes(x);
                b.release();
            }).blockLast(T);
            assertThat(all.size()).isEqualTo(size + 200_000);
        } finally {
            file.close().block(T);
        }
    }

    @Test
    void aRangeNoLongerThanAProbeIsOneReadWithoutAStat() throws Exception {
        byte[] data = new byte[4096];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 13);
        }
        Path f = Files.write(dir.resolve("page"), data);
        UringFile file = UringFiles.open(loop, f, java.util.Set.of(java.nio.file.StandardOpenOption.READ)).block(T);
        try {
            // The length a server knows from its stat: exactly one READ reaches the kernel (no statx, no
            // probe; on a direct descriptor a stat alone would be three ops).
            long before = submitted();
            assertThat(concat(file.readChunks(0, data.length, 256 * 1024, 4))).isEqualTo(data);
            assertThat(submitted() - before).as("ops for one known-length page").isEqualTo(1);

            // A range that runs past the end still stops there: one read that comes back short, then
            // the EOF read that answers 0 (short reads are retried until EOF).
            assertThat(concat(file.readChunks(100, 60_000, 65536, 4)))
                    .isEqualTo(java.util.Arrays.copyOfRange(data, 100, data.length));
            assertThat(concat(file.readChunks(data.length + 10, 100, 65536, 4))).isEmpty();
            // Longer than a probe: sized by the file's size as before, so huge chunks stay cheap.
            assertThat(concat(file.readChunks(0, 10L << 30, HUGE_CHUNK, 4))).isEqualTo(data);
        } finally {
            file.close().block(T);
        }
    }

    /** Ops submitted so far, read on the loop thread (other threads see the counters as last published). */
    private static long submitted() {
        return reactor.core.publisher.Mono.fromCallable(() -> loop.metrics().submitted()).subscribeOn(loop).block(T);
    }

    private static byte[] concat(reactor.core.publisher.Flux<PooledBuffer> chunks) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        chunks.doOnNext(b -> {
            byte[] x = new byte[b.buffer().remaining()];
            b.buffer().get(x);
            out.writeBytes(x);
            b.release();
        }).blockLast(T);
        return out.toByteArray();
    }
}
