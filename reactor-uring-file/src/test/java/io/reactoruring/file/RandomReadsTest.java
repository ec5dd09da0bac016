package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.file.RandomReads.Request;
import io.reactoruring.file.RandomReads.Result;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonReadableChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class RandomReadsTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final int FILE_SIZE = 1 << 20;
    private static UringLoop loop;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("random-reads-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    private Path randomFile(long seed) throws Exception {
        byte[] data = new byte[FILE_SIZE];
        new Random(seed).nextBytes(data);
        return Files.write(dir.resolve("data-" + seed), data);
    }

    private static UringFile open(UringLoop l, Path p) {
        return UringFiles.open(l, p, Set.of(StandardOpenOption.READ)).block(T);
    }

    /** Random requests, some crossing or starting past end of file. */
    private static List<Request> requests(int n, long seed) {
        Random r = new Random(seed);
        List<Request> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long offset = r.nextInt(FILE_SIZE + 8192);
            list.add(new Request(offset, 1 + r.nextInt(16384)));
        }
        return list;
    }

    private static byte[] expected(FileChannel ch, Request q) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(q.length());
        while (b.hasRemaining() && ch.read(b, q.offset() + b.position()) > 0) {
            // FileChannel reads until EOF
        }
        b.flip();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    private static byte[] bytes(Result r) {
        ByteBuffer b = r.buffer().buffer().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** Releases the result's buffer and returns its byte count. */
    private static int release(Result r) {
        int n = r.bytes();
        r.buffer().release();
        return n;
    }

    private static void awaitOnLoop(UringLoop l, String what, BooleanSupplier condition) {
        for (int i = 0; i < 10_000 && !condition.getAsBoolean(); i++) {
            Mono.fromRunnable(() -> { }).subscribeOn(l).block(T);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    @Test
    void orderedReadsMatchFileChannelInRequestOrder() throws Exception {
        Path p = randomFile(1);
        UringFile f = open(loop, p);
        List<Request> reqs = requests(500, 2);
        List<Result> results = RandomReads.ordered(f, Flux.fromIterable(reqs), 32).collectList().block(T);
        try (FileChannel ch = FileChannel.open(p)) {
            assertThat(results).hasSize(reqs.size());
            for (int i = 0; i < reqs.size(); i++) {
                Result r = results.get(i);
                assertThat(r.offset()).as("result %d in request order", i).isEqualTo(reqs.get(i).offset());
                assertThat(bytes(r)).as("bytes at %d", r.offset()).isEqualTo(expected(ch, reqs.get(i)));
                assertThat(r.bytes()).isEqualTo(r.buffer().buffer().remaining());
                r.buffer().release();
            }
        }
        f.close().block(T);
        awaitOnLoop(loop, "pooled buffers returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void unorderedReturnsEveryRequestOnce() throws Exception {
        Path p = randomFile(3);
        UringFile f = open(loop, p);
        List<Request> reqs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            reqs.add(new Request((long) i * 3000, 4096)); // distinct offsets, the last ones past EOF
        }
        List<Result> results = RandomReads.unordered(f, Flux.fromIterable(reqs)).collectList().block(T);
        Set<Long> offsets = new HashSet<>();
        try (FileChannel ch = FileChannel.open(p)) {
            for (Result r : results) {
                assertThat(offsets.add(r.offset())).as("offset %d delivered once", r.offset()).isTrue();
                assertThat(bytes(r)).isEqualTo(expected(ch, new Request(r.offset(), 4096)));
                r.buffer().release();
            }
        }
        assertThat(offsets).hasSize(reqs.size());
        f.close().block(T);
        awaitOnLoop(loop, "pooled buffers returned", () -> loop.bufferPool().outstanding() == 0);
    }

    @Test
    void readsAtAndAcrossEndOfFileAreShort() throws Exception {
        Path p = randomFile(4);
        UringFile f = open(loop, p);
        StepVerifier.create(RandomReads.ordered(f, Flux.just(new Request(FILE_SIZE - 10, 100),
                        new Request(FILE_SIZE, 100), new Request(FILE_SIZE + 4096, 1))))
                .assertNext(r -> assertThat(release(r)).isEqualTo(10))
                .assertNext(r -> assertThat(release(r)).isZero())
                .assertNext(r -> assertThat(release(r)).isZero())
                .expectComplete()
                .verify(T);
        f.close().block(T);
    }

    @ParameterizedTest(name = "ordered={0}")
    @ValueSource(booleans = {true, false})
    void inFlightIsBoundedAndDemandIsHonoured(boolean ordered) throws Exception {
        UringLoop own = UringLoop.create("random-reads-bound");
        try {
            Path p = randomFile(5);
            UringFile f = open(own, p);
            AtomicLong requestedUpstream = new AtomicLong();
            Flux<Request> reqs = Flux.fromIterable(requests(2000, 6)).doOnRequest(requestedUpstream::addAndGet);
            List<Result> seen = new ArrayList<>();
            Flux<Result> results = ordered ? RandomReads.ordered(f, reqs, 4) : RandomReads.unordered(f, reqs, 4);
            StepVerifier.create(results.doOnNext(seen::add), 0)
                    .thenRequest(3)
                    .expectNextCount(3)
                    .then(() -> assertThat(requestedUpstream.get()).as("requests pulled with demand 3, bound 4")
                            .isLessThanOrEqualTo(3 + 4))
                    .thenRequest(Long.MAX_VALUE)
                    .expectNextCount(1997)
                    .expectComplete()
                    .verify(T);
            seen.forEach(r -> r.buffer().release());
            Mono.fromRunnable(() -> { }).subscribeOn(own).block(T); // metrics as of the last iteration
            assertThat(own.metrics().inFlightHighWater()).as("reads in the kernel at once").isBetween(1L, 4L);
            f.close().block(T);
            awaitOnLoop(own, "pooled buffers returned", () -> own.bufferPool().outstanding() == 0);
        } finally {
            own.disposeGracefully().block(T);
        }
    }

    @Test
    void cancelMidWayReleasesEveryBuffer() throws Exception {
        Path p = randomFile(7);
        UringFile f = open(loop, p);
        long before = loop.bufferPool().outstanding();
        List<Result> taken = new ArrayList<>();
        // take(50) cancels with up to 64 reads in the kernel or queued for reordering.
        RandomReads.ordered(f, Flux.fromIterable(requests(5000, 8)), 64)
                .take(50)
                .doOnNext(taken::add)
                .blockLast(T);
        assertThat(taken).hasSize(50);
        taken.forEach(r -> r.buffer().release());
        f.close().block(T);
        awaitOnLoop(loop, "pool back to its start after cancel", () -> loop.bufferPool().outstanding() == before);
    }

    @Test
    void unorderedCancelReleasesEveryBuffer() throws Exception {
        Path p = randomFile(9);
        UringFile f = open(loop, p);
        long before = loop.bufferPool().outstanding();
        List<Result> seen = new ArrayList<>();
        StepVerifier.create(RandomReads.unordered(f, Flux.fromIterable(requests(5000, 10)), 64).doOnNext(seen::add), 5)
                .expectNextCount(5)
                .thenCancel()
                .verify(T);
        assertThat(seen).hasSize(5);
        seen.forEach(r -> r.buffer().release());
        f.close().block(T);
        awaitOnLoop(loop, "pool back to its start after cancel", () -> loop.bufferPool().outstanding() == before);
    }

    @Test
    void upstreamErrorReleasesReadBuffersAndPropagates() throws Exception {
        Path p = randomFile(11);
        UringFile f = open(loop, p);
        long before = loop.bufferPool().outstanding();
        // The bound (64) exceeds the 20 requests, so the error arrives while reads are in the kernel.
        Flux<Request> reqs = Flux.fromIterable(requests(20, 12)).concatWith(Flux.error(new IllegalStateException("boom")));
        StepVerifier.create(RandomReads.ordered(f, reqs, 64), 0)
                .expectErrorMessage("boom")
                .verify(T);
        f.close().block(T);
        awaitOnLoop(loop, "pool back to its start after error", () -> loop.bufferPool().outstanding() == before);
    }

    @Test
    void badRequestsAreRejectedBeforeAnySubmission() throws Exception {
        assertThatThrownBy(() -> new Request(-1, 10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Request(0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Request(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Request(Long.MAX_VALUE - 1, 10)).isInstanceOf(IllegalArgumentException.class);
        Path p = randomFile(13);
        UringFile f = open(loop, p);
        assertThatThrownBy(() -> RandomReads.ordered(f, Flux.empty(), 0)).isInstanceOf(IllegalArgumentException.class);
        Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        long submitted = loop.metrics().submitted();
        StepVerifier.create(RandomReads.ordered(f, Flux.defer(() -> Flux.just(new Request(-5, 1)))))
                .expectError(IllegalArgumentException.class)
                .verify(T);
        Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
        assertThat(loop.metrics().submitted()).as("nothing reached the kernel").isEqualTo(submitted);
        f.close().block(T);

        Path w = dir.resolve("write-only");
        UringFile wo = UringFiles.open(loop, w, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE)).block(T);
        assertThatThrownBy(() -> RandomReads.unordered(wo, Flux.empty())).isInstanceOf(NonReadableChannelException.class);
        wo.close().block(T);
    }

    @Test
    void onTheNioFallbackReadsMatchAndBuffersComeBack() throws Exception {
        Path p = randomFile(14);
        UringFile f = UringFiles.nio().open(p, OpenSpec.of(Set.of(StandardOpenOption.READ))).block(T);
        assertThat(f.isUring()).isFalse();
        long before = f.bufferPool().outstanding();
        List<Request> reqs = requests(200, 15);
        List<Result> results = RandomReads.ordered(f, Flux.fromIterable(reqs)).collectList().block(T);
        try (FileChannel ch = FileChannel.open(p)) {
            for (int i = 0; i < reqs.size(); i++) {
                assertThat(results.get(i).offset()).isEqualTo(reqs.get(i).offset());
                assertThat(bytes(results.get(i))).isEqualTo(expected(ch, reqs.get(i)));
                results.get(i).buffer().release();
            }
        }
        List<Throwable> dropped = new java.util.concurrent.CopyOnWriteArrayList<>();
        reactor.core.publisher.Hooks.onErrorDropped(dropped::add);
        try {
            for (int round = 0; round < 20; round++) { // cancels racing reads that are finishing
                RandomReads.unordered(f, Flux.fromIterable(requests(500, 16 + round))).take(20)
                        .doOnNext(r -> r.buffer().release()).blockLast(T);
            }
            f.close().block(T); // waits for NIO calls still running
        } finally {
            reactor.core.publisher.Hooks.resetOnErrorDropped();
        }
        assertThat(dropped).as("no double release or other dropped error").isEmpty();
        assertThat(f.bufferPool().outstanding()).as("NIO pool back to its start").isEqualTo(before);
    }

    @Test
    void unorderedCancelRacingCompletionsReleasesEachBufferOnce() throws Exception {
        Path p = randomFile(19);
        UringFile f = open(loop, p);
        long before = loop.bufferPool().outstanding();
        List<Throwable> dropped = new java.util.concurrent.CopyOnWriteArrayList<>();
        reactor.core.publisher.Hooks.onErrorDropped(dropped::add);
        try {
            for (int round = 0; round < 200; round++) {
                List<Result> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
                // Cancelled from this thread while reads complete on the loop thread, at a point that varies.
                reactor.core.Disposable d = RandomReads.unordered(f, Flux.fromIterable(requests(64, 100 + round)), 16)
                        .subscribe(seen::add);
                for (int spin = 0; spin < round % 7 && seen.isEmpty(); spin++) {
                    Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
                }
                d.dispose();
                // A result being emitted on the loop thread as the cancel lands is still delivered (and ours).
                Mono.fromRunnable(() -> { }).subscribeOn(loop).block(T);
                seen.forEach(r -> r.buffer().release());
                awaitOnLoop(loop, "round " + round + ": pool back to its start",
                        () -> loop.bufferPool().outstanding() == before);
            }
        } finally {
            reactor.core.publisher.Hooks.resetOnErrorDropped();
        }
        assertThat(dropped).as("no double release or other dropped error").isEmpty();
        f.close().block(T);
    }

    @Test
    void unorderedUpstreamErrorReleasesReadBuffersAndPropagates() throws Exception {
        Path p = randomFile(20);
        UringFile f = open(loop, p);
        long before = loop.bufferPool().outstanding();
        Flux<Request> reqs = Flux.fromIterable(requests(20, 21)).concatWith(Flux.error(new IllegalStateException("boom")));
        StepVerifier.create(RandomReads.unordered(f, reqs, 64), 0)
                .expectErrorMessage("boom")
                .verify(T);
        f.close().block(T);
        awaitOnLoop(loop, "pool back to its start after error", () -> loop.bufferPool().outstanding() == before);
    }

    @Test
    void unorderedReadErrorFailsTheStreamAndReleasesEveryBuffer() throws Exception {
        Path p = randomFile(22);
        UringFile f = open(loop, p);
        long before = loop.bufferPool().outstanding();
        f.close().block(T);
        // Every read fails (the file is closed); the first error ends the stream, the rest are not signalled.
        StepVerifier.create(RandomReads.unordered(f, Flux.fromIterable(requests(50, 23)), 8))
                .expectError()
                .verify(T);
        awaitOnLoop(loop, "pool back to its start after read errors", () -> loop.bufferPool().outstanding() == before);
    }

    @Test
    void unorderedNullRequestIsAnError() throws Exception {
        Path p = randomFile(24);
        UringFile f = open(loop, p);
        org.reactivestreams.Publisher<Request> nulls = s -> {
            s.onSubscribe(new org.reactivestreams.Subscription() {
                @Override
                public void request(long n) {
                }

                @Override
                public void cancel() {
                }
            });
            s.onNext(null);
        };
        StepVerifier.create(RandomReads.unordered(f, nulls))
                .expectError(NullPointerException.class)
                .verify(T);
        f.close().block(T);
    }
}
