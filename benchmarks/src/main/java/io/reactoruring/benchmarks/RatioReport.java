package io.reactoruring.benchmarks;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs {@link NopBenchmark} (warmup 3x2s, measurement 5x2s, 1 fork; ~1 minute) and prints a table
 * with each result as a fraction of the {@code nativeLoop} ceiling.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.RatioReport [jmh regexp]</pre>
 */
public final class RatioReport {

    /** The goal from the issue: >= 5 M NOPs/s batched on one ring. */
    static final double GOAL_OPS = 5_000_000;

    private RatioReport() {
    }

    public static void main(String[] args) throws RunnerException {
        String include = args.length > 0 ? args[0] : NopBenchmark.class.getName() + "\\.";
        Options opt = new OptionsBuilder()
                .include(include)
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
        System.out.printf("%-16s %16s %14s %14s%n", "benchmark", "ops/s", "error (99.9%)", "/ nativeLoop");
        for (String name : new String[] {"nativeLoop", "submitAll", "submitAllOrdered", "batched", "oneAtATime"}) {
            Result<?> r = byName.get(name);
            if (r == null) {
                continue;
            }
            String ratio = ceiling == null ? "n/a" : String.format("%.4f", r.getScore() / ceiling.getScore());
            System.out.printf("%-16s %,16.0f %,14.0f %14s%n", name, r.getScore(), r.getScoreError(), ratio);
        }
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
