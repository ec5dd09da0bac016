package io.reactoruring.benchmarks.file;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * O_DIRECT reads from the device, side by side in one run: {@link DirectReadBenchmark} (reactor-uring,
 * FileChannel on qd threads, AsynchronousFileChannel) and fio's io_uring engine with {@code --direct=1}
 * (plain, and with {@code --fixedbufs --registerfiles}: the ceiling), repeated for several rounds;
 * prints each variant's median (and range) and the ratios the goals of issue 13 name.
 *
 * <p>Each round runs the variants one after another, minutes apart in all: on a virtio disk whose
 * throughput drifts by 20 % within minutes the ratios carry that drift. {@link DeviceAB} interleaves
 * the variants in short rounds and is the one to trust for ratios close to 1.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.file.DeviceRatioReport [rounds]</pre>
 */
public final class DeviceRatioReport {
    static final int[] DEPTHS = {1, 32, 128};
    static final int FIO_SECONDS = 5;

    private DeviceRatioReport() {
    }

    public static void main(String[] args) throws RunnerException, IOException, InterruptedException {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path data = BenchFile.ensure(Path.of(DirectReadBenchmark.PATH), (long) DirectReadBenchmark.SIZE_GIB << 30);
        Map<String, List<Double>> scores = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            Options opt = new OptionsBuilder().include(DirectReadBenchmark.class.getName() + "\\.").forks(1).build();
            for (RunResult rr : new Runner(opt).run()) {
                String b = rr.getParams().getBenchmark();
                String qd = rr.getParams().getParam("qd");
                // fixed=false: the same reads without registered buffers and fixed files ("uringPlain").
                String plain = "false".equals(rr.getParams().getParam("fixed")) ? "Plain" : "";
                String name = b.substring(b.lastIndexOf('.') + 1) + plain + (qd == null ? "" : "[qd=" + qd + "]");
                scores.computeIfAbsent(name, k -> new ArrayList<>()).add(rr.getPrimaryResult().getScore());
            }
            for (int qd : DEPTHS) {
                add(scores, "fio[qd=" + qd + "]", fio(data, "randread", "4k", qd, false));
                add(scores, "fioFixed[qd=" + qd + "]", fio(data, "randread", "4k", qd, true));
            }
            add(scores, "fioSequential", fio(data, "read", "1m", DirectReadBenchmark.SEQ_AHEAD, true));
        }

        System.out.println();
        System.out.println("O_DIRECT reads, " + (DirectReadBenchmark.SIZE_GIB) + " GiB file, " + rounds + " rounds ("
                + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + ", "
                + Runtime.getRuntime().availableProcessors() + " CPUs, os " + System.getProperty("os.version") + ")");
        System.out.printf("%-34s %14s  %s%n", "variant", "median ops/s", "rounds");
        for (Map.Entry<String, List<Double>> e : scores.entrySet()) {
            System.out.printf("%-34s %,14.0f  %s%n", e.getKey(), median(e.getValue()), e.getValue().stream()
                    .map(v -> String.format("%,.0f", v)).toList());
        }
        System.out.println();
        System.out.println("Goals (ratios of medians; 4 KiB random reads, reads/s; sequential in 1 MiB blocks/s)");
        for (int qd : DEPTHS) {
            Double u = med(scores, "uring[qd=" + qd + "]");
            if (qd > 1) {
                goal("qd " + qd + ": uring / fio fixedbufs+registerfiles >= 1.0", u, med(scores, "fioFixed[qd=" + qd + "]"), 1.0);
                goal("qd " + qd + ": uring / FileChannel on qd threads >= 2", u, med(scores, "fileChannelThreads[qd=" + qd + "]"), 2);
            } else {
                goal("qd 1: uring / one FileChannel thread >= 0.9", u, med(scores, "fileChannelThreads[qd=1]"), 0.9);
            }
            goal("qd " + qd + ": uring / AsynchronousFileChannel >= 4", u, med(scores, "asyncFileChannel[qd=" + qd + "]"), 4);
            goal("qd " + qd + ": uring / fio (plain)", u, med(scores, "fio[qd=" + qd + "]"), 0);
            goal("qd " + qd + ": uring fixed bufs+files / uring plain", u, med(scores, "uringPlain[qd=" + qd + "]"), 0);
            goal("qd " + qd + ": uring plain / fio (plain)", med(scores, "uringPlain[qd=" + qd + "]"),
                    med(scores, "fio[qd=" + qd + "]"), 0);
        }
        goal("sequential: readChunks / FileChannel", med(scores, "sequentialUring"), med(scores, "sequentialFileChannel"), 0);
        goal("sequential: readChunks / fio qd 8 fixedbufs", med(scores, "sequentialUring"), med(scores, "fioSequential"), 0);
        goal("sequential: readChunks fixed / plain", med(scores, "sequentialUring"), med(scores, "sequentialUringPlain"), 0);
    }

    private static void add(Map<String, List<Double>> scores, String name, Double v) {
        if (v != null) {
            scores.computeIfAbsent(name, k -> new ArrayList<>()).add(v);
        }
    }

    private static Double med(Map<String, List<Double>> scores, String name) {
        List<Double> v = scores.get(name);
        return v == null ? null : median(v);
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static void goal(String what, Double a, Double b, double target) {
        if (a == null || b == null) {
            System.out.printf("%-58s n/a%n", what);
            return;
        }
        double ratio = a / b;
        System.out.printf("%-58s %6.2f  %s%n", what, ratio, target == 0 ? "" : ratio >= target ? "MET" : "NOT MET");
    }

    /** fio io_uring with O_DIRECT; IOPS, or null where fio is missing or failed (said so). */
    static Double fio(Path data, String rw, String bs, int qd, boolean fixed) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("--rw=" + rw, "--bs=" + bs, "--iodepth=" + qd, "--direct=1"));
        if (fixed) {
            args.add("--fixedbufs");
            args.add("--registerfiles");
        }
        return Fio.readIops(data, FIO_SECONDS, args);
    }
}
