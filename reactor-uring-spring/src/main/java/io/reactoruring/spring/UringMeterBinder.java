package io.reactoruring.spring;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.UringMetrics;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Publishes each loop's {@link UringLoop#metrics()} to Micrometer, tagged {@code loop=<name>}:
 * counters {@code reactor.uring.submitted}, {@code .completed}, {@code .cq.overflows},
 * {@code .submit.busy}, {@code .sq.full.waits}, {@code .inflight.limit.waits}, {@code .wakeups},
 * {@code .enter.calls}, {@code .stale.completions}; gauges {@code reactor.uring.inflight},
 * {@code .inflight.high.water}, {@code .inflight.max}, {@code .waiting}.
 *
 * <p>Meters read a fresh snapshot when the registry polls them; the binder holds the group, not a copy.
 */
public final class UringMeterBinder implements MeterBinder {
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
            counter(registry, loop, "submitted", "operations handed to the kernel", UringMetrics::submitted);
            counter(registry, loop, "completed", "CQEs delivered to operations", UringMetrics::completed);
            counter(registry, loop, "cq.overflows", "CQ overflow flushes", UringMetrics::cqOverflows);
            counter(registry, loop, "submit.busy", "submits answered with EBUSY", UringMetrics::submitBusy);
            counter(registry, loop, "sq.full.waits", "submissions split because the SQ was full", UringMetrics::sqFullWaits);
            counter(registry, loop, "inflight.limit.waits", "iterations that left ops waiting for a slot",
                    UringMetrics::inFlightLimitWaits);
            counter(registry, loop, "wakeups", "wakeups from a blocking wait", UringMetrics::wakeups);
            counter(registry, loop, "enter.calls", "io_uring_enter system calls", UringMetrics::enterCalls);
            counter(registry, loop, "stale.completions", "CQEs for recycled slots", UringMetrics::staleCompletions);
            gauge(registry, loop, "inflight", "operations in the kernel", UringMetrics::inFlight);
            gauge(registry, loop, "inflight.high.water", "largest in-flight count seen", UringMetrics::inFlightHighWater);
            gauge(registry, loop, "inflight.max", "bound on in-flight operations", UringMetrics::maxInFlight);
            gauge(registry, loop, "waiting", "operations waiting in Java for a slot", UringMetrics::waiting);
        }
    }

    private interface Field {
        long get(UringMetrics m);
    }

    private static ToDoubleFunction<UringLoop> read(Field field) {
        return loop -> field.get(loop.metrics());
    }

    private static void counter(MeterRegistry registry, UringLoop loop, String name, String description, Field field) {
        FunctionCounter.builder("reactor.uring." + name, loop, read(field))
                .tag("loop", loop.name()).description(description).register(registry);
    }

    private static void gauge(MeterRegistry registry, UringLoop loop, String name, String description, Field field) {
        Gauge.builder("reactor.uring." + name, loop, read(field))
                .tag("loop", loop.name()).description(description).register(registry);
    }
}
