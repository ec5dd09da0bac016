package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.core.testing.ChildJvm;
import io.reactoruring.core.testing.Restriction;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Registered buffers by default (issue 13): reads and writes through the loop's pooled buffers run as
 * READ_FIXED/WRITE_FIXED (proved by the loop's metrics), with byte-identical results; buffers of
 * the caller's own keep plain READ/WRITE; blocks freed and re-created many times under random
 * cancellation never leave a registration that a later op uses; and where RLIMIT_MEMLOCK refuses
 * registration, a child JVM reads and writes correctly, told once why.
 */
class FixedBuffersTest {
    static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    /** The loop's counters read on its own thread: current, not as of the last published iteration. */
    static UringMetrics metrics(UringLoop loop) {
        return Mono.fromCallable(loop::metrics).subscribeOn(loop).block(T);
    }

    static byte[] pattern(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void pooledReadsAndWritesUseFixedBuffersUserBuffersDoNot() throws Exception {
        UringLoop loop = UringLoop.create("fixed-buffers");
        try {
            byte[] data = pattern(1 << 20, 1);
            Path p = dir.resolve("data");
            UringFile f = UringFiles.open(loop, p, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ)).block(T);
            UringMetrics m0 = metrics(loop);
            assertThat(m0.fixedBufferOps()).isZero();

            // Heap buffers are copied into pooled memory: WRITE_FIXED.
            Flux<ByteBuffer> chunks = Flux.range(0, 16).map(i -> ByteBuffer.wrap(data, i << 16, 1 << 16));
            assertThat(f.writeAll(chunks, 0, 4).block(T)).isEqualTo(data.length);
            UringMetrics m1 = metrics(loop);
            assertThat(m1.fixedBufferOps() - m0.fixedBufferOps()).isGreaterThanOrEqualTo(16);
            assertThat(m1.fixedBufferRegistrations()).isPositive();
            assertThat(Files.readAllBytes(p)).isEqualTo(data);

            // readChunks into pooled buffers: READ_FIXED, same bytes.
            byte[] read = new byte[data.length];
            int[] at = {0};
            f.readChunks(0, Long.MAX_VALUE, 1 << 16, 4).doOnNext(b -> {
                try {
                    int n = b.buffer().remaining();
                    b.buffer().get(read, at[0], n);
                    at[0] += n;
                } finally {
                    b.release();
                }
            }).blockLast(T);
            assertThat(at[0]).isEqualTo(data.length);
            assertThat(read).isEqualTo(data);
            UringMetrics m2 = metrics(loop);
            assertThat(m2.fixedBufferOps() - m1.fixedBufferOps()).isGreaterThanOrEqualTo(16);

            // RandomReads: one READ_FIXED per request.
            Random rnd = new Random(2);
            List<RandomReads.Request> requests = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                requests.add(new RandomReads.Request(rnd.nextInt(data.length - 8192), 1 + rnd.nextInt(8192)));
            }
            long checked = RandomReads.unordered(f, Flux.fromIterable(requests), 32).map(r -> {
                try {
                    byte[] got = new byte[r.bytes()];
                    r.buffer().buffer().get(got);
                    int from = (int) r.offset();
                    assertThat(got).isEqualTo(Arrays.copyOfRange(data, from, from + got.length));
                    return got.length;
                } finally {
                    r.buffer().release();
                }
            }).count().block(T);
            assertThat(checked).isEqualTo(500);
            UringMetrics m3 = metrics(loop);
            assertThat(m3.fixedBufferOps() - m2.fixedBufferOps()).isGreaterThanOrEqualTo(500);

            // The caller's own direct buffer is not registered: plain READ, same bytes.
            ByteBuffer own = ByteBuffer.allocateDirect(4096);
            assertThat(f.read(own, 4096).block(T)).isEqualTo(4096);
            own.flip();
            byte[] got = new byte[4096];
            own.get(got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(data, 4096, 8192));
            assertThat(metrics(loop).fixedBufferOps()).isEqualTo(m3.fixedBufferOps());
            f.close().block(T);
            assertThat(loop.bufferPool().outstanding()).isZero();
        } finally {
            loop.disposeGracefully().block(T);
        }
    }

    @Test
    void recycledBlocksNeverLeaveAStaleRegistration() throws Exception {
        // A table of 8 slots and rounds of 96 reads of 256 KiB (more than the pool caches per size
        // class): blocks are freed (munmapped: glibc maps blocks this large) and re-created all the
        // time, under random cancellation, released in random order on this thread and by the
        // operator on the loop. A read through a slot that still named freed pages would leave the
        // new block's bytes wrong.
        UringLoop loop = UringLoop.create("fixed-recycle", RingOptions.defaults().registeredBuffers(8));
        try {
            int size = 16 << 20;
            int len = 256 << 10;
            byte[] data = pattern(size, 3);
            Path p = Files.write(dir.resolve("recycle"), data);
            UringFile f = UringFiles.open(loop, p, Set.of(StandardOpenOption.READ)).block(T);
            Random rnd = new Random(4);
            long delivered = 0;
            for (int round = 0; round < 60; round++) {
                int take = 1 + rnd.nextInt(96);
                long[] offsets = new long[96];
                for (int i = 0; i < offsets.length; i++) {
                    offsets[i] = (long) rnd.nextInt(size / 4096 - len / 4096) * 4096;
                }
                List<RandomReads.Result> results = RandomReads.unordered(f,
                        Flux.range(0, 96).map(i -> new RandomReads.Request(offsets[i], len)), 96)
                        .take(take).collectList().block(T);
                for (RandomReads.Result r : results) {
                    byte[] got = new byte[r.bytes()];
                    r.buffer().buffer().get(got);
                    int from = (int) r.offset();
                    assertThat(got).as("round %d at %d", round, from).isEqualTo(Arrays.copyOfRange(data, from, from + len));
                }
                delivered += results.size();
                Collections.shuffle(results, rnd);
                results.forEach(r -> r.buffer().release());
            }
            f.close().block(T);
            for (int i = 0; i < 10_000 && loop.bufferPool().outstanding() != 0; i++) {
                Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T); // in-flight reads of cancelled rounds
            }
            assertThat(loop.bufferPool().outstanding()).isZero();
            UringMetrics m = metrics(loop);
            assertThat(delivered).isPositive();
            assertThat(m.fixedBufferOps()).isGreaterThanOrEqualTo(delivered / 8);
            // More registrations than slots: freed blocks gave their slots back and new blocks took them.
            assertThat(m.fixedBufferRegistrations()).isGreaterThan(8);
            assertThat(PooledBuffer.doubleReleases()).isZero();
        } finally {
            loop.disposeGracefully().block(T);
        }
    }

    @Test
    void refusedRegistrationIsToldOnceAndFilesStillWork() throws Exception {
        Restriction.MEMLOCK_WITHOUT_CAP_IPC_LOCK.assumeSupported();
        ChildJvm.Result r = ChildJvm.run(Restriction.MEMLOCK_WITHOUT_CAP_IPC_LOCK, FixedBuffersChild.class, dir.toString());
        assertThat(r.exitCode()).as("%s", r).isZero();
        assertThat(r.output()).as("%s", r).contains("CHILD OK", "fixedBufferOps=0");
        List<String> warnings = r.output().lines().filter(l -> l.contains("cannot register pool buffers")).toList();
        assertThat(warnings).as("%s", r).hasSize(1);
        assertThat(warnings.get(0)).contains("RLIMIT_MEMLOCK is " + Restriction.MEMLOCK_BYTES + " bytes", "ENOMEM");
        assertThat(r.output()).doesNotContain("Exception in thread");
    }
}
