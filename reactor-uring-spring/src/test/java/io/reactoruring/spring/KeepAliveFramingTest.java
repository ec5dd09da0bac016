package io.reactoruring.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Many requests over one kept-alive connection, raw, with exact framing checks: full GETs, 304s for
 * If-None-Match and If-Modified-Since, HEAD, single and multipart ranges, 404, and pipelined pairs in
 * which the first answer is asynchronous (file reads) and the second synchronous. The latter is what
 * leaves Reactor Netty 1.2.18 and 1.3.6-1.3.7 without a read on the connection (see
 * {@link KeepAliveReads}): the next request was never read. Run with io_uring here and without it in
 * {@link UringFallbackTest} (there the 304s themselves are answered synchronously).
 */
class KeepAliveFramingTest {
    static final int ROUNDS = 60;

    @TempDir
    static Path tmp;
    static byte[] data;
    static @Nullable UringLoopGroup group;

    @BeforeAll
    static void files() {
        data = TestSupport.random(70_000, 35);
        TestSupport.write(tmp.resolve("site/data.bin"), data);
        group = Uring.isAvailable() ? UringLoopGroup.create("keep-alive-test", 1, RingOptions.defaults()) : null;
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.disposeLater().block(TestSupport.T);
        }
    }

    @Test
    void everyRequestOnAKeptAliveConnectionIsAnswered() throws Exception {
        exercise(tmp, group, KeepAliveReads::rearm, data);
    }

    /**
     * Spring Boot's own Reactor Netty server (Boot 3.5 or 4, whichever the build uses) gets the workaround
     * from the auto-configuration, unless {@code reactor-uring.keep-alive-reads=false}.
     */
    @Test
    void bootServerGetsTheWorkaround() throws Exception {
        try (ConfigurableApplicationContext ctx = boot()) {
            assertThat(serverCustomizers(ctx)).as("the Netty server factory's customizers").contains("KeepAliveReads::rearm");
            rounds(Integer.parseInt(ctx.getEnvironment().getProperty("local.server.port", "0")), data);
        }
        try (ConfigurableApplicationContext ctx = boot("--reactor-uring.keep-alive-reads=false")) {
            assertThat(serverCustomizers(ctx)).as("the Netty server factory's customizers").isNotEmpty()
                    .doesNotContain("KeepAliveReads::rearm");
        }
    }

    /**
     * Boot's static resources ({@code spring.web.resources.*}, under {@code /s/**} here) are answered by the
     * auto-configuration's {@code WebHandler}s, whose 304s are synchronous too: the same rounds on Boot's
     * server, with {@code /u/**} and {@code /sync} from router functions.
     */
    @Test
    void bootStaticResourcesOnAKeptAliveConnection() throws Exception {
        try (ConfigurableApplicationContext ctx = boot(StaticApp.class,
                "--spring.web.resources.static-locations=file:" + tmp.resolve("site") + "/",
                "--spring.webflux.static-path-pattern=/s/**")) {
            assertThat(ctx.getBean("uringStaticResourcesMapping")).isInstanceOf(ResourceHandlerMapping.class);
            rounds(Integer.parseInt(ctx.getEnvironment().getProperty("local.server.port", "0")), data);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class StaticApp {
        @Bean
        RouterFunction<ServerResponse> keepAliveRoutes() {
            return UringResources.create(tmp.resolve("site")).withLoopGroup(group).withZeroCopy(UringResources.ZeroCopy.NEVER)
                    .router("/u/**")
                    .and(RouterFunctions.route(RequestPredicates.GET("/sync"), r -> ServerResponse.noContent().build()));
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {
        @Bean
        RouterFunction<ServerResponse> keepAliveRoutes() {
            return routes(tmp.resolve("site"), group);
        }
    }

    private static ConfigurableApplicationContext boot(String... args) {
        return boot(App.class, args);
    }

    private static ConfigurableApplicationContext boot(Class<?> app, String... args) {
        List<String> all = new ArrayList<>(List.of("--server.port=0", "--server.address=127.0.0.1", "--reactor-uring.loops=1",
                "--spring.main.banner-mode=off", "--spring.main.web-application-type=reactive"));
        all.addAll(List.of(args));
        return new SpringApplication(app).run(all.toArray(String[]::new));
    }

    /** The toString of each customizer of the context's NettyReactiveWebServerFactory (its package depends on Boot). */
    private static List<String> serverCustomizers(ConfigurableApplicationContext ctx) throws Exception {
        for (String name : ctx.getBeanDefinitionNames()) {
            Object bean = ctx.getBean(name);
            if (bean.getClass().getSimpleName().equals("NettyReactiveWebServerFactory")) {
                Collection<?> customizers = (Collection<?>) bean.getClass().getMethod("getServerCustomizers").invoke(bean);
                return customizers.stream().map(String::valueOf).toList();
            }
        }
        throw new AssertionError("no NettyReactiveWebServerFactory bean");
    }

    /** {@link #rounds} against {@link #routes} for {@code tmp/site} on a Reactor Netty server that {@code customizer} adapts. */
    static void exercise(Path tmp, @Nullable UringLoopGroup group, UnaryOperator<HttpServer> customizer, byte[] data)
            throws Exception {
        DisposableServer server = customizer.apply(HttpServer.create().host("127.0.0.1").port(0))
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(routes(tmp.resolve("site"), group))))
                .bindNow();
        try {
            rounds(server.port(), data);
        } finally {
            server.disposeNow();
        }
    }

    /** {@code site} under {@code /s/**} (zero-copy where it applies) and {@code /u/**}, and {@code /sync}. */
    static RouterFunction<ServerResponse> routes(Path site, @Nullable UringLoopGroup group) {
        UringResources files = UringResources.create(site).withLoopGroup(group);
        return files.router("/s/**")
                .and(files.withZeroCopy(UringResources.ZeroCopy.NEVER).router("/u/**"))
                .and(RouterFunctions.route(RequestPredicates.GET("/sync"), r -> ServerResponse.noContent().build()));
    }

    /** {@link #ROUNDS} rounds of requests over one connection to {@link #routes} on {@code port}. */
    static void rounds(int port, byte[] data) throws Exception {
        int answered = 0;
        try (RawHttp c = new RawHttp(port)) {
            c.send(RawHttp.request("GET", "/s/data.bin"));
            RawHttp.Response first = c.read(false);
            answered++;
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).isEqualTo(data);
            String etag = first.header("ETag");
            String lastModified = first.header("Last-Modified");
            assertThat(etag).isNotNull();
            assertThat(lastModified).isNotNull();
            for (int round = 0; round < ROUNDS; round++) {
                String p = round % 2 == 0 ? "/s/data.bin" : "/u/data.bin";
                // Pipelined: an asynchronous answer (file reads) then a 304 (synchronous without io_uring).
                c.send(RawHttp.request("GET", p), RawHttp.request("GET", p, "If-None-Match", etag));
                RawHttp.Response full = c.read(false);
                assertThat(full.status()).as("round %d full", round).isEqualTo(200);
                assertThat(full.body()).as("round %d full", round).isEqualTo(data);
                assertThat(full.header("Content-Length")).isEqualTo(String.valueOf(data.length));
                RawHttp.Response notModified = c.read(false);
                assertThat(notModified.status()).as("round %d If-None-Match:%n%s", round, notModified.head()).isEqualTo(304);
                assertThat(notModified.header("ETag")).isEqualTo(etag);
                answered += 2;
                // The next request on the connection: the one that went unanswered.
                c.send(RawHttp.request("GET", p, "If-Modified-Since", lastModified));
                assertThat(c.read(false).status()).as("round %d If-Modified-Since after %d answers", round, answered)
                        .isEqualTo(304);
                answered++;
                // Pipelined: an asynchronous range, then a synchronous answer from another route.
                c.send(RawHttp.request("GET", p, "Range", "bytes=1000-50999"), RawHttp.request("GET", "/sync"));
                RawHttp.Response range = c.read(false);
                assertThat(range.status()).as("round %d range", round).isEqualTo(206);
                assertThat(range.header("Content-Range")).isEqualTo("bytes 1000-50999/" + data.length);
                assertThat(range.body()).isEqualTo(Arrays.copyOfRange(data, 1000, 51000));
                assertThat(c.read(false).status()).as("round %d /sync", round).isEqualTo(204);
                answered += 2;
                c.send(RawHttp.request("HEAD", p));
                RawHttp.Response head = c.read(true);
                assertThat(head.status()).as("round %d HEAD after %d answers", round, answered).isEqualTo(200);
                assertThat(head.header("Content-Length")).isEqualTo(String.valueOf(data.length));
                answered++;
                c.send(RawHttp.request("GET", p, "Range", "bytes=0-9,60000-60009"));
                RawHttp.Response multi = c.read(false);
                assertThat(multi.status()).as("round %d multipart", round).isEqualTo(206);
                assertThat(new String(multi.body(), StandardCharsets.ISO_8859_1))
                        .contains("Content-Range: bytes 0-9/" + data.length, "Content-Range: bytes 60000-60009/" + data.length);
                answered++;
                c.send(RawHttp.request("GET", p.replace("data", "missing")), RawHttp.request("GET", "/sync"));
                assertThat(c.read(false).status()).as("round %d 404", round).isEqualTo(404);
                assertThat(c.read(false).status()).as("round %d /sync after 404", round).isEqualTo(204);
                answered += 2;
            }
            assertThat(answered).isEqualTo(1 + ROUNDS * 9);
        }
    }
}
