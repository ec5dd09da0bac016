package io.reactoruring.benchmarks.file;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the file benchmarks ({@link RandomReadBenchmark}, {@link SequentialReadBenchmark},
 * {@link GroupCommitBenchmark}) in one JMH run (warmup 2 x 1 s, measurement 3 x 2 s, 1 fork), then
 * fio's io_uring engine on the same file at the same queue depths as the ceiling, and prints the
 * ratios and the goals:
 *
 * <ul>
 *   <li>random 4 KiB reads through RandomReads &gt;= 0.8 x fio io_uring and &gt;= 4 x AsynchronousFileChannel;</li>
 *   <li>group commit &gt;= 20 x write + force per record.</li>
 * </ul>
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.file.FileRatioReport [jmh regexp]</pre>
 *
 * fio is skipped (and said so) when it is not installed.
 */
public final class FileRatioReport {
    static final int[] DEPTHS = {1, 32, 128};
    static final int FIO_SECONDS = 5;

    private FileRatioReport() {
    }

    public static void main(String[] args) throws RunnerException, IOException, InterruptedException {
        String include = args.length > 0 ? args[0] : "io\\.reactoruring\\.benchmarks\\.file\\..*Benchmark\\.";
        Path data = BenchFile.ensure();
        long size = Files.size(data);
        Options opt = new OptionsBuilder()
                .include(include)
                .warmupIterations(2).warmupTime(TimeValue.seconds(1))
                .measurementIterations(3).measurementTime(TimeValue.seconds(2))
                .forks(1)
                .build();
        Collection<RunResult> results = new Runner(opt).run();

        // "RandomReadBenchmark.uring[qd=32]" -> score
        Map<String, double[]> scores = new HashMap<>();
        for (RunResult rr : results) {
            String bench = rr.getParams().getBenchmark();
            String name = bench.substring(bench.lastIndexOf('.', bench.lastIndexOf('.') - 1) + 1);
            String qd = rr.getParams().getParam("qd");
            scores.put(qd == null ? name : name + "[qd=" + qd + "]",
                    new double[] {rr.getPrimaryResult().getScore(), rr.getPrimaryResult().getScoreError()});
        }
        Map<Integer, Double> fio = new HashMap<>();
        for (int qd : DEPTHS) {
            Double iops = fio(data, size, qd);
            if (iops != null) {
                fio.put(qd, iops);
            }
        }

        System.out.println();
        System.out.println("reactor-uring file benchmarks (" + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs, os " + System.getProperty("os.version") + ", data file " + (size >> 20) + " MiB, page-cached)");
        System.out.println();
        System.out.println("Random 4 KiB reads, reads/s (error = JMH 99.9% half-width)");
        System.out.printf("%-5s %-26s %14s %12s %10s %10s%n", "qd", "variant", "reads/s", "error", "/ fio", "/ AFC");
        for (int qd : DEPTHS) {
            Double ceiling = fio.get(qd);
            double[] afc = scores.get("RandomReadBenchmark.asyncFileChannel[qd=" + qd + "]");
            row(qd, "fio io_uring (ceiling)", ceiling == null ? null : new double[] {ceiling, 0}, ceiling, afc);
            for (String v : new String[] {"uring", "uringOrdered", "fileChannelThreads", "asyncFileChannel"}) {
                row(qd, v, scores.get("RandomReadBenchmark." + v + "[qd=" + qd + "]"), ceiling, afc);
            }
            row(qd, "fileChannel (1 thread)", scores.get("RandomReadBenchmark.fileChannel"), ceiling, afc);
        }

        System.out.println();
        System.out.println("Sequential whole-file read, GB/s (1 GB = 10^9 bytes)");
        double[] seqUring = scores.get("SequentialReadBenchmark.readChunks");
        double[] seqChannel = scores.get("SequentialReadBenchmark.fileChannel");
        for (Object[] v : new Object[][] {{"readChunks", seqUring}, {"fileChannel", seqChannel}}) {
            double[] s = (double[]) v[1];
            if (s != null) {
                System.out.printf("%-14s %8.2f GB/s  (error %.2f)%s%n", v[0], s[0] * size / 1e9, s[1] * size / 1e9,
                        seqChannel == null ? "" : String.format("   / fileChannel %.2f", s[0] / seqChannel[0]));
            }
        }

        System.out.println();
        System.out.println("Durable 100-byte records (256 per batch), records/s");
        double[] gc = scores.get("GroupCommitBenchmark.groupCommit");
        double[] force = scores.get("GroupCommitBenchmark.perRecordForce");
        for (Object[] v : new Object[][] {{"groupCommit", gc}, {"perRecordForce", force}}) {
            double[] s = (double[]) v[1];
            if (s != null) {
                System.out.printf("%-14s %,14.0f  (error %,.0f)%n", v[0], s[0], s[1]);
            }
        }

        System.out.println();
        System.out.println("Goals");
        for (int qd : DEPTHS) {
            double[] u = scores.get("RandomReadBenchmark.uring[qd=" + qd + "]");
            double[] afc = scores.get("RandomReadBenchmark.asyncFileChannel[qd=" + qd + "]");
            Double ceiling = fio.get(qd);
            if (u != null && ceiling != null) {
                goal("qd " + qd + ": RandomReads >= 0.8 x fio io_uring", u[0] / ceiling, 0.8);
            }
            if (u != null && afc != null) {
                goal("qd " + qd + ": RandomReads >= 4 x AsynchronousFileChannel", u[0] / afc[0], 4);
            }
        }
        if (gc != null && force != null) {
            goal("group commit >= 20 x write + force per record", gc[0] / force[0], 20);
        }
    }

    private static void row(int qd, String name, double[] s, Double ceiling, double[] afc) {
        if (s == null) {
            return;
        }
        System.out.printf("%-5d %-26s %,14.0f %,12.0f %10s %10s%n", qd, name, s[0], s[1],
                ceiling == null ? "n/a" : String.format("%.2f", s[0] / ceiling),
                afc == null ? "n/a" : String.format("%.2f", s[0] / afc[0]));
    }

    private static void goal(String what, double ratio, double target) {
        System.out.printf("%-52s ratio %8.2f  %s%n", what, ratio, ratio >= target ? "MET" : "NOT MET");
    }

    /** fio's io_uring engine, buffered random 4 KiB reads of the page-cached file; IOPS or null. */
    static Double fio(Path data, long size, int qd) throws IOException, InterruptedException {
        return Fio.readIops(data, FIO_SECONDS, List.of("--rw=randread", "--bs=4k", "--iodepth=" + qd, "--size=" + size,
                "--direct=0", "--invalidate=0"));
    }
}
