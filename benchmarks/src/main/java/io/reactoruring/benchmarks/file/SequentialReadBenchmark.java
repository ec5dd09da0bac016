package io.reactoruring.benchmarks.file;

import io.reactoruring.core.UringLoop;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Sequential whole-file read of the page-cached {@link BenchFile}, one op = the whole file
 * (multiply ops/s by the file size for bytes/s; {@link FileRatioReport} does):
 *
 * <ul>
 *   <li>{@code readChunks}: {@link UringFile#readChunks} with {@value #CHUNK}-byte chunks and
 *       {@value #READ_AHEAD} reads ahead on one loop, each chunk released on arrival.</li>
 *   <li>{@code fileChannel}: one thread, {@code FileChannel.read(dst, pos)} of {@value #CHUNK} bytes
 *       into one direct buffer, in a loop.</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class SequentialReadBenchmark {
    static final int CHUNK = 256 * 1024;
    static final int READ_AHEAD = 8;

    @State(Scope.Benchmark)
    public static class Files {
        Path path;
        long size;
        UringLoop loop;
        UringFile file;
        FileChannel channel;
        ByteBuffer buffer;

        @Setup(Level.Trial)
        public void setup() throws IOException {
            path = BenchFile.ensure();
            size = BenchFile.warm(path);
            loop = UringLoop.create("bench-seq");
            file = UringFiles.open(loop, path, Set.of(StandardOpenOption.READ)).block();
            channel = FileChannel.open(path, StandardOpenOption.READ);
            buffer = ByteBuffer.allocateDirect(CHUNK);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            BenchFile.closeUring(loop, file);
            channel.close();
        }
    }

    @Benchmark
    public long readChunks(Files f) {
        Long total = f.file.readChunks(0, Long.MAX_VALUE, CHUNK, READ_AHEAD).map(b -> {
            long n = b.buffer().remaining();
            b.release();
            return n;
        }).reduce(0L, Long::sum).block();
        return check(f, total);
    }

    @Benchmark
    public long fileChannel(Files f) throws IOException {
        long pos = 0;
        int n;
        while ((n = f.channel.read(f.buffer.clear(), pos)) > 0) {
            pos += n;
        }
        return check(f, pos);
    }

    private static long check(Files f, Long total) {
        if (total == null || total != f.size) {
            throw new IllegalStateException("read " + total + " of " + f.size + " bytes");
        }
        return total;
    }
}
