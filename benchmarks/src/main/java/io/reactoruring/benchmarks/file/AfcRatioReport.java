package io.reactoruring.benchmarks.file;

import io.reactoruring.core.Op;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import io.reactoruring.file.UringOpenOption;
import io.reactoruring.file.nio.UringAsynchronousFileChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

/**
 * The {@link AsynchronousFileChannel} drop-in against the JDK's own channel, side by side in one run
 * (issue 12), plus the latency paths of issue 13. A load harness, not JMH: every scenario runs for
 * {@value #SECONDS} s per variant and round, the variants alternate order from round to round, and
 * the report prints the median ratio over the rounds (and each round's ratio).
 *
 * <p>Scenarios (all on page-cached files; both channels opened without an executor, i.e. on their
 * default thread pools):
 * <ul>
 *   <li>{@code chained 4 KiB reads}: one 4 KiB read at a time, sequential over a 50 MiB file, each
 *       started from the previous read's {@link CompletionHandler} (direct buffer).</li>
 *   <li>{@code chained 4 KiB writes}: the same with writes into a 50 MiB file.</li>
 *   <li>{@code copy 50 MB, 4 KiB / 64 KiB}: the shape of Spring's
 *       {@code DataBufferUtils.write(DataBufferUtils.readAsynchronousFileChannel(src), dst)}: a read
 *       into a fresh heap buffer, its completion handler writes that buffer to the destination
 *       channel, the write's handler starts the next read. MB/s of the whole copy.</li>
 *   <li>{@code Spring DataBufferUtils copy 50 MB, 4 KiB / 64 KiB}: Spring's own
 *       {@code DataBufferUtils.write(DataBufferUtils.readAsynchronousFileChannel(src, heap buffers), dst channel)},
 *       both channels opened per copy. MB/s of the whole copy.</li>
 *   <li>{@code random 4 KiB reads, 32 outstanding}: 32 reads in flight at random 4 KiB-aligned
 *       offsets of the 1 GiB {@link BenchFile}, each completion starting the next read.</li>
 *   <li>{@code submit(nop).block()}: one NOP round trip from the calling (foreign) thread through a
 *       {@link UringLoop}; compared with an empty call, i.e. reported as round trips/s.</li>
 *   <li>{@code qd-1 4 KiB reads}: {@code UringFile.read(dst, pos).block()} at random offsets vs a
 *       plain {@code FileChannel.read(dst, pos)} (pread) on the same thread; once for a file opened
 *       with the defaults (a direct descriptor: every read through the ring) and once with
 *       {@code UringOpenOption.PLAIN_FD} (page-cached reads done on the calling thread).</li>
 * </ul>
 *
 * <p>For the io_uring side the report also prints, per op, the loop's wake-ups (blocking enters
 * that were woken), JNI enters and loop iterations, and the context switches per op of the whole
 * process, of the thread that runs the scenario and of the loop thread: where the hand-offs go
 * (for a round trip from a foreign thread: the caller sleeping in {@code block()}, the loop
 * sleeping, or the loop preempted by the caller it woke).
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.file.AfcRatioReport [rounds] [scenario-substring]</pre>
 *
 * The loop's spin before sleeping is off by default; add {@code -Dreactoruring.loop.spinMicros=50} to
 * measure with it.
 */
public final class AfcRatioReport {
    static final double SECONDS = 1.0;
    static final int KIB4 = 4096;
    static final long FIFTY_MB = 50L << 20;
    static final int OUTSTANDING = 32;

    private AfcRatioReport() {
    }

    /** One measured variant: runs for about {@link #SECONDS} and returns operations (or bytes) per second. */
    @FunctionalInterface
    interface Run {
        double run() throws Exception;
    }

    record Scenario(String name, String unit, String goal, double target, String baseline, Run base,
            String contender, Run ours, UringLoop loop) {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        String only = args.length > 1 ? args[1] : "";
        Path dir = Files.createTempDirectory("afc-bench");
        Path src = BenchFile.ensure(dir.resolve("src-50MB"), FIFTY_MB);
        BenchFile.warm(src);
        Path big = BenchFile.ensure();
        long bigSize = BenchFile.warm(big);
        long[] offsets = BenchFile.randomOffsets(bigSize, 1 << 20);

        Set<StandardOpenOption> read = Set.of(StandardOpenOption.READ);
        Set<StandardOpenOption> write = Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE);
        Set<StandardOpenOption> writeNew = Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING);
        Path wfile = dir.resolve("writes");
        BenchFile.ensure(wfile, FIFTY_MB);
        Path dst = dir.resolve("dst");

        AsynchronousFileChannel jdkSrc = AsynchronousFileChannel.open(src, read, null);
        UringAsynchronousFileChannel uSrc = UringAsynchronousFileChannel.open(src, read, null);
        AsynchronousFileChannel jdkW = AsynchronousFileChannel.open(wfile, write, null);
        UringAsynchronousFileChannel uW = UringAsynchronousFileChannel.open(wfile, write, null);
        AsynchronousFileChannel jdkBig = AsynchronousFileChannel.open(big, read, null);
        UringAsynchronousFileChannel uBig = UringAsynchronousFileChannel.open(big, read, null);
        UringLoop nopLoop = UringLoop.create("afc-bench-latency");
        UringFile qd1File = UringFiles.open(nopLoop, big, read).block();
        UringFile qd1Plain = UringFiles.open(nopLoop, big, Set.of(StandardOpenOption.READ, UringOpenOption.PLAIN_FD)).block();
        FileChannel plain = FileChannel.open(big, read);

        List<Scenario> all = new ArrayList<>();
        all.add(new Scenario("chained 4 KiB reads", "reads/s", ">= 1.0 x JDK", 1.0,
                "JDK AsynchronousFileChannel", () -> chained(jdkSrc, false),
                "io_uring AsynchronousFileChannel", () -> chained(uSrc, false), uSrc.loop()));
        all.add(new Scenario("chained 4 KiB writes", "writes/s", ">= 1.0 x JDK", 1.0,
                "JDK AsynchronousFileChannel", () -> chained(jdkW, true),
                "io_uring AsynchronousFileChannel", () -> chained(uW, true), uW.loop()));
        for (int chunk : new int[] {KIB4, 64 * 1024}) {
            double target = chunk == KIB4 ? 1.0 : 1.5;
            all.add(new Scenario("copy 50 MB, " + chunk / 1024 + " KiB buffers", "MB/s",
                    ">= " + target + " x JDK", target,
                    "JDK AsynchronousFileChannel", () -> copy(src, dst, chunk, false, read, writeNew),
                    "io_uring AsynchronousFileChannel", () -> copy(src, dst, chunk, true, read, writeNew),
                    null));
        }
        for (int chunk : new int[] {KIB4, 64 * 1024}) {
            double target = chunk == KIB4 ? 1.0 : 1.5;
            all.add(new Scenario("Spring DataBufferUtils copy 50 MB, " + chunk / 1024 + " KiB", "MB/s",
                    ">= " + target + " x JDK", target,
                    "JDK AsynchronousFileChannel", () -> springCopy(src, dst, chunk, false, read, writeNew),
                    "io_uring AsynchronousFileChannel", () -> springCopy(src, dst, chunk, true, read, writeNew),
                    null));
        }
        all.add(new Scenario("random 4 KiB reads, 32 outstanding", "reads/s", ">= 4 x JDK", 4.0,
                "JDK AsynchronousFileChannel", () -> random(jdkBig, offsets),
                "io_uring AsynchronousFileChannel", () -> random(uBig, offsets), uBig.loop()));
        all.add(new Scenario("submit(nop).block() from a foreign thread", "round trips/s", ">= 100k/s (absolute)", 0,
                "(none: absolute)", null,
                "UringLoop.submit(Op.nop()).block()", () -> nops(nopLoop), nopLoop));
        all.add(new Scenario("qd-1 4 KiB reads, page-cached", "reads/s", "(issue 13: >= 0.8 x fio; vs pread here)", 0,
                "FileChannel.read(dst, pos) (pread)", () -> pread(plain, offsets),
                "UringFile.read(dst, pos).block()", () -> qd1(qd1File, offsets), nopLoop));
        all.add(new Scenario("qd-1 4 KiB reads, page-cached, PLAIN_FD", "reads/s", "(issue 13: >= 0.8 x fio; vs pread here)", 0,
                "FileChannel.read(dst, pos) (pread)", () -> pread(plain, offsets),
                "UringFile.read(dst, pos).block(), PLAIN_FD", () -> qd1(qd1Plain, offsets), nopLoop));

        Map<String, List<double[]>> results = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (Scenario s : all) {
                if (!s.name.contains(only)) {
                    continue;
                }
                double base = 0;
                double ours;
                double[] baseSwitches = {0, 0};
                UringMetrics before = s.loop == null ? null : s.loop.metrics();
                if (s.base != null && r % 2 == 0) {
                    long[] cs = contextSwitches();
                    long t = System.nanoTime();
                    base = s.base.run();
                    baseSwitches = perOp(cs, base, t);
                }
                long opsBefore = before == null ? 0 : before.completed();
                long[] csOurs = contextSwitches();
                long[] callerCs = ownContextSwitches();
                long[] loopCs = s.loop == null ? new long[2] : contextSwitches(s.loop.name());
                long tOurs = System.nanoTime();
                ours = s.ours.run();
                double[] callerSwitches = perOp(callerCs, ownContextSwitches(), ours, tOurs);
                double[] loopSwitches = s.loop == null ? new double[2]
                        : perOp(loopCs, contextSwitches(s.loop.name()), ours, tOurs);
                double[] oursSwitches = perOp(csOurs, ours, tOurs);
                UringMetrics after = s.loop == null ? null : s.loop.metrics();
                if (s.base != null && r % 2 == 1) {
                    long[] cs = contextSwitches();
                    long t = System.nanoTime();
                    base = s.base.run();
                    baseSwitches = perOp(cs, base, t);
                }
                double[] row = {base, ours, 0, 0, 0, baseSwitches[0], baseSwitches[1], oursSwitches[0], oursSwitches[1],
                        callerSwitches[0], callerSwitches[1], loopSwitches[0], loopSwitches[1]};
                if (after != null) {
                    double ops = Math.max(1, after.completed() - opsBefore);
                    row[2] = (after.wakeups() - before.wakeups()) / ops;
                    row[3] = (after.enterCalls() - before.enterCalls()) / ops;
                    row[4] = (after.iterations() - before.iterations()) / ops;
                }
                results.computeIfAbsent(s.name, k -> new ArrayList<>()).add(row);
                System.out.printf("# round %d %-42s %s %,.0f  ours %,.0f %s%n", r + 1, s.name,
                        s.base == null ? "" : "base", base, ours, s.unit);
            }
        }

        System.out.println();
        System.out.println("AsynchronousFileChannel drop-in vs the JDK's (" + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version") + ", " + Runtime.getRuntime().availableProcessors()
                + " CPUs, os " + System.getProperty("os.version") + ", page-cached, " + rounds + " rounds of "
                + SECONDS + " s, reactoruring.loop.spinMicros=" + System.getProperty("reactoruring.loop.spinMicros", "0 (default)")
                + ")");
        System.out.printf("%-42s %14s %14s %8s %-28s %s%n", "scenario", "base", "io_uring", "ratio",
                "goal", "loop per op: blocking enters/enters/iterations; rounds' ratios");
        System.out.println();
        System.out.println("Context switches of the whole process per op (per MB for the copies), voluntary (a thread slept) /");
        System.out.println("involuntary (a running thread was preempted), medians; load-independent where the ratios are not:");
        System.out.printf("%-42s %16s %16s%n", "scenario", "base vol/invol", "io_uring vol/invol");
        for (Scenario s : all) {
            List<double[]> rows = results.get(s.name);
            if (rows == null) {
                continue;
            }
            System.out.printf("%-42s %16s %16s%n", s.name,
                    s.base == null ? "n/a" : String.format("%.2f/%.2f", median(col(rows, 5)), median(col(rows, 6))),
                    String.format("%.2f/%.2f", median(col(rows, 7)), median(col(rows, 8))));
        }
        System.out.println();
        System.out.println("The same for two threads of the io_uring side, medians: the thread that runs the scenario (for the");
        System.out.println("chained ones it only starts the chains) and the loop thread, per op:");
        System.out.printf("%-42s %16s %16s%n", "scenario", "caller vol/invol", "loop vol/invol");
        for (Scenario s : all) {
            List<double[]> rows = results.get(s.name);
            if (rows == null || s.loop == null) {
                continue;
            }
            System.out.printf("%-42s %16s %16s%n", s.name,
                    String.format("%.2f/%.2f", median(col(rows, 9)), median(col(rows, 10))),
                    String.format("%.2f/%.2f", median(col(rows, 11)), median(col(rows, 12))));
        }
        System.out.println();
        for (Scenario s : all) {
            List<double[]> rows = results.get(s.name);
            if (rows == null) {
                continue;
            }
            double[] ratios = rows.stream().mapToDouble(x -> x[0] == 0 ? 0 : x[1] / x[0]).toArray();
            double ratio = median(ratios);
            double target = s.target;
            String verdict;
            if (s.base == null) {
                double m = median(rows.stream().mapToDouble(x -> x[1]).toArray());
                verdict = m >= 100_000 ? "MET" : "NOT MET";
            } else if (target > 0) {
                verdict = ratio >= target ? "MET" : "NOT MET";
            } else {
                verdict = "";
            }
            System.out.printf("%-42s %,14.0f %,14.0f %8s %-28s %.2f/%.2f/%.2f; %s  (%s)%n", s.name,
                    median(rows.stream().mapToDouble(x -> x[0]).toArray()),
                    median(rows.stream().mapToDouble(x -> x[1]).toArray()),
                    s.base == null ? "n/a" : String.format("%.2f", ratio),
                    s.goal + " " + verdict,
                    median(rows.stream().mapToDouble(x -> x[2]).toArray()),
                    median(rows.stream().mapToDouble(x -> x[3]).toArray()),
                    median(rows.stream().mapToDouble(x -> x[4]).toArray()),
                    Arrays.toString(Arrays.stream(ratios).mapToObj(x -> String.format("%.2f", x)).toArray()),
                    s.unit);
        }

        for (AutoCloseable c : new AutoCloseable[] {jdkSrc, uSrc, jdkW, uW, jdkBig, uBig, plain}) {
            c.close();
        }
        qd1File.close().block();
        qd1Plain.close().block();
        nopLoop.disposeGracefully().block();
        for (Path p : new Path[] {src, wfile, dst}) {
            Files.deleteIfExists(p);
        }
        Files.deleteIfExists(dir);
    }

    static double[] col(List<double[]> rows, int i) {
        return rows.stream().mapToDouble(x -> x[i]).toArray();
    }

    /** Voluntary and involuntary context switches of every thread of this process (Linux /proc). */
    static long[] contextSwitches() {
        return contextSwitches(null);
    }

    /**
     * Voluntary and involuntary context switches of the threads of this process whose name starts
     * with {@code namePrefix} (Linux keeps the first 15 characters), or of all of them for null.
     */
    static long[] contextSwitches(@org.jspecify.annotations.Nullable String namePrefix) {
        long[] out = new long[2];
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return out;
        }
        String prefix = namePrefix == null ? null : namePrefix.substring(0, Math.min(15, namePrefix.length()));
        for (java.io.File t : tasks) {
            try {
                if (prefix != null && !Files.readString(t.toPath().resolve("comm")).trim().startsWith(prefix)) {
                    continue;
                }
                addSwitches(t.toPath().resolve("status"), out);
            } catch (IOException | RuntimeException e) {
                // the thread ended meanwhile
            }
        }
        return out;
    }

    /** The calling thread's voluntary and involuntary context switches. */
    static long[] ownContextSwitches() {
        long[] out = new long[2];
        try {
            addSwitches(Path.of("/proc/thread-self/status"), out);
        } catch (IOException | RuntimeException e) {
            // not Linux: zeros
        }
        return out;
    }

    private static void addSwitches(Path status, long[] out) throws IOException {
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("voluntary_ctxt_switches:")) {
                out[0] += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                out[1] += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
            }
        }
    }

    /** Context switches since {@code before} per op, the op count being {@code rate} x the seconds since {@code startNanos}. */
    static double[] perOp(long[] before, double rate, long startNanos) {
        return perOp(before, contextSwitches(), rate, startNanos);
    }

    static double[] perOp(long[] before, long[] now, double rate, long startNanos) {
        double ops = Math.max(1, rate * (System.nanoTime() - startNanos) / 1e9);
        return new double[] {(now[0] - before[0]) / ops, (now[1] - before[1]) / ops};
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? 0 : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** One op at a time, each started from the previous op's handler, for {@link #SECONDS}; ops/s. */
    static double chained(AsynchronousFileChannel ch, boolean writes) throws Exception {
        ByteBuffer buf = ByteBuffer.allocateDirect(KIB4);
        long deadline = System.nanoTime() + (long) (SECONDS * 1e9);
        long start = System.nanoTime();
        CompletableFuture<Long> done = new CompletableFuture<>();
        CompletionHandler<Integer, long[]> h = new CompletionHandler<>() {
            @Override
            public void completed(Integer n, long[] state) {
                state[0]++;
                if (System.nanoTime() >= deadline) {
                    done.complete(state[0]);
                    return;
                }
                long pos = state[0] * KIB4 % FIFTY_MB / KIB4 * KIB4;
                buf.clear();
                if (writes) {
                    ch.write(buf, pos, state, this);
                } else {
                    ch.read(buf, pos, state, this);
                }
            }

            @Override
            public void failed(Throwable e, long[] state) {
                done.completeExceptionally(e);
            }
        };
        long[] state = {0};
        if (writes) {
            ch.write(buf, 0, state, h);
        } else {
            ch.read(buf, 0, state, h);
        }
        long ops = done.get(60, TimeUnit.SECONDS);
        return ops / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Spring's read-then-write copy shape: read into a fresh heap buffer, write it (all of it) from
     * the read's handler, start the next read from the write's handler; repeated for
     * {@link #SECONDS}; MB/s (10^6 bytes).
     */
    static double copy(Path src, Path dst, int chunk, boolean uring, Set<StandardOpenOption> readOpts,
            Set<StandardOpenOption> writeOpts) throws Exception {
        long start = System.nanoTime();
        long deadline = start + (long) (SECONDS * 1e9);
        long bytes = 0;
        do {
            try (AsynchronousFileChannel in = open(src, readOpts, uring);
                    AsynchronousFileChannel out = open(dst, writeOpts, uring)) {
                bytes += copyOnce(in, out, chunk);
            }
        } while (System.nanoTime() < deadline);
        return bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    /** Spring's {@code DataBufferUtils} copy of {@code src} to {@code dst}, repeated for {@link #SECONDS}; MB/s. */
    static double springCopy(Path src, Path dst, int chunk, boolean uring, Set<StandardOpenOption> readOpts,
            Set<StandardOpenOption> writeOpts) throws Exception {
        long start = System.nanoTime();
        long deadline = start + (long) (SECONDS * 1e9);
        long bytes = 0;
        do {
            try (AsynchronousFileChannel out = open(dst, writeOpts, uring)) {
                DataBufferUtils.write(DataBufferUtils.readAsynchronousFileChannel(() -> open(src, readOpts, uring),
                                DefaultDataBufferFactory.sharedInstance, chunk), out)
                        .map(DataBufferUtils::release)
                        .then()
                        .block(java.time.Duration.ofSeconds(120));
            }
            long n = Files.size(dst);
            if (n != FIFTY_MB) {
                throw new IllegalStateException("copied " + n + " bytes, expected " + FIFTY_MB);
            }
            bytes += n;
        } while (System.nanoTime() < deadline);
        return bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    private static AsynchronousFileChannel open(Path p, Set<StandardOpenOption> opts, boolean uring)
            throws IOException {
        return uring ? UringAsynchronousFileChannel.open(p, opts, null) : AsynchronousFileChannel.open(p, opts, null);
    }

    static long copyOnce(AsynchronousFileChannel in, AsynchronousFileChannel out, int chunk) throws Exception {
        CompletableFuture<Long> done = new CompletableFuture<>();
        new Object() {
            long readPos;
            long writePos;

            void read() {
                ByteBuffer b = ByteBuffer.allocate(chunk);
                in.read(b, readPos, b, new CompletionHandler<Integer, ByteBuffer>() {
                    @Override
                    public void completed(Integer n, ByteBuffer b) {
                        if (n < 0) {
                            done.complete(writePos);
                            return;
                        }
                        readPos += n;
                        write(b.flip());
                    }

                    @Override
                    public void failed(Throwable e, ByteBuffer b) {
                        done.completeExceptionally(e);
                    }
                });
            }

            void write(ByteBuffer b) {
                out.write(b, writePos, b, new CompletionHandler<Integer, ByteBuffer>() {
                    @Override
                    public void completed(Integer n, ByteBuffer b) {
                        writePos += n;
                        if (b.hasRemaining()) {
                            write(b);
                        } else {
                            read();
                        }
                    }

                    @Override
                    public void failed(Throwable e, ByteBuffer b) {
                        done.completeExceptionally(e);
                    }
                });
            }
        }.read();
        long n = done.get(120, TimeUnit.SECONDS);
        if (n != FIFTY_MB) {
            throw new IllegalStateException("copied " + n + " bytes, expected " + FIFTY_MB);
        }
        return n;
    }

    /** {@value #OUTSTANDING} random 4 KiB reads in flight, each completion starting the next; reads/s. */
    static double random(AsynchronousFileChannel ch, long[] offsets) throws Exception {
        long start = System.nanoTime();
        long deadline = start + (long) (SECONDS * 1e9);
        CompletableFuture<Void> done = new CompletableFuture<>();
        java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicInteger live = new java.util.concurrent.atomic.AtomicInteger(OUTSTANDING);
        java.util.concurrent.atomic.AtomicInteger cursor = new java.util.concurrent.atomic.AtomicInteger();
        CompletionHandler<Integer, ByteBuffer> h = new CompletionHandler<>() {
            @Override
            public void completed(Integer n, ByteBuffer b) {
                count.incrementAndGet();
                if (System.nanoTime() >= deadline) {
                    if (live.decrementAndGet() == 0) {
                        done.complete(null);
                    }
                    return;
                }
                ch.read(b.clear(), offsets[cursor.getAndIncrement() & (offsets.length - 1)], b, this);
            }

            @Override
            public void failed(Throwable e, ByteBuffer b) {
                done.completeExceptionally(e);
            }
        };
        for (int i = 0; i < OUTSTANDING; i++) {
            ByteBuffer b = ByteBuffer.allocateDirect(KIB4);
            ch.read(b, offsets[cursor.getAndIncrement() & (offsets.length - 1)], b, h);
        }
        done.get(60, TimeUnit.SECONDS);
        return count.get() / ((System.nanoTime() - start) / 1e9);
    }

    /** NOP round trips from this thread through {@code loop}; per second. */
    static double nops(UringLoop loop) {
        long start = System.nanoTime();
        long deadline = start + (long) (SECONDS * 1e9);
        long n = 0;
        do {
            for (int i = 0; i < 64; i++) {
                loop.submit(Op.nop()).block();
            }
            n += 64;
        } while (System.nanoTime() < deadline);
        return n / ((System.nanoTime() - start) / 1e9);
    }

    static double qd1(UringFile file, long[] offsets) {
        ByteBuffer b = ByteBuffer.allocateDirect(KIB4);
        long start = System.nanoTime();
        long deadline = start + (long) (SECONDS * 1e9);
        int n = 0;
        do {
            for (int i = 0; i < 64; i++) {
                file.read(b.clear(), offsets[n++ & (offsets.length - 1)]).block();
            }
        } while (System.nanoTime() < deadline);
        return n / ((System.nanoTime() - start) / 1e9);
    }

    static double pread(FileChannel ch, long[] offsets) {
        ByteBuffer b = ByteBuffer.allocateDirect(KIB4);
        long start = System.nanoTime();
        long deadline = start + (long) (SECONDS * 1e9);
        int n = 0;
        try {
            do {
                for (int i = 0; i < 64; i++) {
                    ch.read(b.clear(), offsets[n++ & (offsets.length - 1)]);
                }
            } while (System.nanoTime() < deadline);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n / ((System.nanoTime() - start) / 1e9);
    }
}
