package io.reactoruring.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.UringLoopGroup;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The example app on a real port (Reactor Netty), through the auto-configured io_uring loops. */
@SpringBootTest(classes = SpringFileServer.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"reactor-uring.loops=1", "management.endpoints.web.exposure.include=metrics"})
class SpringFileServerTest {
    @TempDir
    static Path tmp;

    @LocalServerPort
    int port;

    @Autowired
    UringLoopGroup group;

    WebTestClient client;
    byte[] tone;

    @DynamicPropertySource
    static void dirs(DynamicPropertyRegistry registry) {
        registry.add("site.dir", () -> tmp.resolve("site").toString());
        registry.add("site.upload-dir", () -> tmp.resolve("uploads").toString());
    }

    @BeforeEach
    void setUp() throws Exception {
        client = WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(20))
                .build();
        tone = Files.readAllBytes(tmp.resolve("site/tone.wav"));
        Files.writeString(tmp.resolve("secret.txt"), "TOP-SECRET");
    }

    @Test
    void usesTheAutoConfiguredLoops() {
        assertThat(group.loops()).hasSize(1);
        assertThat(group.loops().get(0).name()).startsWith("reactor-uring-spring");
    }

    @Test
    void indexPageHasAnAudioElementForTheTone() {
        client.get().uri("/").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectBody(String.class).consumeWith(r -> assertThat(r.getResponseBody()).contains("<audio").contains("src=\"tone.wav\""));
    }

    @Test
    void getAndHeadOnEveryRoute() {
        for (String path : List.of("/tone.wav", "/uring/tone.wav", "/stock/tone.wav")) {
            client.get().uri(path).exchange()
                    .expectStatus().isOk()
                    .expectHeader().contentType("audio/x-wav") // Spring's MediaTypeFactory, same as stock
                    .expectBody(byte[].class).isEqualTo(tone);
            client.head().uri(path).exchange()
                    .expectStatus().isOk()
                    .expectHeader().contentLength(tone.length)
                    .expectBody().isEmpty();
        }
    }

    @Test
    void rangeGives206() {
        for (String path : List.of("/tone.wav", "/uring/tone.wav")) {
            client.get().uri(path).header(HttpHeaders.RANGE, "bytes=44-1043").exchange()
                    .expectStatus().isEqualTo(HttpStatus.PARTIAL_CONTENT)
                    .expectHeader().valueEquals(HttpHeaders.CONTENT_RANGE, "bytes 44-1043/" + tone.length)
                    .expectBody(byte[].class).isEqualTo(Arrays.copyOfRange(tone, 44, 1044));
        }
    }

    @Test
    void multipleRangesGiveMultipartByteranges() {
        EntityExchangeResult<byte[]> r = client.get().uri("/tone.wav").header(HttpHeaders.RANGE, "bytes=0-3,8-11")
                .exchange()
                .expectStatus().isEqualTo(HttpStatus.PARTIAL_CONTENT)
                .expectBody(byte[].class).returnResult();
        assertThat(r.getResponseHeaders().getContentType().toString()).startsWith("multipart/byteranges;boundary=");
        String body = new String(r.getResponseBody(), StandardCharsets.ISO_8859_1);
        assertThat(body).contains("Content-Range: bytes 0-3/" + tone.length + "\r\n\r\nRIFF")
                .contains("Content-Range: bytes 8-11/" + tone.length + "\r\n\r\nWAVE");
        assertThat(r.getResponseHeaders().getContentLength()).isEqualTo(r.getResponseBody().length);
    }

    @Test
    void conditionalGetGives304() {
        String etag = client.get().uri("/tone.wav").exchange().expectStatus().isOk()
                .returnResult(byte[].class).getResponseHeaders().getETag();
        client.get().uri("/tone.wav").header(HttpHeaders.IF_NONE_MATCH, etag).exchange()
                .expectStatus().isNotModified()
                .expectBody().isEmpty();
    }

    @Test
    void missingFileGives404AndBadRangeGives416() {
        client.get().uri("/missing.mp4").exchange().expectStatus().isNotFound();
        client.get().uri("/tone.wav").header(HttpHeaders.RANGE, "bytes=999999-").exchange()
                .expectStatus().isEqualTo(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                .expectHeader().valueEquals(HttpHeaders.CONTENT_RANGE, "bytes */" + tone.length);
    }

    @Test
    void traversalIsRejected() {
        for (String path : List.of("/../secret.txt", "/%2e%2e/secret.txt", "/uring/..%2f..%2fsecret.txt")) {
            EntityExchangeResult<byte[]> r = client.get().uri(URI.create("http://127.0.0.1:" + port + path)).exchange()
                    .expectBody(byte[].class).returnResult();
            assertThat(r.getStatus().is4xxClientError()).as(path + " -> " + r.getStatus()).isTrue();
            byte[] body = r.getResponseBodyContent();
            assertThat(body == null ? "" : new String(body, StandardCharsets.ISO_8859_1)).doesNotContain("TOP-SECRET");
        }
    }

    @Test
    void uploadIsWrittenThroughIoUring() throws Exception {
        byte[] data = new byte[300_000];
        new java.util.Random(3).nextBytes(data);
        client.post().uri("/upload/clip.bin").bodyValue(data).exchange()
                .expectStatus().isOk()
                .expectBody(String.class).isEqualTo("stored 300000 bytes\n");
        assertThat(Files.readAllBytes(tmp.resolve("uploads/clip.bin"))).isEqualTo(data);
        client.post().uri("/upload/..secret").bodyValue(data).exchange().expectStatus().isBadRequest();
    }

    @Test
    void ringMetricsAreExported() {
        client.get().uri("/tone.wav").exchange().expectStatus().isOk();
        client.get().uri("/actuator/metrics/reactor.uring.submitted").exchange()
                .expectStatus().isOk()
                .expectBody(String.class).consumeWith(r -> assertThat(r.getResponseBody()).contains("\"COUNT\""));
    }
}
