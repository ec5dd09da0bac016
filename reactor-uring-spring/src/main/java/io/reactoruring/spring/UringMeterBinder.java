package io.reactoruring.spring;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.UringMetrics;
import java.util.List;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Publishes every metric of each loop to Micrometer, tagged {@code loop=<name>}: each component of
 * {@link UringLoop#metrics()} and the loop's {@link io.reactoruring.core.buffer.BufferPool#outstanding()};
 * and, untagged, the process-wide {@link Uring#nativeMemoryBytes()} and {@link Uring#nativeMemoryBlocks()}.
 * <ul>
 *   <li>counters {@code reactor.uring.submitted}, {@code .completed}, {@code .sq.full.waits},
 *   {@code .inflight.limit.waits}, {@code .cq.overflows}, {@code .submit.busy}, {@code .wakeups},
 *   {@code .enter.calls}, {@code .stale.completions}, {@code .buffer.ring.exhaustions},
 *   {@code .iterations}, {@code .fixed.buffer.ops}, {@code .fixed.buffer.registrations},
 *   {@code .fixed.file.ops};</li>
 *   <li>gauges {@code reactor.uring.inflight}, {@code .inflight.high.water}, {@code .inflight.max},
 *   {@code .waiting}, {@code .buffer.pool.outstanding}; untagged {@code reactor.uring.native.memory}
 *   (bytes) and {@code .native.memory.blocks}.</li>
 * </ul>
 *
 * <p>Meters read a fresh snapshot when the registry polls them; the binder holds the group, not a copy.
 */
public final class UringMeterBinder implements MeterBinder {
    /** Name prefix of every meter. */
    static final String PREFIX = "reactor.uring.";
    /** The meter of the loop's buffer pool (not a {@link UringMetrics} component). */
    static final String BUFFER_POOL_OUTSTANDING = PREFIX + "buffer.pool.outstanding";
    /** Process-wide, untagged: {@link Uring#nativeMemoryBytes()}. */
    static final String NATIVE_MEMORY = PREFIX + "native.memory";
    /** Process-wide, untagged: {@link Uring#nativeMemoryBlocks()}. */
    static final String NATIVE_MEMORY_BLOCKS = PREFIX + "native.memory.blocks";

    /** One {@link UringMetrics} component and its meter. */
    record Binding(String component, String meter, boolean counter, String description,
                   ToLongFunction<UringMetrics> read) {
    }

    /**
     * One binding per {@link UringMetrics} component (UringMeterBinderTest fails when a component is
     * added without one).
     */
    static final List<Binding> METRICS = List.of(
            counter("submitted", "submitted", "operations handed to the kernel", UringMetrics::submitted),
            counter("completed", "completed", "CQEs delivered to operations", UringMetrics::completed),
            gauge("inFlight", "inflight", "operations holding a slot (submitted, terminal CQE not yet seen)",
                    UringMetrics::inFlight),
            gauge("inFlightHighWater", "inflight.high.water", "largest in-flight count seen",
                    UringMetrics::inFlightHighWater),
            gauge("maxInFlight", "inflight.max", "submission budget per loop iteration", UringMetrics::maxInFlight),
            gauge("waiting", "waiting", "operations waiting in Java for the next iteration's submission budget",
                    UringMetrics::waiting),
            counter("sqFullWaits", "sq.full.waits", "submissions split because the SQ was full",
                    UringMetrics::sqFullWaits),
            counter("inFlightLimitWaits", "inflight.limit.waits",
                    "iterations that used up their submission budget and left ops waiting",
                    UringMetrics::inFlightLimitWaits),
            counter("cqOverflows", "cq.overflows", "CQ overflow flushes", UringMetrics::cqOverflows),
            counter("submitBusy", "submit.busy", "submits answered with EBUSY", UringMetrics::submitBusy),
            counter("wakeups", "wakeups", "wakeups from a blocking wait", UringMetrics::wakeups),
            counter("enterCalls", "enter.calls", "io_uring_enter system calls", UringMetrics::enterCalls),
            counter("staleCompletions", "stale.completions", "CQEs for recycled slots, dropped",
                    UringMetrics::staleCompletions),
            counter("bufferRingExhaustions", "buffer.ring.exhaustions",
                    "times an op found one of the loop's provided-buffer rings empty (ENOBUFS)",
                    UringMetrics::bufferRingExhaustions),
            counter("iterations", "iterations", "loop iterations", UringMetrics::iterations),
            counter("fixedBufferOps", "fixed.buffer.ops",
                    "reads and writes through a pooled buffer submitted as READ_FIXED/WRITE_FIXED",
                    UringMetrics::fixedBufferOps),
            counter("fixedBufferRegistrations", "fixed.buffer.registrations",
                    "pool blocks registered with the ring as fixed buffers", UringMetrics::fixedBufferRegistrations),
            counter("fixedFileOps", "fixed.file.ops", "ops submitted on a direct descriptor (the ring's file table)",
                    UringMetrics::fixedFileOps),
            gauge("incrementalBufferRings", "buffer.rings.incremental",
                    "provided-buffer rings registered with incremental consumption (IOU_PBUF_RING_INC)",
                    UringMetrics::incrementalBufferRings),
            counter("inlineReads", "inline.reads",
                    "page-cached reads done on the calling thread without the ring (preadv2 RWF_NOWAIT)",
                    UringMetrics::inlineReads));

    private final UringLoopGroup group;

    /**
     * A binder for {@code group}'s loops (one set of meters per loop, tagged with the loop's name). Registers
     * nothing until {@link #bindTo} is called; the group stays the caller's to dispose.
     *
     * @param group the loops to measure
     */
    public UringMeterBinder(UringLoopGroup group) {
        this.group = Objects.requireNonNull(group, "group");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (UringLoop loop : group.loops()) {
            for (Binding b : METRICS) {
                ToLongFunction<UringMetrics> read = b.read();
                if (b.counter()) {
                    FunctionCounter.builder(b.meter(), loop, l -> read.applyAsLong(l.metrics()))
                            .tag("loop", loop.name()).description(b.description()).register(registry);
                } else {
                    Gauge.builder(b.meter(), loop, l -> read.applyAsLong(l.metrics()))
                            .tag("loop", loop.name()).description(b.description()).register(registry);
                }
            }
            Gauge.builder(BUFFER_POOL_OUTSTANDING, loop, l -> l.bufferPool().outstanding())
                    .tag("loop", loop.name())
                    .description("buffers of the loop's pool acquired and not yet released")
                    .baseUnit("buffers").register(registry);
        }
        // Registering the same id again (a second binder) returns the existing gauge.
        Gauge.builder(NATIVE_MEMORY, Uring::nativeMemoryBytes)
                .description("native memory reactor-uring holds, process-wide (op tables, pools, buffer rings)")
                .baseUnit("bytes").register(registry);
        Gauge.builder(NATIVE_MEMORY_BLOCKS, Uring::nativeMemoryBlocks)
                .description("native blocks behind reactor.uring.native.memory").register(registry);
    }

    private static Binding counter(String component, String name, String description, ToLongFunction<UringMetrics> read) {
        return new Binding(component, PREFIX + name, true, description, read);
    }

    private static Binding gauge(String component, String name, String description, ToLongFunction<UringMetrics> read) {
        return new Binding(component, PREFIX + name, false, description, read);
    }
}
