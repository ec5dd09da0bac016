package io.reactoruring.benchmarks;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.Op;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.internal.Native;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * NOP throughput on one ring, five ways (all reported in ops/s, one op = one NOP completed):
 *
 * <ul>
 *   <li>{@code batched}: 10,000 {@code loop.submit(Op.nop())} per invocation through
 *       {@code Flux.flatMap(..., 256)}: up to 256 in flight, the loop batches them.</li>
 *   <li>{@code submitAll} / {@code submitAllOrdered}: the same 10,000 NOPs through one
 *       {@code loop.submitAll(Flux.range(0, 10_000).map(i -> Op.nop()), 256)} (results in completion /
 *       op order): up to 256 in flight, one subscription for the whole stream, no per-op Mono.</li>
 *   <li>{@code oneAtATime}: one {@code submit(...).block()} per invocation: a full cross-thread round
 *       trip (caller -> loop thread -> kernel -> loop thread -> caller) per NOP.</li>
 *   <li>{@code nativeLoop}: the ceiling. The benchmark thread drives its own ring directly through
 *       {@link Native#enter}, 256 NOP descriptors per call, waiting for their completions. Raw JNI +
 *       kernel cost, no Reactor, no loop thread, no hand-off.</li>
 * </ul>
 *
 * <p>See docs/benchmarks.md and {@link RatioReport}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class NopBenchmark {

    public static final int N = 10_000;
    /** If set, each measurement iteration appends "benchmark cpuNsPerOp userNsPerOp" to this file. */
    static final String CPU_LOG_PROPERTY = "reactoruring.bench.cpuLog";
    private static final ThreadMXBean LOOP_CPU = ManagementFactory.getThreadMXBean();
    static final int BATCH = 256;

    /** The UringLoop used by batched and oneAtATime (one per trial). */
    @State(Scope.Benchmark)
    public static class LoopState {
        UringLoop loop;
        private Thread loopThread;
        private long cpuAtStart;
        private long userAtStart;
        private long completedAtStart;

        @Setup(Level.Trial)
        public void setup() {
            loop = UringLoop.create("bench", RingOptions.defaults());
            loopThread = Mono.fromCallable(Thread::currentThread).subscribeOn(loop).block();
        }

        @Setup(Level.Iteration)
        public void startIteration() {
            cpuAtStart = LOOP_CPU.getThreadCpuTime(loopThread.getId());
            userAtStart = LOOP_CPU.getThreadUserTime(loopThread.getId());
            completedAtStart = loop.metrics().completed();
        }

        /**
         * CPU time of the loop thread per completed op in this iteration, and its user-mode part (Java
         * and JNI; the rest is the kernel): unlike ops/s, barely affected by other processes competing
         * for the cores (they add wall time, not CPU time).
         */
        @TearDown(Level.Iteration)
        public void endIteration(BenchmarkParams benchmark, IterationParams iteration) throws IOException {
            long cpu = LOOP_CPU.getThreadCpuTime(loopThread.getId()) - cpuAtStart;
            long user = LOOP_CPU.getThreadUserTime(loopThread.getId()) - userAtStart;
            long ops = Math.max(1, loop.metrics().completed() - completedAtStart);
            System.out.printf("%n# loop thread CPU: %.1f ns/op, of which user %.1f (%d ops)%n",
                    (double) cpu / ops, (double) user / ops, ops);
            String log = System.getProperty(CPU_LOG_PROPERTY);
            if (log != null && iteration.getType() == IterationType.MEASUREMENT) {
                String name = benchmark.getBenchmark().substring(benchmark.getBenchmark().lastIndexOf('.') + 1);
                Files.writeString(Path.of(log), String.format(Locale.ROOT, "%s %.1f %.1f%n", name,
                        (double) cpu / ops, (double) user / ops), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            System.out.println();
            System.out.println("# loop metrics: " + loop.metrics());
            loop.disposeGracefully().block();
        }
    }

    /**
     * A ring owned by the benchmark thread. Opened per iteration so that setup runs on the worker
     * thread that submits (SINGLE_ISSUER / DEFER_TASKRUN bind the ring to its creating task).
     */
    @State(Scope.Thread)
    public static class RingState {
        // Same setup flags the UringLoop prefers (see UringLoop.open), falling back to none.
        static final int SETUP_SUBMIT_ALL = 1 << 7;
        static final int SETUP_COOP_TASKRUN = 1 << 8;
        static final int SETUP_SINGLE_ISSUER = 1 << 12;
        static final int SETUP_DEFER_TASKRUN = 1 << 13;

        long ring;
        long descAddr;
        long cqeAddr;
        long statsAddr;
        ByteBuffer stats;
        int cqeCap;
        int ringFlags;

        @Setup(Level.Iteration)
        public void setup() {
            Native.ensureLoaded();
            int sq = BATCH;
            int cq = BATCH * 8; // what RingOptions.defaults() gives the loop
            int[] out = new int[Native.OPEN_COUNT];
            int preferred = SETUP_SINGLE_ISSUER | SETUP_SUBMIT_ALL | SETUP_COOP_TASKRUN | SETUP_DEFER_TASKRUN;
            long r = Native.ringOpen(sq, cq, preferred, 0, out);
            if (r < 0) {
                r = Native.ringOpen(sq, cq, 0, 0, out);
            }
            if (r < 0) {
                throw new IllegalStateException("ringOpen failed: " + r);
            }
            ring = r;
            ringFlags = out[Native.OPEN_FLAGS];
            cqeCap = out[Native.OPEN_CQ_ENTRIES];
            descAddr = NativeMemory.allocate((long) Native.DESC_SIZE * BATCH, 64);
            cqeAddr = NativeMemory.allocate((long) Native.CQE_SIZE * cqeCap, 64);
            statsAddr = NativeMemory.allocate(8L * Native.STAT_COUNT, 64);
            stats = Native.wrap(statsAddr, 8 * Native.STAT_COUNT).order(ByteOrder.nativeOrder());
            // The memory is zeroed: opcode 0 is NOP, fd 0 is ignored by NOP. Only user_data differs.
            ByteBuffer desc = Native.wrap(descAddr, Native.DESC_SIZE * BATCH).order(ByteOrder.nativeOrder());
            for (int i = 0; i < BATCH; i++) {
                int base = i * Native.DESC_SIZE;
                desc.put(base + Native.DESC_OPCODE, (byte) 0);
                desc.putInt(base + Native.DESC_FD, -1);
                desc.putLong(base + Native.DESC_USER_DATA, i + 1);
            }
        }

        @TearDown(Level.Iteration)
        public void tearDown() {
            Native.ringClose(ring);
            NativeMemory.free(descAddr, (long) Native.DESC_SIZE * BATCH);
            NativeMemory.free(cqeAddr, (long) Native.CQE_SIZE * cqeCap);
            NativeMemory.free(statsAddr, 8L * Native.STAT_COUNT);
        }
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long batched(LoopState s) {
        return check(Flux.range(0, N).flatMap(i -> s.loop.submit(Op.nop()), BATCH).count().block());
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long submitAll(LoopState s) {
        return check(s.loop.submitAll(Flux.range(0, N).map(i -> Op.nop()), BATCH).count().block());
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long submitAllOrdered(LoopState s) {
        return check(s.loop.submitAllOrdered(Flux.range(0, N).map(i -> Op.nop()), BATCH).count().block());
    }

    private static long check(Long n) {
        if (n == null || n != N) {
            throw new IllegalStateException("expected " + N + " completions, got " + n);
        }
        return n;
    }

    @Benchmark
    public Integer oneAtATime(LoopState s) {
        return s.loop.submit(Op.nop()).block();
    }

    @Benchmark
    @OperationsPerInvocation(N)
    public long nativeLoop(RingState s) {
        return drive(s, N);
    }

    /** Submits and reaps {@code total} NOPs, at most {@link #BATCH} in flight; returns the sum of res. */
    static long drive(RingState s, int total) {
        int submitted = 0;
        int completed = 0;
        long resSum = 0;
        while (completed < total) {
            int inFlight = submitted - completed;
            int count = Math.min(BATCH - inFlight, total - submitted);
            int waitNr = Math.min(inFlight + count, BATCH);
            int n = Native.enter(s.ring, s.descAddr, count, s.cqeAddr, s.cqeCap, waitNr, -1, s.statsAddr);
            if (n < 0) {
                throw new IllegalStateException("enter failed: " + n);
            }
            submitted += (int) s.stats.getLong(8 * Native.STAT_CONSUMED);
            completed += n;
            resSum += n; // NOP res is 0; count completions (reading each CQE is not part of the ceiling)
        }
        if (completed != total) {
            throw new IllegalStateException("completed " + completed + " != " + total);
        }
        return resSum;
    }
}
