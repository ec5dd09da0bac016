package io.reactoruring.benchmarks.file;

import com.sun.nio.file.ExtendedOpenOption;
import io.reactoruring.core.UringLoop;
import io.reactoruring.file.RandomReads;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import io.reactoruring.file.UringOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
 * O_DIRECT reads from the device (the page cache is bypassed), on a {@value #SIZE_GIB} GiB file of
 * random bytes at {@value #PATH} created on the first run:
 *
 * <ul>
 *   <li>{@code uring}: random 4 KiB reads through {@link RandomReads#unordered} on a file opened with
 *       {@link UringOpenOption#DIRECT}, {@code qd} in flight, {@value #N} per invocation.</li>
 *   <li>{@code fileChannelThreads}: {@code qd} threads doing preads on one FileChannel opened with
 *       {@link ExtendedOpenOption#DIRECT} (block-aligned direct buffers).</li>
 *   <li>{@code asyncFileChannel}: the JDK's AsynchronousFileChannel with DIRECT, {@code qd} outstanding.</li>
 *   <li>{@code sequentialUring} / {@code sequentialFileChannel}: {@value #SEQ_MIB} MiB read in 1 MiB
 *       blocks ({@link UringFile#readChunks} with {@value #SEQ_AHEAD} reads ahead vs one thread's
 *       preads); one op = one block.</li>
 * </ul>
 *
 * {@link DeviceRatioReport} runs it beside fio's io_uring engine (direct, with and without
 * {@code --fixedbufs --registerfiles}) and prints medians of rounds and ratios.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 1, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class DirectReadBenchmark {
    static final String PATH = "/tmp/reactor-uring-direct.dat";
    static final int SIZE_GIB = 2;
    static final int N = 4096;
    static final int OFFSETS = 1 << 20;
    static final int MIB = 1 << 20;
    static final int SEQ_MIB = 256;
    static final int SEQ_AHEAD = 8;

    @State(Scope.Benchmark)
    public static class Data {
        Path path;
        long[] offsets;
        RandomReads.Request[] requests;
        int cursor;
        long seqStart;

        @Setup(Level.Trial)
        public void setup() {
            path = BenchFile.ensure(Path.of(PATH), (long) SIZE_GIB << 30);
            offsets = BenchFile.randomOffsets((long) SIZE_GIB << 30, OFFSETS);
            requests = new RandomReads.Request[OFFSETS];
            for (int i = 0; i < OFFSETS; i++) {
                requests[i] = new RandomReads.Request(offsets[i], BenchFile.BLOCK);
            }
        }

        int next() {
            int c = cursor;
            cursor = (c + N) & (OFFSETS - 1);
            return c;
        }

        /** The start of the next sequential region: regions rotate through the file. */
        long nextRegion() {
            long s = seqStart;
            seqStart = (s + ((long) SEQ_MIB << 20)) % ((long) SIZE_GIB << 30);
            return s;
        }
    }

    @State(Scope.Benchmark)
    public static class Depth {
        @Param({"1", "32", "128"})
        int qd;
    }

    @State(Scope.Benchmark)
    public static class Uring {
        /**
         * true: the defaults, registered buffers (READ_FIXED) and a direct descriptor (IOSQE_FIXED_FILE);
         * false: both off ({@code registeredBuffers(0).registeredFiles(0)}), plain READ on a process fd.
         */
        @Param({"true", "false"})
        boolean fixed;
        UringLoop loop;
        UringFile file;

        @Setup(Level.Trial)
        public void setup(Data d) {
            loop = UringLoop.create("bench-direct", fixed ? io.reactoruring.core.RingOptions.defaults()
                    : io.reactoruring.core.RingOptions.defaults().registeredBuffers(0).registeredFiles(0));
            file = UringFiles.open(loop, d.path, Set.of(StandardOpenOption.READ, UringOpenOption.DIRECT)).block();
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
        ByteBuffer seq;

        @Setup(Level.Trial)
        public void setup(Data d) throws IOException {
            channel = FileChannel.open(d.path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
            async = AsynchronousFileChannel.open(d.path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT);
            threads = Executors.newFixedThreadPool(128);
            buffers = new ByteBuffer[128];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = aligned(BenchFile.BLOCK);
            }
            seq = aligned(MIB);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            channel.close();
            async.close();
            threads.shutdownNow();
        }
    }

    static ByteBuffer aligned(int size) {
        return ByteBuffer.allocateDirect(size + BenchFile.BLOCK).alignedSlice(BenchFile.BLOCK).limit(size).slice();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long uring(Data d, Depth q, Uring u) {
        int from = d.next();
        Long bytes = RandomReads.unordered(u.file, Flux.range(from, N).map(i -> d.requests[i & (OFFSETS - 1)]), q.qd)
                .map(r -> {
                    int n = r.bytes();
                    r.buffer().release();
                    return (long) n;
                }).reduce(0L, Long::sum).block();
        return check(bytes, (long) N * BenchFile.BLOCK);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long fileChannelThreads(Data d, Depth q, Channels c) throws Exception {
        int from = d.next();
        int per = N / q.qd;
        List<Future<Long>> parts = new ArrayList<>();
        for (int t = 0; t < q.qd; t++) {
            ByteBuffer b = c.buffers[t];
            int start = from + t * per;
            int count = t == q.qd - 1 ? N - t * per : per;
            parts.add(c.threads.submit(() -> {
                long total = 0;
                for (int i = 0; i < count; i++) {
                    total += c.channel.read(b.clear(), d.offsets[(start + i) & (OFFSETS - 1)]);
                }
                return total;
            }));
        }
        long total = 0;
        for (Future<Long> f : parts) {
            total += f.get();
        }
        return check(total, (long) N * BenchFile.BLOCK);
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long asyncFileChannel(Data d, Depth q, Channels c) throws InterruptedException {
        RandomReadBenchmark.AsyncReads reads = new RandomReadBenchmark.AsyncReads(c.async, d.offsets, d.next(), N);
        for (int s = 0; s < q.qd; s++) {
            reads.issue(c.buffers[s]);
        }
        reads.done.await();
        if (reads.failure.get() != null) {
            throw new IllegalStateException(reads.failure.get());
        }
        return check((long) reads.bytes.get(), (long) N * BenchFile.BLOCK);
    }

    @Benchmark
    @OperationsPerInvocation(SEQ_MIB)
    public long sequentialUring(Data d, Uring u) {
        Long total = u.file.readChunks(d.nextRegion(), (long) SEQ_MIB << 20, MIB, SEQ_AHEAD).map(b -> {
            long n = b.buffer().remaining();
            b.release();
            return n;
        }).reduce(0L, Long::sum).block();
        return check(total, (long) SEQ_MIB << 20);
    }

    @Benchmark
    @OperationsPerInvocation(SEQ_MIB)
    public long sequentialFileChannel(Data d, Channels c) throws IOException {
        long start = d.nextRegion();
        long total = 0;
        for (int i = 0; i < SEQ_MIB; i++) {
            total += c.channel.read(c.seq.clear(), start + (long) i * MIB);
        }
        return check(total, (long) SEQ_MIB << 20);
    }

    private static long check(Long bytes, long expected) {
        if (bytes == null || bytes != expected) {
            throw new IllegalStateException("expected " + expected + " bytes, got " + bytes);
        }
        return bytes;
    }
}
