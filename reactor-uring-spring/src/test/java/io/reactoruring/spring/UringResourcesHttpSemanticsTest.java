package io.reactoruring.spring;

import static io.reactoruring.spring.TestSupport.T;
import static io.reactoruring.spring.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoopGroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * What the issue asked beyond bytes and ranges: symbolic links checked by real path, methods other than
 * GET/HEAD, directory redirects, {@code If-None-Match: *}, Cache-Control, precompressed variants and
 * several locations. Run with io_uring here and without it in {@link UringFallbackTest}.
 */
class UringResourcesHttpSemanticsTest {
    static final byte[] PLAIN = "body { color: red }\n".repeat(50).getBytes(StandardCharsets.UTF_8);
    static final byte[] GZ = "pretend-gzip".getBytes(StandardCharsets.UTF_8);
    static final byte[] BR = "pretend-brotli".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path tmp;
    static Path site;
    static Path extra;
    static UringLoopGroup group;

    @BeforeAll
    static void files() throws Exception {
        site = tmp.resolve("site");
        extra = tmp.resolve("extra");
        prepare(tmp);
        group = io.reactoruring.core.Uring.isAvailable()
                ? UringLoopGroup.create("spring-semantics-test", 1, RingOptions.defaults()) : null;
    }

    /** The trees both this test and the fallback test serve. */
    static void prepare(Path tmp) throws Exception {
        Path site = tmp.resolve("site");
        Path extra = tmp.resolve("extra");
        write(site.resolve("app.css"), PLAIN);
        write(site.resolve("app.css.gz"), GZ);
        write(site.resolve("app.css.br"), BR);
        write(site.resolve("docs/index.html"), "<p>docs</p>".getBytes(StandardCharsets.UTF_8));
        write(site.resolve("only-here.txt"), "first".getBytes(StandardCharsets.UTF_8));
        write(extra.resolve("only-here.txt"), "second".getBytes(StandardCharsets.UTF_8));
        write(extra.resolve("extra.txt"), "from extra".getBytes(StandardCharsets.UTF_8));
        write(tmp.resolve("outside/secret.txt"), "TOP-SECRET".getBytes(StandardCharsets.UTF_8));
        write(tmp.resolve("shared/ok.txt"), "shared ok".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(site.resolve("secret-link.txt"), tmp.resolve("outside/secret.txt"));
        Files.createSymbolicLink(site.resolve("outside-dir"), tmp.resolve("outside"));
        Files.createSymbolicLink(site.resolve("shared-dir"), tmp.resolve("shared"));
        Files.createSymbolicLink(site.resolve("inside-link.css"), site.resolve("app.css"));
        // Deeper names (one lstat per component when no link is among them) and links further down.
        write(site.resolve("nested/deeper/page.txt"), "nested page".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(site.resolve("nested/deeper/outside-dir"), tmp.resolve("outside"));
        Files.createSymbolicLink(site.resolve("nested/deeper/secret.txt"), tmp.resolve("outside/secret.txt"));
        Files.createSymbolicLink(site.resolve("nested/inside-dir"), site.resolve("nested/deeper"));
        // Precompressed variants that are links: one leading outside (never served), one inside.
        write(site.resolve("leak.css"), "leak plain".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(site.resolve("leak.css.gz"), tmp.resolve("outside/secret.txt"));
        write(site.resolve("linked.css"), "linked plain".getBytes(StandardCharsets.UTF_8));
        Files.createSymbolicLink(site.resolve("linked.css.gz"), site.resolve("app.css.gz"));
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.disposeLater().block(T);
        }
    }

    static WebTestClient client(UringResources resources) {
        RouterFunction<ServerResponse> upload = RouterFunctions.route(RequestPredicates.POST("/s/upload"),
                r -> ServerResponse.ok().bodyValue("upload route"));
        return WebTestClient.bindToRouterFunction(resources.router("/s/**").and(upload)).configureClient()
                .responseTimeout(T).build();
    }

    UringResources resources() {
        return resources(tmp, group);
    }

    static UringResources resources(Path tmp, UringLoopGroup group) {
        return UringResources.create(List.of(tmp.resolve("site"), tmp.resolve("extra"))).withLoopGroup(group);
    }

    @Test
    void symlinksLeadingOutsideAre404AndInsideAreServed() {
        check(client(resources()));
    }

    static void check(WebTestClient c) {
        c.get().uri("/s/secret-link.txt").exchange().expectStatus().isNotFound();
        c.get().uri("/s/outside-dir/secret.txt").exchange().expectStatus().isNotFound();
        c.get().uri("/s/shared-dir/ok.txt").exchange().expectStatus().isNotFound();
        c.get().uri("/s/inside-link.css").exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.valueOf("text/css"))
                .expectBody(byte[].class).isEqualTo(PLAIN);
        c.get().uri("/s/nested/deeper/page.txt").exchange().expectStatus().isOk()
                .expectBody(String.class).isEqualTo("nested page");
        c.get().uri("/s/nested/deeper/outside-dir/secret.txt").exchange().expectStatus().isNotFound();
        c.get().uri("/s/nested/deeper/secret.txt").exchange().expectStatus().isNotFound();
        c.get().uri("/s/nested/inside-dir/page.txt").exchange().expectStatus().isOk()
                .expectBody(String.class).isEqualTo("nested page");
        c.get().uri("/s/nested/deeper/page.txt/x").exchange().expectStatus().isNotFound();
    }

    @Test
    void allowedLocationsAdmitLinkedDirectories() {
        WebTestClient c = client(resources().withAllowedLocations(List.of(site, tmp.resolve("shared"))));
        c.get().uri("/s/shared-dir/ok.txt").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("shared ok");
        c.get().uri("/s/secret-link.txt").exchange().expectStatus().isNotFound();
    }

    @Test
    void methods() {
        methods(client(resources()));
    }

    static void methods(WebTestClient c) {
        c.options().uri("/s/app.css").exchange().expectStatus().isOk()
                .expectHeader().valueEquals(HttpHeaders.ALLOW, "GET,HEAD,OPTIONS");
        c.put().uri("/s/app.css").bodyValue("x").exchange().expectStatus().isEqualTo(HttpStatus.METHOD_NOT_ALLOWED)
                .expectHeader().valueEquals(HttpHeaders.ALLOW, "GET,HEAD");
        c.delete().uri("/s/app.css").exchange().expectStatus().isEqualTo(HttpStatus.METHOD_NOT_ALLOWED);
        // A missing file is not ours to refuse: other routes for the path still work.
        c.post().uri("/s/upload").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("upload route");
        c.get().uri("/s/nothing.txt").exchange().expectStatus().isNotFound();
    }

    @Test
    void directoryWithoutSlashIsRedirected() {
        redirects(client(resources()));
    }

    static void redirects(WebTestClient c) {
        c.get().uri("/s/docs?x=1").exchange().expectStatus().isEqualTo(HttpStatus.MOVED_PERMANENTLY)
                .expectHeader().valueEquals(HttpHeaders.LOCATION, "/s/docs/?x=1");
        c.head().uri("/s/docs").exchange().expectStatus().isEqualTo(HttpStatus.MOVED_PERMANENTLY);
        c.get().uri("/s/docs/").exchange().expectStatus().isOk().expectBody(String.class).isEqualTo("<p>docs</p>");
    }

    @Test
    void ifNoneMatchStarIs304ForExistingFiles() {
        star(client(resources()));
    }

    static void star(WebTestClient c) {
        c.get().uri("/s/app.css").header(HttpHeaders.IF_NONE_MATCH, "*").exchange().expectStatus().isNotModified()
                .expectHeader().exists(HttpHeaders.ETAG).expectBody().isEmpty();
        c.head().uri("/s/app.css").header(HttpHeaders.IF_NONE_MATCH, "*").exchange().expectStatus().isNotModified();
        c.get().uri("/s/missing.css").header(HttpHeaders.IF_NONE_MATCH, "*").exchange().expectStatus().isNotFound();
    }

    @Test
    void cacheControlAndLastModifiedSettings() {
        WebTestClient c = client(resources().withCacheControl(CacheControl.maxAge(Duration.ofHours(1)).cachePublic())
                .withLastModified(false));
        String etag = c.get().uri("/s/app.css").exchange().expectStatus().isOk()
                .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "max-age=3600, public")
                .expectHeader().doesNotExist(HttpHeaders.LAST_MODIFIED)
                .returnResult(byte[].class).getResponseHeaders().getETag();
        c.get().uri("/s/app.css").header(HttpHeaders.IF_NONE_MATCH, etag).exchange().expectStatus().isNotModified()
                .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "max-age=3600, public");
        c.get().uri("/s/app.css").header(HttpHeaders.RANGE, "bytes=0-9").exchange()
                .expectStatus().isEqualTo(HttpStatus.PARTIAL_CONTENT)
                .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "max-age=3600, public");
        client(resources()).get().uri("/s/app.css").exchange().expectHeader().doesNotExist(HttpHeaders.CACHE_CONTROL)
                .expectHeader().exists(HttpHeaders.LAST_MODIFIED);
    }

    @Test
    void precompressedVariants() {
        precompressed(client(resources().withPrecompressed(List.of("br", "gzip"))));
        client(resources()).get().uri("/s/app.css").header(HttpHeaders.ACCEPT_ENCODING, "gzip").exchange()
                .expectHeader().doesNotExist(HttpHeaders.CONTENT_ENCODING).expectBody(byte[].class).isEqualTo(PLAIN);
    }

    static void precompressed(WebTestClient c) {
        c.get().uri("/s/app.css").header(HttpHeaders.ACCEPT_ENCODING, "gzip, deflate, br").exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals(HttpHeaders.CONTENT_ENCODING, "br")
                .expectHeader().valueEquals(HttpHeaders.VARY, HttpHeaders.ACCEPT_ENCODING)
                .expectHeader().contentTypeCompatibleWith(MediaType.valueOf("text/css"))
                .expectHeader().contentLength(BR.length)
                .expectBody(byte[].class).isEqualTo(BR);
        String gzEtag = c.get().uri("/s/app.css").header(HttpHeaders.ACCEPT_ENCODING, "gzip").exchange()
                .expectHeader().valueEquals(HttpHeaders.CONTENT_ENCODING, "gzip")
                .expectBody(byte[].class).isEqualTo(GZ).returnResult().getResponseHeaders().getETag();
        String plainEtag = c.get().uri("/s/app.css").exchange()
                .expectHeader().doesNotExist(HttpHeaders.CONTENT_ENCODING)
                .expectBody(byte[].class).isEqualTo(PLAIN).returnResult().getResponseHeaders().getETag();
        assertThat(gzEtag).isNotEqualTo(plainEtag);
        c.get().uri("/s/only-here.txt").header(HttpHeaders.ACCEPT_ENCODING, "gzip").exchange()
                .expectHeader().doesNotExist(HttpHeaders.CONTENT_ENCODING).expectBody(String.class).isEqualTo("first");
        // A variant linked outside the directory is not served: the plain file is.
        c.get().uri("/s/leak.css").header(HttpHeaders.ACCEPT_ENCODING, "gzip").exchange().expectStatus().isOk()
                .expectHeader().doesNotExist(HttpHeaders.CONTENT_ENCODING).expectBody(String.class).isEqualTo("leak plain");
        c.get().uri("/s/linked.css").header(HttpHeaders.ACCEPT_ENCODING, "gzip").exchange().expectStatus().isOk()
                .expectHeader().valueEquals(HttpHeaders.CONTENT_ENCODING, "gzip").expectBody(byte[].class).isEqualTo(GZ);
    }

    /**
     * The same checks through {@link UringResources#handlerMapping} (the {@code WebHandler} path of Boot's
     * static resources) in a WebFlux application with a router function for an upload endpoint.
     */
    @Test
    void sameSemanticsThroughTheHandlerMapping() {
        throughMapping(resources());
    }

    static void throughMapping(UringResources resources) {
        RouterFunction<ServerResponse> upload = RouterFunctions.route(RequestPredicates.POST("/s/upload"),
                r -> ServerResponse.ok().bodyValue("upload route"));
        try (WebFluxApps.App app = WebFluxApps.start(resources.handlerMapping("/s/**"), upload)) {
            WebTestClient c = app.client();
            check(c);
            methods(c);
            redirects(c);
            star(c);
            locations(c);
        }
        try (WebFluxApps.App app = WebFluxApps.start(resources.withPrecompressed(List.of("br", "gzip"))
                .withCacheControl(CacheControl.maxAge(Duration.ofHours(1))).handlerMapping("/s/**"))) {
            precompressed(app.client());
            app.client().get().uri("/s/app.css").exchange().expectStatus().isOk()
                    .expectHeader().valueEquals(HttpHeaders.CACHE_CONTROL, "max-age=3600");
        }
    }

    @Test
    void severalLocationsFirstWins() {
        locations(client(resources()));
    }

    static void locations(WebTestClient c) {
        c.get().uri("/s/only-here.txt").exchange().expectBody(String.class).isEqualTo("first");
        c.get().uri("/s/extra.txt").exchange().expectBody(String.class).isEqualTo("from extra");
    }
}
