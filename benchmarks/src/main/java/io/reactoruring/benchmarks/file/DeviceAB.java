package io.reactoruring.benchmarks.file;

import com.sun.nio.file.ExtendedOpenOption;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.file.RandomReads;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import io.reactoruring.file.UringOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import reactor.core.publisher.Flux;

/**
 * O_DIRECT random 4 KiB reads at one queue depth, {@code RandomReads.unordered} (on a default loop and on
 * one with {@code -Dreactoruring.loop.earlySubmit=false}) and fio io_uring with
 * {@code --fixedbufs --registerfiles} interleaved in rounds of 4 s each on {@link DirectReadBenchmark}'s
 * 2 GiB file, so that both see the same device state (a virtio disk's throughput drifts by 20 % within
 * minutes here, more than the difference in question). Prints each round's ratio, then the loop's metrics.
 *
 * <p>{@code seq}: 1 MiB sequential O_DIRECT {@code readChunks} (8 ahead) with registered buffers and fixed
 * files (the defaults) and without ({@code registeredBuffers(0).registeredFiles(0)}), and FileChannel (DIRECT, one
 * thread, the same 1 MiB reads one after another), alternating in rounds of 3 s.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.file.DeviceAB [qd] [rounds]
 *   (-Ddeviceab.deferTaskrun=false: a ring without SINGLE_ISSUER/DEFER_TASKRUN)
 * java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.file.DeviceAB seq [rounds]</pre>
 */
public final class DeviceAB {
    private static final long ROUND_NANOS = 4_000_000_000L;
    private static final int BATCH = 4096;

    private DeviceAB() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("seq")) {
            sequential(args.length > 1 ? Integer.parseInt(args[1]) : 4);
            return;
        }
        int qd = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        long size = (long) DirectReadBenchmark.SIZE_GIB << 30;
        Path path = BenchFile.ensure(Path.of(DirectReadBenchmark.PATH), size);
        long[] offsets = BenchFile.randomOffsets(size, DirectReadBenchmark.OFFSETS);
        RingOptions options = Boolean.parseBoolean(System.getProperty("deviceab.deferTaskrun", "true"))
                ? RingOptions.defaults() : RingOptions.defaults().singleIssuer(false);
        // The same reads on a loop with the default early submission and on one without it.
        String[] names = {"RandomReads", "no early submit"};
        UringLoop[] loops = {UringLoop.create("device-ab", options), lateLoop(options)};
        UringFile[] files = new UringFile[2];
        for (int v = 0; v < 2; v++) {
            files[v] = UringFiles.open(loops[v], path, Set.of(StandardOpenOption.READ, UringOpenOption.DIRECT)).block();
        }
        int cursor = 0;
        try {
            for (int r = 0; r < rounds; r++) {
                double[] rates = new double[2];
                for (int v = 0; v < 2; v++) {
                    long start = System.nanoTime();
                    long reads = 0;
                    while (System.nanoTime() - start < ROUND_NANOS) {
                        int from = cursor;
                        Long n = RandomReads.unordered(files[v], Flux.range(from, BATCH).map(i -> new RandomReads.Request(
                                        offsets[i & (DirectReadBenchmark.OFFSETS - 1)], BenchFile.BLOCK)), qd)
                                .map(res -> {
                                    res.buffer().release();
                                    return 1L;
                                }).reduce(0L, Long::sum).block();
                        reads += n == null ? 0 : n;
                        cursor += BATCH;
                    }
                    rates[v] = reads / ((System.nanoTime() - start) / 1e9);
                }
                double fio = Fio.readIops(path, (int) (ROUND_NANOS / 1_000_000_000L), List.of("--rw=randread",
                        "--bs=4k", "--iodepth=" + qd, "--direct=1", "--fixedbufs", "--registerfiles"));
                System.out.printf("round %d, qd %d: %s %,.0f reads/s, %s %,.0f, fio fixed %,.0f; ratios to fio %.2f, %.2f%n",
                        r, qd, names[0], rates[0], names[1], rates[1], fio, rates[0] / fio, rates[1] / fio);
            }
        } finally {
            for (int v = 0; v < 2; v++) {
                BenchFile.closeUring(loops[v], files[v]);
            }
        }
    }

    /** A loop created with {@code -Dreactoruring.loop.earlySubmit=false} (read when a loop is created). */
    private static UringLoop lateLoop(RingOptions options) {
        String property = "reactoruring.loop.earlySubmit";
        String previous = System.setProperty(property, "false");
        try {
            return UringLoop.create("device-ab-late", options);
        } finally {
            if (previous == null) {
                System.clearProperty(property);
            } else {
                System.setProperty(property, previous);
            }
        }
    }

    private static void sequential(int rounds) throws IOException {
        long size = (long) DirectReadBenchmark.SIZE_GIB << 30;
        Path path = BenchFile.ensure(Path.of(DirectReadBenchmark.PATH), size);
        long region = (long) DirectReadBenchmark.SEQ_MIB << 20;
        String[] names = {"registered+fixed", "plain", "FileChannel (one thread)"};
        UringLoop[] loops = {UringLoop.create("device-ab-fixed"),
                UringLoop.create("device-ab-plain", RingOptions.defaults().registeredBuffers(0).registeredFiles(0))};
        UringFile[] files = new UringFile[2];
        for (int v = 0; v < 2; v++) {
            files[v] = UringFiles.open(loops[v], path, Set.of(StandardOpenOption.READ, UringOpenOption.DIRECT)).block();
        }
        int mib = DirectReadBenchmark.MIB;
        ByteBuffer aligned = ByteBuffer.allocateDirect(mib + 4096).alignedSlice(4096).limit(mib);
        long start = 0;
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)) {
            for (int r = 0; r < rounds; r++) {
                double[] rates = new double[3];
                for (int v = 0; v < 3; v++) {
                    long t0 = System.nanoTime();
                    long bytes = 0;
                    while (System.nanoTime() - t0 < 3_000_000_000L) {
                        if (v < 2) {
                            Long n = files[v].readChunks(start, region, mib, DirectReadBenchmark.SEQ_AHEAD)
                                    .map(b -> {
                                        long k = b.buffer().remaining();
                                        b.release();
                                        return k;
                                    }).reduce(0L, Long::sum).block();
                            bytes += n == null ? 0 : n;
                        } else {
                            for (long at = start; at < start + region; at += mib) {
                                bytes += channel.read(aligned.clear(), at);
                            }
                        }
                        start = (start + region) % size;
                    }
                    rates[v] = bytes / 1048576.0 / ((System.nanoTime() - t0) / 1e9);
                    System.out.printf("round %d, sequential 1 MiB, %s: %,.0f MiB/s%n", r, names[v], rates[v]);
                }
                System.out.printf("round %d: registered+fixed / FileChannel %.2f, plain / FileChannel %.2f%n", r,
                        rates[0] / rates[2], rates[1] / rates[2]);
            }
        } finally {
            for (int v = 0; v < 2; v++) {
                BenchFile.closeUring(loops[v], files[v]);
            }
        }
    }
}
