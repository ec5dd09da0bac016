package io.reactoruring.spring;

import static io.reactoruring.spring.TestSupport.T;
import static io.reactoruring.spring.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.reactoruring.core.Op;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

class UringAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(UringAutoConfiguration.class));

    @TempDir
    Path dir;

    @Test
    void createsALoopGroupFromTheProperties() {
        runner.withPropertyValues("reactor-uring.loops=2", "reactor-uring.ring-size=64").run(ctx -> {
            assertThat(ctx).hasSingleBean(UringLoopGroup.class).hasSingleBean(UringMeterBinder.class);
            UringLoopGroup group = ctx.getBean(UringLoopGroup.class);
            assertThat(group.loops()).hasSize(2);
            assertThat(group.loops().get(0).options().toString()).contains("sq=64,");
            assertThat(group.loops().get(0).name()).startsWith("reactor-uring-spring");
        });
    }

    @Test
    void loopsAreDisposedWithTheContext() {
        UringLoopGroup[] seen = new UringLoopGroup[1];
        runner.withPropertyValues("reactor-uring.loops=1").run(ctx -> seen[0] = ctx.getBean(UringLoopGroup.class));
        assertThat(seen[0].isDisposed()).isTrue();
    }

    @Test
    void disabledByProperty() {
        runner.withPropertyValues("reactor-uring.enabled=false").run(ctx ->
                assertThat(ctx).doesNotHaveBean(UringLoopGroup.class).doesNotHaveBean(UringMeterBinder.class));
    }

    @Test
    void invalidRingSizeFailsTheContext() {
        runner.withPropertyValues("reactor-uring.ring-size=100").run(ctx ->
                assertThat(ctx).hasFailed().getFailure().hasRootCauseInstanceOf(IllegalArgumentException.class));
    }

    @Test
    void backsOffForAUserDefinedGroup() {
        runner.withPropertyValues("reactor-uring.loops=3")
                .withBean("myGroup", UringLoopGroup.class, () -> UringLoopGroup.create("mine", 1,
                        io.reactoruring.core.RingOptions.defaults()), d -> d.setDestroyMethodName("dispose"))
                .run(ctx -> {
                    assertThat(ctx).hasSingleBean(UringLoopGroup.class);
                    assertThat(ctx.getBean(UringLoopGroup.class).loops()).hasSize(1);
                });
    }

    @Test
    void noMeterBinderWithoutMicrometer() {
        runner.withPropertyValues("reactor-uring.loops=1")
                .withClassLoader(new FilteredClassLoader(MeterBinder.class))
                .run(ctx -> assertThat(ctx).hasSingleBean(UringLoopGroup.class).doesNotHaveBean(UringMeterBinder.class));
    }

    @Test
    void meterBinderPublishesLiveRingCounters() {
        runner.withPropertyValues("reactor-uring.loops=1").run(ctx -> {
            MeterRegistry registry = new SimpleMeterRegistry();
            ctx.getBean(UringMeterBinder.class).bindTo(registry);
            UringLoop loop = ctx.getBean(UringLoopGroup.class).loops().get(0);
            FunctionCounter submitted = registry.get("reactor.uring.submitted").tag("loop", loop.name()).functionCounter();
            double before = submitted.count();

            FunctionCounter completed = registry.get("reactor.uring.completed").functionCounter();

            loop.submit(Op.nop()).block(T);
            loop.submit(Op.nop()).block(T);

            // The loop publishes its counters after the iteration that delivered the completions, which
            // may still be running when block() returns (failed once in a clean-clone run).
            TestSupport.awaitOnLoop(loop, "both NOPs counted",
                    () -> submitted.count() >= before + 2 && completed.count() >= 2);
            assertThat(submitted.count()).isGreaterThanOrEqualTo(before + 2);
            assertThat(completed.count()).isGreaterThanOrEqualTo(2);
            assertThat(registry.get("reactor.uring.inflight.max").gauge().value())
                    .isEqualTo(loop.metrics().maxInFlight());
            assertThat(registry.get("reactor.uring.cq.overflows").functionCounter().count()).isZero();
        });
    }

    @Test
    void resourceRouterOnlyInReactiveWebAppsWithALocation() {
        write(dir.resolve("a.txt"), "auto".getBytes(StandardCharsets.UTF_8));
        new ReactiveWebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(UringAutoConfiguration.class))
                .withPropertyValues("reactor-uring.loops=1", "reactor-uring.resources.location=" + dir,
                        "reactor-uring.resources.path-pattern=/files/**")
                .run(ctx -> {
                    assertThat(ctx).hasSingleBean(RouterFunction.class);
                    @SuppressWarnings("unchecked")
                    RouterFunction<ServerResponse> router = ctx.getBean(RouterFunction.class);
                    WebTestClient.bindToRouterFunction(router).build().get().uri("/files/a.txt").exchange()
                            .expectStatus().isOk().expectBody(String.class).isEqualTo("auto");
                });
        new ReactiveWebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(UringAutoConfiguration.class))
                .withPropertyValues("reactor-uring.loops=1")
                .run(ctx -> assertThat(ctx).doesNotHaveBean(RouterFunction.class));
        runner.withPropertyValues("reactor-uring.loops=1", "reactor-uring.resources.location=" + dir)
                .run(ctx -> assertThat(ctx).doesNotHaveBean(RouterFunction.class));
    }
}
