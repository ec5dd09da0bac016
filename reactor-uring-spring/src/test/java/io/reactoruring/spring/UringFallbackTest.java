package io.reactoruring.spring;

import static io.reactoruring.spring.TestSupport.T;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Runs only in the surefire execution with {@code -Dreactoruring.disabled=true} (see the pom): the same
 * routes answer the same way without io_uring, and the auto-configuration still starts.
 */
class UringFallbackTest {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void files() throws Exception {
        assertThat(Uring.isAvailable()).as("this class runs with -Dreactoruring.disabled=true").isFalse();
        UringResourcesHttpSemanticsTest.prepare(tmp);
    }

    static UringResources resources() {
        return UringResourcesHttpSemanticsTest.resources(tmp, null);
    }

    @Test
    void sameResponsesWithoutIoUring() {
        WebTestClient c = UringResourcesHttpSemanticsTest.client(resources().withPrecompressed(List.of("br", "gzip")));
        UringResourcesHttpSemanticsTest.check(c);
        UringResourcesHttpSemanticsTest.methods(c);
        UringResourcesHttpSemanticsTest.redirects(c);
        UringResourcesHttpSemanticsTest.star(c);
        UringResourcesHttpSemanticsTest.precompressed(c);
        UringResourcesHttpSemanticsTest.locations(c);
    }

    @Test
    void overReactorNettyBothBodyPaths() {
        for (UringResources.ZeroCopy z : UringResources.ZeroCopy.values()) {
            RouterFunction<ServerResponse> router = resources().withZeroCopy(z).router("/s/**");
            DisposableServer server = HttpServer.create().host("127.0.0.1").port(0)
                    .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(router))).bindNow();
            try {
                bodies(server);
            } finally {
                server.disposeNow();
            }
        }
    }

    /** The {@code WebHandler} path (Boot's static resources) without io_uring: same answers, both body paths. */
    @Test
    void handlerMappingWithoutIoUring() {
        UringResourcesHttpSemanticsTest.throughMapping(resources());
        for (UringResources.ZeroCopy z : UringResources.ZeroCopy.values()) {
            try (WebFluxApps.App app = WebFluxApps.start(resources().withZeroCopy(z).handlerMapping("/s/**"))) {
                DisposableServer server = app.netty();
                try {
                    bodies(server);
                } finally {
                    server.disposeNow();
                }
            }
        }
    }

    private static void bodies(DisposableServer server) {
        byte[] plain = UringResourcesHttpSemanticsTest.PLAIN;
        WebTestClient c = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + server.port())
                .responseTimeout(T).build();
        c.get().uri("/s/app.css").exchange().expectStatus().isOk().expectBody(byte[].class).isEqualTo(plain);
        c.get().uri("/s/app.css").header("Range", "bytes=1-3").exchange().expectStatus().isEqualTo(206)
                .expectBody(byte[].class).isEqualTo(java.util.Arrays.copyOfRange(plain, 1, 4));
        byte[] multi = c.get().uri("/s/app.css").header("Range", "bytes=0-1,5-6").exchange()
                .expectStatus().isEqualTo(206).expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(new String(multi)).contains("Content-Range: bytes 0-1/" + plain.length + "\r\n\r\nbo")
                .contains("Content-Range: bytes 5-6/" + plain.length + "\r\n\r\n{ ");
    }

    /** Here the 304s are answered synchronously: the request after a pipelined 304 was the one never read. */
    @Test
    void everyRequestOnAKeptAliveConnectionIsAnsweredWithoutIoUring() throws Exception {
        byte[] data = TestSupport.random(70_000, 36);
        TestSupport.write(tmp.resolve("keep-alive/site/data.bin"), data);
        KeepAliveFramingTest.exercise(tmp.resolve("keep-alive"), null, KeepAliveReads::rearm, data);
    }

    @Test
    void uploadsAreWrittenThroughSpringWithoutIoUring() throws Exception {
        byte[] content = TestSupport.random(40 * 1000 + 17, 9);
        java.util.concurrent.atomic.AtomicInteger live = new java.util.concurrent.atomic.AtomicInteger();
        Path file = tmp.resolve("upload-fallback.bin");
        assertThat(UringDataBuffers.write(UringDataBuffersTest.tracked(content, live), (UringLoopGroup) null, file, 3).block(T))
                .isEqualTo(content.length);
        assertThat(java.nio.file.Files.readAllBytes(file)).isEqualTo(content);
        assertThat(live.get()).as("every buffer released").isZero();
    }

    @Test
    void autoConfigurationStartsAndServesWithoutIoUring() {
        new ReactiveWebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(UringAutoConfiguration.class))
                .withPropertyValues("reactor-uring.resources.location=" + tmp.resolve("site"),
                        "reactor-uring.resources.path-pattern=/files/**")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().doesNotHaveBean(UringLoopGroup.class);
                    @SuppressWarnings("unchecked")
                    RouterFunction<ServerResponse> router = ctx.getBean("uringResourcesRouter", RouterFunction.class);
                    WebTestClient.bindToRouterFunction(router).build().get().uri("/files/only-here.txt").exchange()
                            .expectStatus().isOk().expectBody(String.class).isEqualTo("first");
                });
    }
}
