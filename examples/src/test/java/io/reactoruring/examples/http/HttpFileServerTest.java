package io.reactoruring.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP file server over real loopback sockets, with the JDK's HttpClient and a raw socket client. */
class HttpFileServerTest {
    private static final Duration T = Duration.ofSeconds(10);
    static UringLoopGroup group;

    @TempDir
    Path tmp;
    private Path root;
    private byte[] big;    // sent with sendFile after the head (larger than FileResponder.MERGE_LIMIT)
    private byte[] small;  // sent in one buffer with the head
    private UringServer server;

    @BeforeAll
    static void setUpGroup() {
        group = UringLoopGroup.create("http-test", 2, RingOptions.defaults());
    }

    @AfterAll
    static void tearDownGroup() {
        group.disposeLater().block(T);
    }

    @BeforeEach
    void start() throws Exception {
        root = Files.createDirectory(tmp.resolve("www"));
        Random random = new Random(7);
        big = new byte[300_000 + 17];
        random.nextBytes(big);
        small = new byte[1000];
        random.nextBytes(small);
        Files.write(root.resolve("big.bin"), big);
        Files.write(root.resolve("small.txt"), small);
        Files.write(root.resolve("empty.txt"), new byte[0]);
        Files.createDirectory(root.resolve("sub"));
        Files.writeString(root.resolve("sub").resolve("page.html"), "<p>hi</p>");
        Files.writeString(root.resolve("a b.txt"), "spaced");
        Files.writeString(tmp.resolve("secret.txt"), "TOP SECRET");
        server = HttpFileServer.start(root, UringTcpServer.create().host("127.0.0.1").port(0).group(group));
    }

    /** Every connection closed, then every pooled buffer (receive, file chunks, sends) back and every served file closed. */
    @AfterEach
    void stopAndCheckBuffersAndFiles() {
        server.disposeNow(T);
        for (UringLoop loop : group.loops()) {
            assertThat(LoopAwait.awaitOnLoop(loop, () -> loop.bufferPool().outstanding() == 0))
                    .as("outstanding buffers on " + loop.name() + ": " + loop.bufferPool().outstanding()).isTrue();
            // Files are closed with IORING_OP_CLOSE on the loop once their response is written.
            assertThat(LoopAwait.awaitOnLoop(loop, () -> openFilesUnder(root).isEmpty()))
                    .as("files still open: " + openFilesUnder(root)).isTrue();
        }
    }

    /** This process's descriptors that point at files under {@code dir} (from /proc/self/fd). */
    private static List<Path> openFilesUnder(Path dir) {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd);
                } catch (IOException closedMeanwhile) {
                    return null;
                }
            }).filter(target -> target != null && target.startsWith(dir)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private RawHttpClient raw() throws Exception {
        return new RawHttpClient(server.port());
    }

    private static String get(String path, String... headers) {
        return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + String.join("", headers) + "\r\n";
    }

    @Test
    void getWithHttpClientReturnsTheFileWithItsHeaders() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(T).build();
        for (String name : new String[] {"big.bin", "small.txt"}) {
            HttpResponse<byte[]> resp = client.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/" + name)).timeout(T).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            byte[] expected = Files.readAllBytes(root.resolve(name));
            assertThat(resp.statusCode()).isEqualTo(200);
            assertThat(resp.body()).as(name).isEqualTo(expected);
            assertThat(resp.headers().firstValue("content-length")).hasValue(String.valueOf(expected.length));
            assertThat(resp.headers().firstValue("last-modified"))
                    .hasValue(HttpDate.format(Files.getLastModifiedTime(root.resolve(name)).toInstant()));
            assertThat(resp.headers().firstValue("accept-ranges")).hasValue("bytes");
            assertThat(resp.headers().firstValue("date")).isPresent();
        }
        HttpResponse<String> html = client.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/sub/page.html")).timeout(T).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(html.body()).isEqualTo("<p>hi</p>");
        assertThat(html.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    }

    @Test
    void shutdownClosesIdleKeptAliveConnectionsAtOnceAndOthersAfterTheirResponse() throws Exception {
        try (RawHttpClient idle = raw(); RawHttpClient busy = raw()) {
            idle.send(get("/small.txt"));
            assertThat(idle.read().status()).isEqualTo(200);
            // One write: a whole request and the start of the next. Once the first is answered, the
            // server holds a partial head, so this connection is not between requests.
            busy.send(get("/small.txt") + "GET /sub/page.html HTTP/1.1\r\n");
            assertThat(busy.read().status()).isEqualTo(200);

            // An hour of grace: the server finishing within T shows the connections ended on their own.
            reactor.core.publisher.Mono<Void> shutdown = server.disposeLater(Duration.ofHours(1)).cache();
            shutdown.subscribe();
            assertThat(idle.closedByPeer()).as("the idle kept-alive connection is closed at once").isTrue();
            busy.send("Host: localhost\r\n\r\n");
            RawHttpClient.Response last = busy.read();
            assertThat(last.status()).isEqualTo(200);
            assertThat(last.text()).isEqualTo("<p>hi</p>");
            assertThat(busy.closedByPeer()).as("closed after the request in progress was answered").isTrue();
            shutdown.block(T);
            assertThat(server.activeConnections()).isZero();
        }
    }

    @Test
    void percentEncodedNamesAndQueriesResolve() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send(get("/a%20b.txt?download=1#frag"));
            RawHttpClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("spaced");
            assertThat(r.header("content-type")).isEqualTo("text/plain; charset=utf-8");
        }
    }

    @Test
    void headSendsTheHeadersOnly() throws Exception {
        try (RawHttpClient c = raw()) {
            // HEAD then GET on one connection: the GET's status line must come right after the
            // HEAD's headers, which proves no body followed them.
            c.send("HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n" + get("/small.txt"));
            RawHttpClient.Response head = c.read(false);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("content-length")).isEqualTo(String.valueOf(big.length));
            assertThat(head.header("content-type")).isEqualTo("application/octet-stream");
            RawHttpClient.Response next = c.read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.body()).isEqualTo(small);
        }
    }

    @Test
    void rangeGives206WithContentRange() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send(get("/big.bin", "Range: bytes=0-99\r\n"));
            RawHttpClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(206);
            assertThat(r.header("content-range")).isEqualTo("bytes 0-99/" + big.length);
            assertThat(r.body()).isEqualTo(Arrays.copyOfRange(big, 0, 100));

            c.send(get("/big.bin", "Range: bytes=100000-\r\n"));
            r = c.read();
            assertThat(r.status()).isEqualTo(206);
            assertThat(r.header("content-range")).isEqualTo("bytes 100000-" + (big.length - 1) + "/" + big.length);
            assertThat(r.body()).isEqualTo(Arrays.copyOfRange(big, 100000, big.length));

            c.send(get("/small.txt", "Range: bytes=-10\r\n"));
            r = c.read();
            assertThat(r.status()).isEqualTo(206);
            assertThat(r.body()).isEqualTo(Arrays.copyOfRange(small, small.length - 10, small.length));
        }
    }

    @Test
    void largeFileAndARangeOfItArriveByteExactOnOneConnection() throws Exception {
        // Several MiB: many SPLICE chunks (file -> pipe -> socket) and partial socket writes.
        byte[] large = new byte[3 * 1024 * 1024 + 12_345];
        new Random(11).nextBytes(large);
        Files.write(root.resolve("large.bin"), large);
        try (RawHttpClient c = raw()) {
            c.send(get("/large.bin"));
            RawHttpClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("content-length")).isEqualTo(String.valueOf(large.length));
            assertThat(r.body()).isEqualTo(large);

            int from = 65_535;       // straddles the 64 KiB chunks on both ends
            int to = 2_500_000;
            c.send(get("/large.bin", "Range: bytes=" + from + "-" + to + "\r\n"));
            r = c.read();
            assertThat(r.status()).isEqualTo(206);
            assertThat(r.header("content-range")).isEqualTo("bytes " + from + "-" + to + "/" + large.length);
            assertThat(r.body()).isEqualTo(Arrays.copyOfRange(large, from, to + 1));

            c.send(get("/small.txt")); // the connection is still in step after both bodies
            assertThat(c.read().body()).isEqualTo(small);
        }
    }

    @Test
    void fileShorterThanItsRememberedSizeEndsTheConnectionAfterTheHead() throws Exception {
        // Metadata kept for an hour: the second request promises the old length, and sendFile (of the
        // open file, which is not sized again) reaches the file's end before that length; the only
        // honest way out is to close, after whatever the file still had.
        UringServer remembering = UringTcpServer.create().host("127.0.0.1").port(0).group(group)
                .handle(HttpFileServer.handler(root, Duration.ofHours(1))).bindNow(T);
        try (RawHttpClient c = new RawHttpClient(remembering.port())) {
            c.send(get("/big.bin"));
            assertThat(c.read().body()).isEqualTo(big);
            Files.write(root.resolve("big.bin"), small);
            c.send(get("/big.bin"));
            RawHttpClient.Response r = c.read();
            assertThat(r.header("content-length")).isEqualTo(String.valueOf(big.length));
            // End of stream after the file's present bytes (a kept-open connection would time out).
            assertThat(r.body()).isEqualTo(small);
            assertThat(c.closedByPeer()).isTrue();
        } finally {
            remembering.disposeNow(T);
        }
    }

    @Test
    void multipleRangesServeTheWholeFileAndStaleIfRangeToo() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send(get("/small.txt", "Range: bytes=0-1,5-6\r\n"));
            RawHttpClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(small);

            c.send(get("/small.txt", "Range: bytes=0-1\r\n", "If-Range: Sat, 01 Jan 2000 00:00:00 GMT\r\n"));
            r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(small);

            String lastModified = r.header("last-modified");
            c.send(get("/small.txt", "Range: bytes=0-1\r\n", "If-Range: " + lastModified + "\r\n"));
            assertThat(c.read().status()).isEqualTo(206);
        }
    }

    @Test
    void unsatisfiableRangeIs416() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send(get("/small.txt", "Range: bytes=" + small.length + "-\r\n"));
            RawHttpClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(416);
            assertThat(r.header("content-range")).isEqualTo("bytes */" + small.length);
            assertThat(r.body()).isEmpty();
            c.send(get("/empty.txt"));
            assertThat(c.read().status()).as("connection still usable").isEqualTo(200);
        }
    }

    @Test
    void missingFilesAndDirectoriesAre404() throws Exception {
        try (RawHttpClient c = raw()) {
            for (String path : new String[] {"/nope.txt", "/sub", "/sub/", "/", "/small.txt/x"}) {
                c.send(get(path));
                RawHttpClient.Response r = c.read();
                assertThat(r.status()).as(path).isEqualTo(404);
                assertThat(r.text()).isEqualTo("404 Not Found\n");
            }
        }
    }

    @Test
    void pathTraversalIsRejected() throws Exception {
        try (RawHttpClient c = raw()) {
            for (String path : new String[] {"/../secret.txt", "/sub/../../secret.txt", "/%2e%2e/secret.txt",
                    "/sub/%2E%2E/%2e%2e/secret.txt", "/..%2fsecret.txt", "/sub/..%2F..%2Fsecret.txt"}) {
                c.send(get(path));
                RawHttpClient.Response r = c.read();
                assertThat(r.status()).as(path).isEqualTo(403);
                assertThat(r.text()).doesNotContain("SECRET");
            }
        }
    }

    @Test
    void badlyEncodedTargetsAre400AndClose() throws Exception {
        for (String path : new String[] {"/a%zz", "/a%00b", "/a%", "nothing-absolute", "/%C3%28"}) {
            try (RawHttpClient c = raw()) {
                c.send(get(path));
                assertThat(c.read().status()).as(path).isEqualTo(400);
                assertThat(c.closedByPeer()).isTrue();
            }
        }
    }

    @Test
    void malformedRequestLineIs400AndTheConnectionCloses() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send("THIS IS NOT HTTP\r\n\r\n" + get("/small.txt"));
            RawHttpClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(c.closedByPeer()).as("the pipelined GET after it is not answered").isTrue();
        }
    }

    @Test
    void otherMethodsAre405AndOtherVersions505() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send("DELETE /small.txt HTTP/1.1\r\nHost: x\r\n\r\n");
            RawHttpClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(405);
            assertThat(r.header("allow")).isEqualTo("GET, HEAD");
            assertThat(Files.exists(root.resolve("small.txt"))).isTrue();
        }
        try (RawHttpClient c = raw()) {
            c.send("GET /small.txt HTTP/3.0\r\nHost: x\r\n\r\n");
            assertThat(c.read().status()).isEqualTo(505);
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void keepAliveServesTwoRequestsOnOneConnectionAndCloseEndsIt() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send(get("/small.txt"));
            RawHttpClient.Response first = c.read();
            assertThat(first.body()).isEqualTo(small);
            assertThat(first.header("connection")).isNull();
            c.send(get("/big.bin"));
            assertThat(c.read().body()).isEqualTo(big);
            c.send(get("/small.txt", "Connection: close\r\n"));
            RawHttpClient.Response last = c.read();
            assertThat(last.body()).isEqualTo(small);
            assertThat(last.header("connection")).isEqualTo("close");
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void http10ClosesUnlessKeepAlive() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send("GET /small.txt HTTP/1.0\r\n\r\n");
            assertThat(c.read().body()).isEqualTo(small);
            assertThat(c.closedByPeer()).isTrue();
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send(get("/big.bin") + get("/small.txt", "Range: bytes=0-9\r\n") + get("/nope") + get("/small.txt"));
            assertThat(c.read().body()).isEqualTo(big);
            assertThat(c.read().body()).isEqualTo(Arrays.copyOfRange(small, 0, 10));
            assertThat(c.read().status()).isEqualTo(404);
            assertThat(c.read().body()).isEqualTo(small);
        }
    }

    @Test
    void requestSplitByteByByteOverTheSocket() throws Exception {
        try (RawHttpClient c = raw()) {
            for (byte b : get("/small.txt", "Range: bytes=1-4\r\n").getBytes(StandardCharsets.ISO_8859_1)) {
                c.send(new byte[] {b}); // TCP_NODELAY: one segment per byte
            }
            RawHttpClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(206);
            assertThat(r.body()).isEqualTo(Arrays.copyOfRange(small, 1, 5));
        }
    }

    @Test
    void requestBodiesAreSkipped() throws Exception {
        try (RawHttpClient c = raw()) {
            c.send("GET /small.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nHELLO" + get("/empty.txt"));
            assertThat(c.read().body()).isEqualTo(small);
            RawHttpClient.Response r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("content-length")).isEqualTo("0");
        }
    }

    @Test
    void clientLeavingMidResponseLeaksNothing() throws Exception {
        // The @AfterEach check does the asserting: buffers of the abandoned stream all return.
        try (RawHttpClient c = raw()) {
            c.send(get("/big.bin"));
            assertThat(c.read(false).status()).isEqualTo(200);
        }
        try (RawHttpClient c = raw()) {
            c.send(get("/small.txt"));
            assertThat(c.read().body()).isEqualTo(small);
        }
    }
}
