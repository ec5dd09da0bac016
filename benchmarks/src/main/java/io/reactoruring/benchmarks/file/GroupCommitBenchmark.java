package io.reactoruring.benchmarks.file;

import io.reactoruring.core.UringLoop;
import io.reactoruring.file.GroupCommit;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable appends of {@value #RECORDS} records of {@value #RECORD_SIZE} bytes, in records per second
 * (one op = one record durable), to a file in /tmp that is truncated before every iteration:
 *
 * <ul>
 *   <li>{@code groupCommit}: one {@link GroupCommit#writeAndDataSync} of the {@value #RECORDS} records
 *       (one linked chain: the merged write, then fdatasync).</li>
 *   <li>{@code perRecordForce}: per record, {@code FileChannel.write(record, pos)} then
 *       {@code force(false)} (fdatasync): the classic "every record durable before the next".</li>
 * </ul>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class GroupCommitBenchmark {
    static final int RECORDS = 256;
    static final int RECORD_SIZE = 100;

    @State(Scope.Benchmark)
    public static class Logs {
        Path uringPath;
        Path channelPath;
        UringLoop loop;
        UringFile file;
        FileChannel channel;
        ByteBuffer record;
        long uringPos;
        long channelPos;

        @Setup(Level.Trial)
        public void setup() throws IOException {
            uringPath = Files.createTempFile("reactor-uring-bench-gc", ".log");
            channelPath = Files.createTempFile("reactor-uring-bench-force", ".log");
            loop = UringLoop.create("bench-gc");
            file = UringFiles.open(loop, uringPath, Set.of(StandardOpenOption.WRITE)).block();
            channel = FileChannel.open(channelPath, StandardOpenOption.WRITE);
            record = ByteBuffer.allocateDirect(RECORD_SIZE);
            for (int i = 0; i < RECORD_SIZE; i++) {
                record.put(i, (byte) i);
            }
        }

        @Setup(Level.Iteration)
        public void truncate() throws IOException {
            channel.truncate(0);
            channel.force(true);
            channelPos = 0;
            file.truncate(0).then(file.fsync()).block();
            uringPos = 0;
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            BenchFile.closeUring(loop, file);
            channel.close();
            Files.deleteIfExists(uringPath);
            Files.deleteIfExists(channelPath);
        }
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long groupCommit(Logs l) {
        List<GroupCommit.Write> writes = new ArrayList<>(RECORDS);
        for (int i = 0; i < RECORDS; i++) {
            writes.add(new GroupCommit.Write(l.uringPos + (long) i * RECORD_SIZE, l.record.duplicate()));
        }
        Long n = GroupCommit.writeAndDataSync(l.file, writes).block();
        if (n == null || n != (long) RECORDS * RECORD_SIZE) {
            throw new IllegalStateException("committed " + n);
        }
        l.uringPos += n;
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(RECORDS)
    public long perRecordForce(Logs l) throws IOException {
        for (int i = 0; i < RECORDS; i++) {
            ByteBuffer b = l.record.duplicate();
            while (b.hasRemaining()) {
                l.channel.write(b, l.channelPos + (RECORD_SIZE - b.remaining()));
            }
            l.channel.force(false);
            l.channelPos += RECORD_SIZE;
        }
        return l.channelPos;
    }
}
