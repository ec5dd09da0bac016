package io.reactoruring.benchmarks.file;

import io.reactoruring.core.UringLoop;
import io.reactoruring.file.RandomReads;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Flux;

/**
 * Random 4 KiB reads of a page-cached file ({@link BenchFile}), in reads per second, one op = one
 * 4 KiB read completed; {@value #N} reads per invocation, the same pseudo-random blocks for every
 * variant:
 *
 * <ul>
 *   <li>{@code uring}: {@link RandomReads#unordered} on one {@link UringLoop} (default ring, sq 256)
 *       with {@code qd} reads in flight; each result's buffer is released on arrival.</li>
 *   <li>{@code uringOrdered}: the same through {@link RandomReads#ordered}.</li>
 *   <li>{@code fileChannel}: one thread, {@code FileChannel.read(dst, pos)} (pread) in a loop.</li>
 *   <li>{@code fileChannelThreads}: {@code min(qd, }{@value #MAX_THREADS}{@code )} threads sharing the
 *       reads, each doing preads on one shared FileChannel.</li>
 *   <li>{@code asyncFileChannel}: JDK {@link AsynchronousFileChannel} (default thread pool) with
 *       {@code qd} reads outstanding.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class RandomReadBenchmark {
    static final int N = 8192;
    static final int MAX_THREADS = 8;
    static final int OFFSETS = 1 << 20;

    /** The file and its offsets, shared by all variants. */
    @State(Scope.Benchmark)
    public static class Data {
        Path path;
        long size;
        long[] offsets;
        RandomReads.Request[] requests;
        int cursor;

        @Setup(Level.Trial)
        public void setup() {
            path = BenchFile.ensure();
            size = BenchFile.warm(path);
            offsets = BenchFile.randomOffsets(size, OFFSETS);
            requests = new RandomReads.Request[OFFSETS];
            for (int i = 0; i < OFFSETS; i++) {
                requests[i] = new RandomReads.Request(offsets[i], BenchFile.BLOCK);
            }
        }

        /** The index of the first of the next {@code N} reads. */
        int next() {
            int c = cursor;
            cursor = (c + N) & (OFFSETS - 1);
            return c;
        }
    }

    @State(Scope.Benchmark)
    public static class Depth {
        @Param({"1", "32", "128"})
        int qd;
    }

    @State(Scope.Benchmark)
    public static class Uring {
        UringLoop loop;
        UringFile file;

        @Setup(Level.Trial)
        public void setup(Data d) {
            loop = UringLoop.create("bench-file");
            file = UringFiles.open(loop, d.path, Set.of(StandardOpenOption.READ)).block();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            BenchFile.closeUring(loop, file);
        }
    }

    @State(Scope.Benchmark)
    public static class Channels {
        FileChannel channel;
        AsynchronousFileChannel async;
        ExecutorService threads;
        ByteBuffer[] buffers;

        @Setup(Level.Trial)
        public void setup(Data d) throws IOException {
            channel = FileChannel.open(d.path, StandardOpenOption.READ);
            async = AsynchronousFileChannel.open(d.path, StandardOpenOption.READ);
            threads = Executors.newFixedThreadPool(MAX_THREADS);
            buffers = new ByteBuffer[256];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = ByteBuffer.allocateDirect(BenchFile.BLOCK);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            channel.close();
            async.close();
            threads.shutdownNow();
        }
    }

    private static long uring(Data d, Depth q, Uring u, boolean ordered) {
        int from = d.next();
        Flux<RandomReads.Request> reqs = Flux.range(from, N).map(i -> d.requests[i]);
        Flux<RandomReads.Result> results = ordered
                ? RandomReads.ordered(u.file, reqs, q.qd)
                : RandomReads.unordered(u.file, reqs, q.qd);
        Long bytes = results.map(r -> {
            int n = r.bytes();
            r.buffer().release();
            return (long) n;
        }).reduce(0L, Long::sum).block();
        return check(bytes);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long uring(Data d, Depth q, Uring u) {
        return uring(d, q, u, false);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long uringOrdered(Data d, Depth q, Uring u) {
        return uring(d, q, u, true);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long fileChannel(Data d, Channels c) throws IOException {
        return check(preads(c.channel, c.buffers[0], d.offsets, d.next(), N));
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long fileChannelThreads(Data d, Depth q, Channels c) throws Exception {
        int threads = Math.min(q.qd, MAX_THREADS);
        int from = d.next();
        int per = N / threads;
        List<Future<Long>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ByteBuffer b = c.buffers[t];
            int start = from + t * per;
            int count = t == threads - 1 ? N - t * per : per;
            parts.add(c.threads.submit(() -> preads(c.channel, b, d.offsets, start, count)));
        }
        long total = 0;
        for (Future<Long> f : parts) {
            total += f.get();
        }
        return check(total);
    }

    private static long preads(FileChannel ch, ByteBuffer b, long[] offsets, int from, int count) throws IOException {
        long total = 0;
        for (int i = 0; i < count; i++) {
            total += ch.read(b.clear(), offsets[(from + i) & (OFFSETS - 1)]);
        }
        return total;
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long asyncFileChannel(Data d, Depth q, Channels c) throws InterruptedException {
        AsyncReads reads = new AsyncReads(c.async, d.offsets, d.next());
        for (int s = 0; s < q.qd; s++) {
            reads.issue(c.buffers[s]);
        }
        reads.done.await();
        if (reads.failure.get() != null) {
            throw new IllegalStateException(reads.failure.get());
        }
        return check((long) reads.bytes.get());
    }

    /** {@code count} reads through an AsynchronousFileChannel; each completion issues the next read into its buffer. */
    static final class AsyncReads implements CompletionHandler<Integer, ByteBuffer> {
        final AsynchronousFileChannel channel;
        final long[] offsets;
        final int from;
        final AtomicInteger issued = new AtomicInteger();
        final AtomicInteger bytes = new AtomicInteger();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final int count;
        final CountDownLatch done;

        AsyncReads(AsynchronousFileChannel channel, long[] offsets, int from) {
            this(channel, offsets, from, N);
        }

        AsyncReads(AsynchronousFileChannel channel, long[] offsets, int from, int count) {
            this.channel = channel;
            this.offsets = offsets;
            this.from = from;
            this.count = count;
            this.done = new CountDownLatch(count);
        }

        void issue(ByteBuffer b) {
            int i = issued.getAndIncrement();
            if (i < count) {
                channel.read(b.clear(), offsets[(from + i) & (OFFSETS - 1)], b, this);
            }
        }

        @Override
        public void completed(Integer n, ByteBuffer b) {
            bytes.addAndGet(n);
            done.countDown();
            issue(b);
        }

        @Override
        public void failed(Throwable e, ByteBuffer b) {
            failure.set(e);
            while (done.getCount() > 0) {
                done.countDown();
            }
        }
    }

    private static long check(Long bytes) {
        if (bytes == null || bytes != (long) N * BenchFile.BLOCK) {
            throw new IllegalStateException("expected " + N + " full blocks, got " + bytes + " bytes");
        }
        return bytes;
    }
}
