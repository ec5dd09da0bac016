package io.reactoruring.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link NopBenchmark} (warmup 3x2s, measurement 5x2s, 1 fork; ~90 s) and prints a table
 * with each result as a fraction of the {@code nativeLoop} ceiling and the loop thread's CPU time per op.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.RatioReport [jmh regexp]</pre>
 */
public final class RatioReport {

    /** The goal from the issue: >= 5 M NOPs/s batched on one ring. */
    static final double GOAL_OPS = 5_000_000;

    private RatioReport() {
    }

    /** Median CPU and user ns per op of each benchmark's measurement iterations, as "cpu (user)". */
    private static Map<String, String> loopCpuMedians(Path log) throws IOException {
        Map<String, List<double[]>> byName = new HashMap<>();
        for (String line : Files.readAllLines(log)) {
            String[] f = line.trim().split(" ");
            if (f.length == 3) {
                byName.computeIfAbsent(f[0], k -> new ArrayList<>())
                        .add(new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
            }
        }
        Files.deleteIfExists(log);
        Map<String, String> medians = new HashMap<>();
        byName.forEach((name, rows) -> medians.put(name, String.format(Locale.ROOT, "%.0f (%.0f)",
                median(rows, 0), median(rows, 1))));
        return medians;
    }

    private static double median(List<double[]> rows, int column) {
        double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    public static void main(String[] args) throws RunnerException, IOException {
        String include = args.length > 0 ? args[0] : NopBenchmark.class.getName() + "\\.";
        Path cpuLog = Files.createTempFile("nop-loop-cpu", ".txt");
        Options opt = new OptionsBuilder()
                .include(include)
                .jvmArgsAppend("-D" + NopBenchmark.CPU_LOG_PROPERTY + "=" + cpuLog)
                .warmupIterations(3).warmupTime(org.openjdk.jmh.runner.options.TimeValue.seconds(2))
                .measurementIterations(5).measurementTime(org.openjdk.jmh.runner.options.TimeValue.seconds(2))
                .forks(1)
                .build();
        Collection<RunResult> results = new Runner(opt).run();

        Map<String, Result<?>> byName = new HashMap<>();
        for (RunResult rr : results) {
            String label = rr.getParams().getBenchmark();
            byName.put(label.substring(label.lastIndexOf('.') + 1), rr.getPrimaryResult());
        }
        Result<?> ceiling = byName.get("nativeLoop");
        System.out.println();
        System.out.println("reactor-uring NOP throughput (" + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs, os " + System.getProperty("os.version") + ")");
        Map<String, String> cpu = loopCpuMedians(cpuLog);
        System.out.printf("%-16s %16s %14s %14s %24s%n", "benchmark", "ops/s", "error (99.9%)", "/ nativeLoop",
                "loop CPU ns/op (user)");
        for (String name : new String[] {"nativeLoop", "submitAll", "submitAllOrdered", "batched", "oneAtATime"}) {
            Result<?> r = byName.get(name);
            if (r == null) {
                continue;
            }
            String ratio = ceiling == null ? "n/a" : String.format("%.4f", r.getScore() / ceiling.getScore());
            System.out.printf("%-16s %,16.0f %,14.0f %14s %24s%n", name, r.getScore(), r.getScoreError(), ratio,
                    cpu.getOrDefault(name, "-"));
        }
        System.out.println("(loop CPU: median over the measurement iterations of the loop thread's CPU time per op;"
                + " steadier than ops/s when other processes compete for the cores)");
        System.out.println();
        for (String name : new String[] {"submitAll", "submitAllOrdered", "batched"}) {
            Result<?> r = byName.get(name);
            if (r != null) {
                System.out.printf("Goal (>= %,.0f NOPs/s batched on one ring) via %s: %s (%.1f%% of goal)%n",
                        GOAL_OPS, name, r.getScore() >= GOAL_OPS ? "MET" : "NOT MET", 100.0 * r.getScore() / GOAL_OPS);
            }
        }
    }
}
