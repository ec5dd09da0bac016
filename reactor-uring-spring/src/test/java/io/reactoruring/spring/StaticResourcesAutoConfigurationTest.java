package io.reactoruring.spring;

import static io.reactoruring.spring.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.config.CorsRegistry;
import org.springframework.web.reactive.config.WebFluxConfigurer;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;
import org.springframework.web.reactive.resource.ResourceWebHandler;
import org.springframework.web.reactive.result.method.annotation.RequestMappingHandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import org.springframework.web.server.WebHandler;
import reactor.core.publisher.Mono;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * A Boot app with every auto-configuration (Boot 4, or 3.5 with -Pboot35) and only
 * {@code spring.web.resources.*} set: files in directories come from io_uring (recognisable by our ETag,
 * which stock Spring does not send), versioned URLs and jar entries from Spring's stock handler.
 */
class StaticResourcesAutoConfigurationTest {
    /** Our ETag: "size-seconds.nanos" in hex. */
    static final String OUR_ETAG = "\"[0-9a-f]+-[0-9a-f]+\\.[0-9a-f]+\"";

    @TempDir
    Path tmp;

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class App {
    }

    ReactiveWebApplicationContextRunner runner() {
        return new ReactiveWebApplicationContextRunner().withUserConfiguration(App.class)
                .withPropertyValues("reactor-uring.loops=1");
    }

    @Test
    void fileAndExplodedClasspathLocationsWithCacheAndPrecompression() throws Exception {
        Path site = tmp.resolve("site");
        write(site.resolve("app.css"), "plain".getBytes(StandardCharsets.UTF_8));
        write(site.resolve("app.css.gz"), "gz".getBytes(StandardCharsets.UTF_8));
        runner().withPropertyValues(
                        "spring.web.resources.static-locations=file:" + site + "/,classpath:/static-test/",
                        "spring.web.resources.cache.period=1h",
                        "spring.web.resources.cache.cachecontrol.cache-public=true",
                        "spring.web.resources.chain.enabled=true",
                        "spring.web.resources.chain.compressed=true",
                        "spring.web.resources.chain.strategy.content.enabled=true",
                        "spring.web.resources.chain.strategy.content.paths=/**")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed().hasBean("uringStaticResourcesMapping");
                    WebTestClient c = WebTestClient.bindToApplicationContext(ctx).build();
                    c.get().uri("/app.css").exchange().expectStatus().isOk()
                            .expectHeader().valueMatches(HttpHeaders.ETAG, OUR_ETAG)
                            .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "max-age=3600, public")
                            .expectBody(String.class).isEqualTo("plain");
                    c.get().uri("/app.css").header(HttpHeaders.ACCEPT_ENCODING, "gzip").exchange().expectStatus().isOk()
                            .expectHeader().valueEquals(HttpHeaders.CONTENT_ENCODING, "gzip")
                            .expectHeader().valueEquals(HttpHeaders.VARY, HttpHeaders.ACCEPT_ENCODING)
                            .expectBody(String.class).isEqualTo("gz");
                    // classpath:/static-test/ is a directory of target/test-classes: io_uring too.
                    c.get().uri("/from-classpath.txt").exchange().expectStatus().isOk()
                            .expectHeader().valueMatches(HttpHeaders.ETAG, OUR_ETAG)
                            .expectBody(String.class).isEqualTo("exploded classpath\n");
                    // A content-versioned name is no file: Spring's VersionResourceResolver answers it.
                    String md5 = org.springframework.util.DigestUtils.md5DigestAsHex("plain".getBytes(StandardCharsets.UTF_8));
                    c.get().uri("/app-" + md5 + ".css").exchange().expectStatus().isOk()
                            .expectBody(String.class).isEqualTo("plain");
                    c.get().uri("/missing.css").exchange().expectStatus().isNotFound();
                });
    }

    /**
     * With and without the jar's directory entry: Boot's own fat jars have them, but jars built by other
     * tools may not, and Spring still resolves files under such a location; so must our ordering.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void jarEntriesAreLeftToStockSpring(boolean directoryEntry) throws Exception {
        Path jar = tmp.resolve("assets.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            if (directoryEntry) {
                out.putNextEntry(new JarEntry("jarstatic/"));
                out.closeEntry();
            }
            out.putNextEntry(new JarEntry("jarstatic/in-jar.txt"));
            out.write("from the jar".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        Path dir = tmp.resolve("dir");
        write(dir.resolve("on-disk.txt"), "from disk".getBytes(StandardCharsets.UTF_8));
        write(dir.resolve("in-jar.txt"), "shadowed".getBytes(StandardCharsets.UTF_8));
        ClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader());
        runner().withClassLoader(loader)
                .withPropertyValues("spring.web.resources.static-locations=classpath:/jarstatic/,file:" + dir + "/")
                .run(ctx -> {
                    WebTestClient c = WebTestClient.bindToApplicationContext(ctx).build();
                    // The jar comes first: its entry wins, served by the stock handler (no ETag of ours).
                    c.get().uri("/in-jar.txt").exchange().expectStatus().isOk()
                            .expectBody(String.class).isEqualTo("from the jar");
                    c.get().uri("/on-disk.txt").exchange().expectStatus().isOk()
                            .expectHeader().valueMatches(HttpHeaders.ETAG, OUR_ETAG)
                            .expectBody(String.class).isEqualTo("from disk");
                });
    }

    /** Records, per request path, the handler Spring's {@code DispatcherHandler} ran (the mapping's attribute). */
    static class HandlerRecorder implements WebFilter {
        final Map<String, Object> handlers = new ConcurrentHashMap<>();
        final Map<String, Object> patterns = new ConcurrentHashMap<>();

        @Override
        public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
            return chain.filter(exchange).doFinally(s -> {
                String path = exchange.getRequest().getPath().value();
                Object handler = exchange.getAttribute(HandlerMapping.BEST_MATCHING_HANDLER_ATTRIBUTE);
                Object pattern = exchange.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
                handlers.put(path, handler == null ? "none" : handler);
                patterns.put(path, pattern == null ? "none" : pattern.toString());
            });
        }
    }

    @RestController
    static class UserController {
        @GetMapping("/controller.css")
        String css() {
            return "from the controller";
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserRoutes {
        @Bean
        RouterFunction<ServerResponse> userRoutes() {
            return RouterFunctions.route(RequestPredicates.GET("/routed.css"), r -> ServerResponse.ok().bodyValue("from the router"));
        }

        @Bean
        HandlerRecorder handlerRecorder() {
            return new HandlerRecorder();
        }
    }

    /**
     * Boot's static resources are served by a {@code WebHandler} from our mapping (no functional endpoint in
     * between), which Spring consults after the application's controllers and router functions and before
     * its own resource mapping: a controller or route for a file's path wins, as with stock Boot; a file we
     * do not have falls through to Boot's {@code ResourceWebHandler}.
     */
    @Test
    void servedByAWebHandlerAfterControllersAndRouterFunctions() {
        Path site = tmp.resolve("site");
        for (String name : List.of("app.css", "controller.css", "routed.css")) {
            write(site.resolve(name), ("file " + name).getBytes(StandardCharsets.UTF_8));
        }
        runner().withUserConfiguration(UserController.class, UserRoutes.class)
                .withPropertyValues("spring.web.resources.static-locations=file:" + site + "/")
                .run(ctx -> {
                    assertThat(ctx).hasNotFailed();
                    HandlerMapping ours = ctx.getBean("uringStaticResourcesMapping", HandlerMapping.class);
                    HandlerMapping boots = ctx.getBean("resourceHandlerMapping", HandlerMapping.class);
                    assertThat(((Ordered) ours).getOrder()).isEqualTo(Ordered.LOWEST_PRECEDENCE - 2)
                            .isLessThan(((Ordered) boots).getOrder())
                            .isGreaterThan(ctx.getBean("routerFunctionMapping", RouterFunctionMapping.class).getOrder())
                            .isGreaterThan(ctx.getBean("requestMappingHandlerMapping", RequestMappingHandlerMapping.class).getOrder());
                    HandlerRecorder recorder = ctx.getBean(HandlerRecorder.class);
                    WebTestClient c = WebTestClient.bindToApplicationContext(ctx).build();

                    c.get().uri("/app.css").exchange().expectStatus().isOk()
                            .expectHeader().valueMatches(HttpHeaders.ETAG, OUR_ETAG)
                            .expectBody(String.class).isEqualTo("file app.css");
                    assertThat(recorder.handlers.get("/app.css"))
                            .isInstanceOf(WebHandler.class).isInstanceOf(ResourceHandlerMapping.FileHandler.class)
                            .isNotInstanceOf(HandlerFunction.class);
                    assertThat(recorder.patterns.get("/app.css")).isEqualTo("/**");

                    c.get().uri("/controller.css").exchange().expectStatus().isOk()
                            .expectBody(String.class).isEqualTo("from the controller");
                    assertThat(recorder.handlers.get("/controller.css")).isInstanceOf(HandlerMethod.class);

                    c.get().uri("/routed.css").exchange().expectStatus().isOk()
                            .expectBody(String.class).isEqualTo("from the router");
                    assertThat(recorder.handlers.get("/routed.css")).isInstanceOf(HandlerFunction.class);

                    c.get().uri("/missing.css").exchange().expectStatus().isNotFound();
                    assertThat(recorder.handlers.get("/missing.css")).isInstanceOf(ResourceWebHandler.class);
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class GlobalCors {
        @Bean
        WebFluxConfigurer cors() {
            return new WebFluxConfigurer() {
                @Override
                public void addCorsMappings(CorsRegistry registry) {
                    registry.addMapping("/**").allowedOrigins("https://allowed.example").allowedMethods("GET");
                }
            };
        }
    }

    /**
     * The application's global CORS mappings apply to the files served here as Spring applies them to its own
     * resource mapping: the same statuses and CORS headers with our mapping (ETag ours) and without it (stock).
     * Absolute URIs: the CORS same-origin check needs the request's host.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void globalCorsAppliesAsToStockResources(boolean ours) {
        Path site = tmp.resolve("site");
        write(site.resolve("font.woff2"), "font".getBytes(StandardCharsets.UTF_8));
        String url = "http://localhost/font.woff2";
        runner().withUserConfiguration(GlobalCors.class)
                .withPropertyValues("spring.web.resources.static-locations=file:" + site + "/",
                        "reactor-uring.static-resources.enabled=" + ours)
                .run(ctx -> {
                    WebTestClient c = WebTestClient.bindToApplicationContext(ctx).build();
                    WebTestClient.ResponseSpec allowed = c.get().uri(url)
                            .header(HttpHeaders.ORIGIN, "https://allowed.example").exchange().expectStatus().isOk()
                            .expectHeader().valueEquals(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, "https://allowed.example");
                    if (ours) {
                        allowed.expectHeader().valueMatches(HttpHeaders.ETAG, OUR_ETAG);
                    } else {
                        allowed.expectHeader().doesNotExist(HttpHeaders.ETAG);
                    }
                    c.get().uri(url).header(HttpHeaders.ORIGIN, "https://other.example").exchange()
                            .expectStatus().isForbidden();
                    c.options().uri(url).header(HttpHeaders.ORIGIN, "https://allowed.example")
                            .header(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD, "GET").exchange().expectStatus().isOk()
                            .expectHeader().valueEquals(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, "https://allowed.example");
                    c.get().uri(url).exchange().expectStatus().isOk()
                            .expectHeader().doesNotExist(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN);
                });
    }

    @Configuration(proxyBeanMethods = false)
    @org.springframework.web.reactive.config.EnableWebFlux
    static class OwnWebFlux {
    }

    @Test
    void backsOffLikeBootWhenTheApplicationConfiguresWebFluxItself() {
        runner().withUserConfiguration(OwnWebFlux.class).run(ctx -> {
            assertThat(ctx).hasNotFailed().doesNotHaveBean("uringStaticResourcesMapping");
            assertThat(ctx.getBeanNamesForType(org.springframework.web.reactive.config.WebFluxConfigurationSupport.class))
                    .as("only the application's WebFlux configuration, not Boot's").hasSize(1);
        });
        runner().run(ctx -> assertThat(ctx).hasNotFailed().hasBean("uringStaticResourcesMapping"));
    }

    @Test
    void optOut() {
        runner().withPropertyValues("reactor-uring.static-resources.enabled=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean("uringStaticResourcesMapping"));
        runner().withPropertyValues("spring.web.resources.add-mappings=false")
                .run(ctx -> assertThat(ctx).doesNotHaveBean("uringStaticResourcesMapping"));
    }
}
