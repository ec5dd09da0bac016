package io.reactoruring.spring;

import static io.reactoruring.spring.TestSupport.T;
import static io.reactoruring.spring.TestSupport.awaitOnLoop;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactoruring.core.Op;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.file.SmallFiles;
import io.reactoruring.file.UringFiles;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpServer;
import java.lang.reflect.RecordComponent;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.server.RouterFunctions;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Every metric the library has is a meter, tagged per loop, and each reads what it names: a real
 * workload (files served over HTTP on loopback, small files read on direct descriptors, a burst of
 * operations larger than the rings, connections that empty the loop's provided-buffer ring) moves them.
 */
class UringMeterBinderTest {
    /** SQ and CQ of 8 with a budget of 1024 per iteration: the burst below fills both. */
    private static final int BUDGET = 1024;

    @TempDir
    Path dir;

    /** SQ and CQ of 8 with a budget of 1024 per iteration: the burst of operations below overfills both. */
    private UringLoopGroup burst;
    /** Default options: files and connections. */
    private UringLoopGroup io;
    private UringLoop loop;
    private UringLoop ioLoop;
    private final MeterRegistry registry = new SimpleMeterRegistry();

    @BeforeEach
    void start() {
        Assumptions.assumeTrue(Uring.isAvailable(), "io_uring unavailable: " + Uring.unavailabilityCause());
        burst = UringLoopGroup.create("meters-burst", 1,
                RingOptions.defaults().sqEntries(8).cqEntries(8).submissionsPerIteration(BUDGET));
        // One loop: the servers below accept and serve every connection on it.
        io = UringLoopGroup.create("meters-io", 1, RingOptions.defaults());
        loop = burst.loops().get(0);
        ioLoop = io.loops().get(0);
        new UringMeterBinder(burst).bindTo(registry);
        new UringMeterBinder(io).bindTo(registry);
    }

    @AfterEach
    void stop() {
        if (burst != null) {
            burst.disposeLater().block(T);
            io.disposeLater().block(T);
        }
    }

    @Test
    void everyMetricsComponentHasAMeter() {
        Set<String> components = Arrays.stream(UringMetrics.class.getRecordComponents())
                .map(RecordComponent::getName).collect(Collectors.toSet());
        Set<String> bound = UringMeterBinder.METRICS.stream().map(UringMeterBinder.Binding::component)
                .collect(Collectors.toSet());
        assertThat(bound).as("a UringMetrics component without a meter (add it to UringMeterBinder.METRICS)")
                .containsExactlyInAnyOrderElementsOf(components);
        assertThat(UringMeterBinder.METRICS.stream().map(UringMeterBinder.Binding::meter).distinct().count())
                .as("meter names are distinct").isEqualTo(UringMeterBinder.METRICS.size());
        // Each loop of a group has its own set, tagged with its name.
        UringLoopGroup three = UringLoopGroup.create("meters-three", 3, RingOptions.defaults());
        try {
            MeterRegistry own = new SimpleMeterRegistry();
            new UringMeterBinder(three).bindTo(own);
            assertThat(own.getMeters()).hasSize(3 * (UringMeterBinder.METRICS.size() + 1) + 2);
            assertThat(own.get(UringMeterBinder.NATIVE_MEMORY).gauge().value())
                    .as("three loops hold native memory").isPositive();
            assertThat(own.get(UringMeterBinder.NATIVE_MEMORY_BLOCKS).gauge().value()).isPositive();
            for (UringLoop l : three.loops()) {
                List<Meter> ofLoop = own.getMeters().stream()
                        .filter(m -> l.name().equals(m.getId().getTag("loop"))).toList();
                assertThat(ofLoop).as("meters of %s", l.name()).hasSize(UringMeterBinder.METRICS.size() + 1);
                assertThat(ofLoop).allSatisfy(m -> assertThat(m.getId().getDescription()).isNotBlank());
            }
            UringLoop second = three.loops().get(1);
            second.submit(Op.nop()).block(T);
            awaitOnLoop(second, "the NOP counted", () -> own.get(UringMeterBinder.PREFIX + "submitted")
                    .tag("loop", second.name()).functionCounter().count() >= 1);
            assertThat(own.get(UringMeterBinder.PREFIX + "submitted").tag("loop", three.loops().get(2).name())
                    .functionCounter().count()).as("another loop's counter").isZero();
        } finally {
            three.disposeLater().block(T);
        }
        // Each meter reads the component it is named for (checked on the loop thread, where both are live).
        for (UringLoop l : List.of(loop, ioLoop)) {
            onLoop(l, () -> {
                assertMetersEqualComponents(l);
                return null;
            });
        }
    }

    @Test
    void aRealWorkloadMovesEveryMeter() throws Exception {
        Map<String, Double> burstBefore = onLoop(loop, () -> componentValues(loop));
        Map<String, Double> ioBefore = onLoop(ioLoop, () -> componentValues(ioLoop));

        // 1. Files over HTTP on loopback, read through io_uring (no sendfile) on the io group.
        int files = 200;
        byte[][] content = new byte[files][];
        for (int i = 0; i < files; i++) {
            content[i] = TestSupport.random(20_000 + i * 97, i);
            TestSupport.write(dir.resolve("site/f" + i + ".bin"), content[i]);
        }
        DisposableServer http = HttpServer.create().host("127.0.0.1").port(0)
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(
                        UringResources.create(dir.resolve("site")).withLoopGroup(io)
                                .withZeroCopy(UringResources.ZeroCopy.NEVER).router("/f/**"))))
                .bindNow();
        try {
            WebTestClient client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + http.port())
                    .responseTimeout(T).build();
            for (int i = 0; i < files; i++) {
                client.get().uri("/f/f" + i + ".bin").exchange().expectStatus().isOk()
                        .expectBody(byte[].class).isEqualTo(content[i]);
            }
        } finally {
            http.disposeNow();
        }

        // 2. A pooled buffer held by its reader shows in buffer.pool.outstanding until released.
        Gauge outstanding = registry.get(UringMeterBinder.BUFFER_POOL_OUTSTANDING).tag("loop", ioLoop.name()).gauge();
        double idle = outstanding.value();
        assertThat(idle).isEqualTo(ioLoop.bufferPool().outstanding());
        PooledBuffer held = UringFiles.readAll(ioLoop, dir.resolve("site/f0.bin"), 4096).take(1).single().block(T);
        assertThat(held).isNotNull();
        assertThat(outstanding.value()).as("the held chunk is counted").isGreaterThan(idle);
        held.release();
        awaitOnLoop(ioLoop, "pool back to its idle count", () -> outstanding.value() == idle);

        // Small files read on direct descriptors (open, read and close linked in one submission).
        for (int i = 0; i < 50; i++) {
            PooledBuffer small = SmallFiles.read(ioLoop, dir.resolve("site/f" + i + ".bin"), 64 * 1024)
                    .block(T);
            assertThat(small).isNotNull();
            try {
                byte[] got = new byte[small.buffer().remaining()];
                small.buffer().get(got);
                assertThat(got).isEqualTo(content[i]);
            } finally {
                small.release();
            }
        }

        // 3. Connections that each keep the one ring buffer they got: the loop's shared ring runs dry.
        // Whole buffers: with incremental consumption several connections' slices share a buffer, and
        // 64 connections may not be enough to empty the ring (net's SharedRingScaleTest does the same).
        System.setProperty("reactoruring.net.incrementalBufferRings", "false");
        Queue<PooledBuffer> kept = new ConcurrentLinkedQueue<>();
        UringServer hoarder = UringTcpServer.create().host("127.0.0.1").port(0).group(io)
                .receiveBufferSize(256 * 1024).receiveBufferRing(1)
                .handle((in, out) -> in.receive().map(PooledBuffer::retain).doOnNext(kept::add).then()) // kept past onNext
                .bindNow(T);
        List<SocketChannel> clients = new ArrayList<>();
        FunctionCounter exhaustions = counter(ioLoop, "buffer.ring.exhaustions");
        try {
            double exhausted = exhaustions.count();
            for (int i = 0; i < 64 && exhaustions.count() == exhausted; i++) {
                SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", hoarder.port()));
                c.configureBlocking(false);
                c.write(ByteBuffer.allocate(1024 * 1024)); // as much as the socket buffers take
                clients.add(c);
                int connections = clients.size();
                // Until this connection holds its buffer, or the ring had none left for it.
                awaitOnLoop(ioLoop, "connection " + connections + " received or was refused a buffer",
                        () -> kept.size() >= connections || exhaustions.count() > exhausted);
            }
            assertThat(exhaustions.count()).as("the ring ran dry").isGreaterThan(exhausted);
        } finally {
            System.clearProperty("reactoruring.net.incrementalBufferRings");
            for (SocketChannel c : clients) {
                c.close();
            }
            hoarder.disposeNow(T);
            PooledBuffer b;
            while ((b = kept.poll()) != null) {
                b.release();
            }
        }

        // 4. More operations at once than the SQ, the CQ and one iteration's budget hold.
        int ops = 20_000;
        CountDownLatch done = new CountDownLatch(ops);
        AtomicInteger ok = new AtomicInteger();
        for (int i = 0; i < ops; i++) {
            loop.submit(Op.nop()).subscribe(r -> ok.incrementAndGet(), e -> done.countDown(), done::countDown);
        }
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(ok.get()).isEqualTo(ops);
        // Operations subscribed on the loop thread wait for the next iteration: the gauge sees them there.
        double waiting = onLoop(loop, () -> {
            for (int i = 0; i < 10; i++) {
                loop.submit(Op.nop()).subscribe();
            }
            return gauge(loop, "waiting").value();
        });
        assertThat(waiting).isGreaterThanOrEqualTo(10);
        // An operation parked in the kernel holds a slot until it completes (here: is cancelled).
        reactor.core.Disposable parked = loop.submit(Op.timeout(java.time.Duration.ofHours(1))).subscribe();
        awaitOnLoop(loop, "the timeout in flight", () -> gauge(loop, "inflight").value() >= 1);
        parked.dispose();
        awaitOnLoop(loop, "the cancelled timeout gone", () -> gauge(loop, "inflight").value() == 0);

        Map<String, Double> burstAfter = onLoop(loop, () -> {
            assertMetersEqualComponents(loop);
            return componentValues(loop);
        });
        Map<String, Double> ioAfter = onLoop(ioLoop, () -> {
            assertMetersEqualComponents(ioLoop);
            return componentValues(ioLoop);
        });
        // Moved by the workload above. Not forced here: submitBusy (the kernel's -EBUSY) and
        // staleCompletions (a CQE for a recycled slot) do not happen on a healthy ring; inFlight and
        // waiting are current values (checked above while positive); maxInFlight is the budget. Each
        // of these is still checked against its component above.
        for (String moved : List.of("submitted", "completed", "inFlightHighWater", "wakeups", "enterCalls",
                "bufferRingExhaustions", "iterations", "fixedBufferOps", "fixedBufferRegistrations", "fixedFileOps")) {
            assertThat(ioAfter.get(moved)).as("files and connections: " + moved).isGreaterThan(ioBefore.get(moved));
        }
        for (String moved : List.of("submitted", "completed", "inFlightHighWater", "sqFullWaits", "inFlightLimitWaits",
                "cqOverflows", "wakeups", "enterCalls", "iterations")) {
            assertThat(burstAfter.get(moved)).as("burst: " + moved).isGreaterThan(burstBefore.get(moved));
        }
        assertThat(burstAfter.get("maxInFlight")).isEqualTo(BUDGET);
        assertThat(burstAfter.get("submitted") - burstBefore.get("submitted")).isGreaterThanOrEqualTo(ops);
        assertThat(burstAfter.get("bufferRingExhaustions")).as("per loop: not the io loop's").isZero();
    }

    /** Meter value by UringMetrics component name, read through the registry. */
    private Map<String, Double> componentValues(UringLoop l) {
        Map<String, Double> values = new HashMap<>();
        for (UringMeterBinder.Binding b : UringMeterBinder.METRICS) {
            values.put(b.component(), value(registry.get(b.meter()).tag("loop", l.name()).meter()));
        }
        return values;
    }

    /** Each meter equals the record component of the same name, read by reflection. Loop thread only. */
    private void assertMetersEqualComponents(UringLoop l) {
        assertThat(l.inLoop()).isTrue();
        UringMetrics m = l.metrics();
        Map<String, Double> meters = componentValues(l);
        for (RecordComponent c : UringMetrics.class.getRecordComponents()) {
            long expected;
            try {
                expected = (long) c.getAccessor().invoke(m);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
            assertThat(meters.get(c.getName())).as("meter of %s", c.getName()).isEqualTo((double) expected);
        }
        assertThat(registry.get(UringMeterBinder.BUFFER_POOL_OUTSTANDING).tag("loop", l.name()).gauge().value())
                .isEqualTo(l.bufferPool().outstanding());
    }

    private static double value(Meter meter) {
        if (meter instanceof FunctionCounter c) {
            return c.count();
        }
        return ((Gauge) meter).value();
    }

    private FunctionCounter counter(UringLoop l, String name) {
        return registry.get(UringMeterBinder.PREFIX + name).tag("loop", l.name()).functionCounter();
    }

    private Gauge gauge(UringLoop l, String name) {
        return registry.get(UringMeterBinder.PREFIX + name).tag("loop", l.name()).gauge();
    }

    private static <V> V onLoop(UringLoop l, Supplier<V> task) {
        return Mono.fromSupplier(task).subscribeOn(l).block(T);
    }
}
