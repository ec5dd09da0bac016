package io.reactoruring.spring;

import static io.reactoruring.spring.TestSupport.T;
import static io.reactoruring.spring.TestSupport.random;
import static io.reactoruring.spring.TestSupport.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoopGroup;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The resource router through three transports: Spring's mock exchange (DefaultDataBufferFactory),
 * Reactor Netty with the io_uring read path forced, and Reactor Netty where plain responses keep
 * Spring's zero-copy (sendfile) path; and the same files through {@link UringResources#handlerMapping}
 * (the {@code WebHandler} path Boot's static resources take) on Reactor Netty, both ways.
 */
class UringResourcesTest {
    private static final byte[] BIG = random(1024 * 1024 + 3, 7);
    private static final byte[] HELLO = "hello, io_uring\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path tmp;
    static Path root;
    static UringLoopGroup group;
    static DisposableServer uringServer;
    static DisposableServer sendfileServer;
    static WebFluxApps.App mappingUringApp;
    static WebFluxApps.App mappingSendfileApp;
    static DisposableServer mappingUringServer;
    static DisposableServer mappingSendfileServer;

    @BeforeAll
    static void start() {
        root = tmp.resolve("site");
        write(root.resolve("hello.txt"), HELLO);
        write(root.resolve("index.html"), "<html>index</html>".getBytes(StandardCharsets.UTF_8));
        write(root.resolve("media/big.bin"), BIG);
        write(root.resolve("empty.txt"), new byte[0]);
        write(tmp.resolve("secret.txt"), "TOP-SECRET".getBytes(StandardCharsets.UTF_8));
        group = UringLoopGroup.create("spring-resources-test", 1, RingOptions.defaults());
        uringServer = netty(resources().withZeroCopy(UringResources.ZeroCopy.NEVER).router("/static/**"));
        sendfileServer = netty(resources().router("/static/**"));
        mappingUringApp = WebFluxApps.start(resources().withZeroCopy(UringResources.ZeroCopy.NEVER).handlerMapping("/static/**"));
        mappingSendfileApp = WebFluxApps.start(resources().handlerMapping("/static/**"));
        mappingUringServer = mappingUringApp.netty();
        mappingSendfileServer = mappingSendfileApp.netty();
    }

    @AfterAll
    static void stop() {
        uringServer.disposeNow();
        sendfileServer.disposeNow();
        mappingUringServer.disposeNow();
        mappingSendfileServer.disposeNow();
        mappingUringApp.close();
        mappingSendfileApp.close();
        group.disposeLater().block(T);
    }

    static UringResources resources() {
        return UringResources.create(root).withLoopGroup(group).withChunkSize(64 * 1024);
    }

    static DisposableServer netty(RouterFunction<ServerResponse> router) {
        return HttpServer.create().host("127.0.0.1").port(0)
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(router)))
                .bindNow();
    }

    static Stream<String> transports() {
        return Stream.of("mock", "netty-uring", "netty-sendfile", "mapping-uring", "mapping-sendfile");
    }

    static String base(String transport) {
        return switch (transport) {
            case "mock" -> "http://localhost";
            case "netty-uring" -> "http://127.0.0.1:" + uringServer.port();
            case "mapping-uring" -> "http://127.0.0.1:" + mappingUringServer.port();
            case "mapping-sendfile" -> "http://127.0.0.1:" + mappingSendfileServer.port();
            default -> "http://127.0.0.1:" + sendfileServer.port();
        };
    }

    static WebTestClient client(String transport) {
        WebTestClient.Builder b = transport.equals("mock")
                ? WebTestClient.bindToRouterFunction(resources().router("/static/**")).configureClient()
                : WebTestClient.bindToServer().baseUrl(base(transport));
        return b.responseTimeout(T).codecs(c -> c.defaultCodecs().maxInMemorySize(4 * 1024 * 1024)).build();
    }

    static URI uri(String transport, String path) {
        return URI.create(base(transport) + path);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void getServesTheFileWithValidators(String transport) {
        EntityExchangeResult<byte[]> r = client(transport).get().uri("/static/hello.txt").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_PLAIN)
                .expectHeader().contentLength(HELLO.length)
                .expectHeader().valueEquals(HttpHeaders.ACCEPT_RANGES, "bytes")
                .expectHeader().exists(HttpHeaders.ETAG)
                .expectHeader().exists(HttpHeaders.LAST_MODIFIED)
                .expectBody(byte[].class).returnResult();
        assertThat(r.getResponseBody()).isEqualTo(HELLO);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void getServesALargeFileIntact(String transport) {
        byte[] body = client(transport).get().uri("/static/media/big.bin").exchange()
                .expectStatus().isOk()
                .expectHeader().contentType(MediaType.APPLICATION_OCTET_STREAM)
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(body).isEqualTo(BIG);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void emptyFile(String transport) {
        client(transport).get().uri("/static/empty.txt").exchange()
                .expectStatus().isOk()
                .expectHeader().contentLength(0)
                .expectBody().isEmpty();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void headHasTheHeadersAndNoBody(String transport) {
        client(transport).head().uri("/static/media/big.bin").exchange()
                .expectStatus().isOk()
                .expectHeader().contentLength(BIG.length)
                .expectHeader().exists(HttpHeaders.ETAG)
                .expectBody().isEmpty();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void directoryServesItsIndexFile(String transport) {
        client(transport).get().uri("/static/").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectBody(String.class).isEqualTo("<html>index</html>");
        client(transport).get().uri("/static/media/").exchange().expectStatus().isNotFound();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void singleRange(String transport) {
        byte[] body = client(transport).get().uri("/static/media/big.bin").header(HttpHeaders.RANGE, "bytes=1000-70999")
                .exchange()
                .expectStatus().isEqualTo(HttpStatus.PARTIAL_CONTENT)
                .expectHeader().valueEquals(HttpHeaders.CONTENT_RANGE, "bytes 1000-70999/" + BIG.length)
                .expectHeader().contentLength(70000)
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(body).isEqualTo(Arrays.copyOfRange(BIG, 1000, 71000));

        byte[] suffix = client(transport).get().uri("/static/hello.txt").header(HttpHeaders.RANGE, "bytes=-6")
                .exchange()
                .expectStatus().isEqualTo(HttpStatus.PARTIAL_CONTENT)
                .expectHeader().valueEquals(HttpHeaders.CONTENT_RANGE,
                        "bytes " + (HELLO.length - 6) + "-" + (HELLO.length - 1) + "/" + HELLO.length)
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(suffix).isEqualTo(Arrays.copyOfRange(HELLO, HELLO.length - 6, HELLO.length));
    }

    @ParameterizedTest
    @MethodSource("transports")
    void multipleRangesAsMultipartByteranges(String transport) {
        EntityExchangeResult<byte[]> r = client(transport).get().uri("/static/media/big.bin")
                .header(HttpHeaders.RANGE, "bytes=0-9,200000-299999,-5").exchange()
                .expectStatus().isEqualTo(HttpStatus.PARTIAL_CONTENT)
                .expectBody(byte[].class).returnResult();
        MediaType type = r.getResponseHeaders().getContentType();
        assertThat(type).isNotNull();
        assertThat(type.getType() + "/" + type.getSubtype()).isEqualTo("multipart/byteranges");
        assertThat(r.getResponseHeaders().getContentLength()).isEqualTo(r.getResponseBody().length);

        List<Part> parts = Part.parse(r.getResponseBody(), type.getParameter("boundary"));
        long n = BIG.length;
        assertThat(parts).hasSize(3);
        assertThat(parts.get(0).contentRange).isEqualTo("bytes 0-9/" + n);
        assertThat(parts.get(0).data).isEqualTo(Arrays.copyOfRange(BIG, 0, 10));
        assertThat(parts.get(1).contentRange).isEqualTo("bytes 200000-299999/" + n);
        assertThat(parts.get(1).data).isEqualTo(Arrays.copyOfRange(BIG, 200000, 300000));
        assertThat(parts.get(2).contentRange).isEqualTo("bytes " + (n - 5) + "-" + (n - 1) + "/" + n);
        assertThat(parts.get(2).data).isEqualTo(Arrays.copyOfRange(BIG, BIG.length - 5, BIG.length));
        assertThat(parts).allSatisfy(p -> assertThat(p.contentType).isEqualTo("application/octet-stream"));
    }

    /** One part of a multipart/byteranges body. */
    record Part(String contentType, String contentRange, byte[] data) {
        static List<Part> parse(byte[] body, String boundary) {
            String s = new String(body, StandardCharsets.ISO_8859_1);
            String delimiter = "\r\n--" + boundary;
            assertThat(s).startsWith(delimiter + "\r\n").endsWith(delimiter + "--\r\n");
            String[] chunks = s.substring(0, s.length() - (delimiter + "--\r\n").length()).split(java.util.regex.Pattern.quote(delimiter));
            return Arrays.stream(chunks).skip(1).map(c -> {
                int end = c.indexOf("\r\n\r\n");
                String type = null;
                String range = null;
                for (String line : c.substring(2, end).split("\r\n")) {
                    if (line.startsWith("Content-Type: ")) {
                        type = line.substring(14);
                    } else if (line.startsWith("Content-Range: ")) {
                        range = line.substring(15);
                    }
                }
                return new Part(type, range, c.substring(end + 4).getBytes(StandardCharsets.ISO_8859_1));
            }).toList();
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void conditionalGetsAnswer304(String transport) {
        WebTestClient client = client(transport);
        HttpHeaders first = client.get().uri("/static/hello.txt").exchange().expectStatus().isOk()
                .returnResult(byte[].class).getResponseHeaders();
        String etag = first.getETag();
        assertThat(etag).startsWith("\"");

        client.get().uri("/static/hello.txt").header(HttpHeaders.IF_NONE_MATCH, etag).exchange()
                .expectStatus().isNotModified()
                .expectHeader().valueEquals(HttpHeaders.ETAG, etag)
                .expectBody().isEmpty();
        client.get().uri("/static/hello.txt").header(HttpHeaders.IF_MODIFIED_SINCE, first.getFirst(HttpHeaders.LAST_MODIFIED))
                .exchange()
                .expectStatus().isNotModified();
        client.get().uri("/static/hello.txt").header(HttpHeaders.IF_NONE_MATCH, "\"other\"").exchange()
                .expectStatus().isOk();
        client.get().uri("/static/hello.txt").header(HttpHeaders.IF_MODIFIED_SINCE, "Thu, 01 Jan 1970 00:00:00 GMT")
                .exchange()
                .expectStatus().isOk();
        client.get().uri("/static/hello.txt").header(HttpHeaders.IF_MATCH, "\"other\"").exchange()
                .expectStatus().isEqualTo(HttpStatus.PRECONDITION_FAILED);
        client.get().uri("/static/hello.txt").header(HttpHeaders.IF_MATCH, "\"x\", " + etag).exchange()
                .expectStatus().isOk();
        client.get().uri("/static/hello.txt").header(HttpHeaders.IF_UNMODIFIED_SINCE, "Thu, 01 Jan 1970 00:00:00 GMT")
                .exchange()
                .expectStatus().isEqualTo(HttpStatus.PRECONDITION_FAILED);
        client.get().uri("/static/hello.txt").header(HttpHeaders.IF_UNMODIFIED_SINCE, first.getFirst(HttpHeaders.LAST_MODIFIED))
                .exchange()
                .expectStatus().isOk();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void ifRangeMismatchServesTheWholeFile(String transport) {
        client(transport).get().uri("/static/hello.txt")
                .header(HttpHeaders.RANGE, "bytes=0-1").header(HttpHeaders.IF_RANGE, "\"stale\"").exchange()
                .expectStatus().isOk()
                .expectBody(byte[].class).isEqualTo(HELLO);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void missingFilesAre404(String transport) {
        client(transport).get().uri("/static/nope.txt").exchange().expectStatus().isNotFound();
        client(transport).get().uri("/static/hello.txt/below").exchange().expectStatus().isNotFound();
        client(transport).head().uri("/static/nope.txt").exchange().expectStatus().isNotFound();
    }

    @ParameterizedTest
    @MethodSource("transports")
    void unsatisfiableOrMalformedRangesAre416(String transport) {
        for (String range : List.of("bytes=" + BIG.length + "-", "bytes=abc", "bytes=5-1",
                "bytes=0-,0-,0-" /* adds up to more than the file */)) {
            client(transport).get().uri("/static/media/big.bin").header(HttpHeaders.RANGE, range).exchange()
                    .expectStatus().isEqualTo(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    .expectHeader().valueEquals(HttpHeaders.CONTENT_RANGE, "bytes */" + BIG.length);
        }
        client(transport).get().uri("/static/empty.txt").header(HttpHeaders.RANGE, "bytes=0-0").exchange()
                .expectStatus().isEqualTo(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void traversalNeverReachesFilesOutsideTheRoot(String transport) {
        for (String path : List.of("/static/../secret.txt", "/static/%2e%2e/secret.txt", "/static/..%2fsecret.txt",
                "/static/%2e%2e%2fsecret.txt", "/static/media/..%2f..%2fsecret.txt", "/static/..%5csecret.txt")) {
            EntityExchangeResult<byte[]> r = client(transport).get().uri(uri(transport, path)).exchange()
                    .expectBody(byte[].class).returnResult();
            assertThat(r.getStatus().is4xxClientError()).as(path + " -> " + r.getStatus()).isTrue();
            assertThat(new String(r.getResponseBodyContent() == null ? new byte[0] : r.getResponseBodyContent(),
                    StandardCharsets.ISO_8859_1)).doesNotContain("TOP-SECRET");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/../secret.txt", "/a/../../secret.txt", "/..", "/x\\..\\secret.txt", "/a\0b"})
    void unsafeNamesDoNotResolve(String name) {
        UringResourceHandler handler = (UringResourceHandler) resources().handler();
        assertThat(handler.resolve(name)).isNull();
    }

    @Test
    void safeNamesResolveUnderTheRoot() {
        UringResourceHandler handler = (UringResourceHandler) resources().handler();
        assertThat(handler.resolve("/media/big.bin")).isEqualTo(root.resolve("media/big.bin"));
        assertThat(handler.resolve("//hello.txt")).isEqualTo(root.resolve("hello.txt"));
        assertThat(handler.resolve("/")).isEqualTo(root);
        assertThat(Files.exists(handler.resolve("/hello.txt"))).isTrue();
    }

    @Test
    void lastModifiedIsWrittenAsSpringWritesIt() {
        UringResourceHandler handler = (UringResourceHandler) resources().handler();
        for (java.time.Instant t : List.of(java.time.Instant.EPOCH, java.time.Instant.ofEpochSecond(1_700_000_000, 999_999_999),
                java.time.Instant.ofEpochSecond(4_102_444_799L))) {
            HttpHeaders spring = new HttpHeaders();
            spring.setLastModified(t);
            // Twice: formatted, then from the cache.
            assertThat(handler.httpDate(t)).isEqualTo(spring.getFirst(HttpHeaders.LAST_MODIFIED));
            assertThat(handler.httpDate(t)).isEqualTo(spring.getFirst(HttpHeaders.LAST_MODIFIED));
        }
    }

    @Test
    void nameChecksRejectExactlyTheDotDotSegments() {
        assertThat(UringResourceHandler.safeRelative("/a/b.txt")).isEqualTo("a/b.txt");
        assertThat(UringResourceHandler.safeRelative("///a/")).isEqualTo("a/");
        assertThat(UringResourceHandler.safeRelative("")).isEmpty();
        assertThat(UringResourceHandler.safeRelative("/")).isEmpty();
        // Dots that are not a whole ".." segment are names like any other.
        assertThat(UringResourceHandler.safeRelative("/a/..b/c..")).isEqualTo("a/..b/c..");
        assertThat(UringResourceHandler.safeRelative("/./.../x")).isEqualTo("./.../x");
        for (String unsafe : List.of("..", "/..", "../a", "/a/..", "/a/../b", "a//../b", "/a\\b", "/a\0")) {
            assertThat(UringResourceHandler.safeRelative(unsafe)).as(unsafe).isNull();
        }
    }

    @Test
    void badConfigurationIsRejected() {
        assertThatThrownBy(() -> UringResources.router("/static/*", root)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> resources().withChunkSize(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> resources().withIndexFile("a/b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> UringResources.create((Path) null)).isInstanceOf(NullPointerException.class);
    }
}
