package io.reactoruring.examples.http;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.net.UringConnection;
import io.reactoruring.net.UringInbound;
import io.reactoruring.net.UringOutbound;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.function.BiFunction;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A small HTTP/1.1 server for the files of one directory, on reactor-uring: accept, recv and send
 * are io_uring socket operations, and files are opened, stat'ed and read with io_uring too.
 *
 * <p>What it does: GET and HEAD; a single byte range ({@code Range: bytes=a-b}, {@code a-},
 * {@code -n}) answered with 206 and Content-Range, an unsatisfiable one with 416, several ranges
 * ignored (the whole file, 200: see {@link ByteRange}); {@code If-Range} against Last-Modified;
 * keep-alive (HTTP/1.1 default, {@code Connection: close} honoured, HTTP/1.0 only with
 * {@code Connection: keep-alive}) and pipelined requests, answered in order; Content-Type by
 * extension, Content-Length, Last-Modified, Date (file metadata is reused for up to 1 s, see
 * {@link #handler(Path)}). Errors: 400 (malformed request line or header,
 * HTTP/1.1 without Host), 403 ({@code ..} in the path), 404 (missing, not a regular file), 405
 * (other methods), 414/431 (request line / head over 8 KiB), 417 (Expect other than 100-continue),
 * 501 (Transfer-Encoding other than chunked), 505 (HTTP/2 and up). After one of those the
 * connection is closed. The parser is strict (see {@link HttpRequestParser}): ambiguous framing,
 * bare CR or LF, obs-fold, controls in values, duplicate Host or Content-Length are 400s.
 * {@code Expect: 100-continue} is answered with 100 before the response; ETag (like nginx's) with
 * If-None-Match and If-Modified-Since answer 304. Request-header timeout 60 s and keep-alive idle
 * timeout 75 s, like nginx (see {@link #handler(Path, Duration, Duration, Duration)}). When the
 * server shuts down gracefully ({@code disposeNow}, {@code disposeLater}), connections between
 * requests are closed at once and the others after the response in progress
 * ({@link io.reactoruring.net.UringConnection#onServerShutdown()}).
 *
 * <p>Per connection, requests are parsed incrementally from the received buffers (a request may be
 * split anywhere, several may share one buffer); each buffer is released as soon as it is parsed.
 *
 * <pre>
 * java -cp ... io.reactoruring.examples.http.HttpFileServer &lt;dir&gt; &lt;port&gt; [host]   # host 127.0.0.1
 * curl -r 0-99 http://127.0.0.1:&lt;port&gt;/some/file
 * </pre>
 */
public final class HttpFileServer {
    static final Duration STAT_VALIDITY = Duration.ofSeconds(1);
    /** nginx's client_header_timeout: a request head (or a new connection's first) must arrive within this. */
    public static final Duration HEADER_TIMEOUT = Duration.ofSeconds(60);
    /** nginx's keepalive_timeout: an idle keep-alive connection is closed after this. */
    public static final Duration KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(75);
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private HttpFileServer() {
    }

    /**
     * Binds a server for the files under {@code root} with {@code config}'s address and options
     * (its handler is replaced). The caller owns the returned server and disposes it.
     */
    public static UringServer start(Path root, UringTcpServer config) {
        Objects.requireNonNull(config, "config");
        return config.handle(handler(root)).bindNow(Duration.ofSeconds(5));
    }

    /**
     * The connection handler serving {@code root}, for use with {@link UringTcpServer#handle}. A file's
     * size, type and modification time are reused for up to 1 second after its statx (see
     * {@link StatCache}).
     */
    public static BiFunction<UringInbound, UringOutbound, Publisher<Void>> handler(Path root) {
        return handler(root, STAT_VALIDITY);
    }

    /** {@link #handler(Path)} with another metadata validity ({@link Duration#ZERO}: statx on every request). */
    public static BiFunction<UringInbound, UringOutbound, Publisher<Void>> handler(Path root, Duration statValidity) {
        return handler(root, statValidity, HEADER_TIMEOUT, KEEP_ALIVE_TIMEOUT);
    }

    /**
     * {@link #handler(Path, Duration)} with other timeouts: a connection is closed when a request
     * head is not complete {@code headerTimeout} after its first byte (or a new connection sent no
     * complete head by then), or when it has been idle between requests for {@code keepAliveTimeout}.
     * See {@link HttpDeadlines}.
     */
    public static BiFunction<UringInbound, UringOutbound, Publisher<Void>> handler(Path root, Duration statValidity,
            Duration headerTimeout, Duration keepAliveTimeout) {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(statValidity, "statValidity");
        if (headerTimeout.isNegative() || headerTimeout.isZero() || keepAliveTimeout.isNegative() || keepAliveTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be > 0: " + headerTimeout + ", " + keepAliveTimeout);
        }
        FileResponder responder = new FileResponder(root, new StatCache(statValidity.toNanos(), System::nanoTime));
        return (in, out) -> serve(responder, in, out, headerTimeout, keepAliveTimeout);
    }

    private static Publisher<Void> serve(FileResponder responder, UringInbound in, UringOutbound out,
            Duration headerTimeout, Duration keepAliveTimeout) {
        // The server passes the connection as both sides; on io_uring file ops then run on its loop,
        // so no signal hops threads. Otherwise (the NIO fallback, or another inbound) the loop-less
        // UringFiles methods pick a shared loop, or FileChannel where io_uring is missing.
        UringLoop loop = in instanceof UringConnection c && c.isUring() ? c.loop() : null;
        HttpRequestParser parser = new HttpRequestParser();
        java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
        HttpDeadlines.Conn deadlines = new HttpDeadlines.Conn(
                in instanceof UringConnection c ? c::dispose : () -> { }, headerTimeout, keepAliveTimeout);
        reactor.core.Disposable watching = in instanceof UringConnection ? HttpDeadlines.watch(loop, deadlines) : () -> { };
        reactor.core.Disposable shutdown = in instanceof UringConnection c
                ? c.onServerShutdown().subscribe(null, null, deadlines::drain) : () -> { };
        // Parsed in map(), while receive() lends the buffer (it is released when onNext returns):
        // concatMapIterable may run its mapper later, from its queue.
        return in.receive()
                .map(pb -> {
                    java.util.List<HttpRequest> rs = parser.feed(pb.buffer());
                    pending.addAndGet(rs.size());
                    deadlines.parsed(parser.inHead());
                    if (!rs.isEmpty() || parser.hasPartialRequest()) {
                        deadlines.idle(false);
                    }
                    return rs;
                })
                .concatMapIterable(rs -> rs, 1)
                // One response at a time, in request order; after one that closes, stop reading.
                .concatMap(r -> {
                    Mono<Boolean> response = responder.respond(r, out, loop);
                    if (r.expectContinue()) {
                        // RFC 9110, 10.1.1: the client holds the body back until this (curl: up to 1 s).
                        response = out.send(Mono.just(java.nio.ByteBuffer.wrap(CONTINUE))).then(response);
                    }
                    return response.doOnSuccess(k -> {
                        if (pending.decrementAndGet() == 0 && !parser.hasPartialRequest()) {
                            deadlines.idle(true);
                        }
                    });
                }, 1)
                .takeWhile(keepAlive -> keepAlive && deadlines.keepServing())
                .doFinally(s -> {
                    watching.dispose();
                    shutdown.dispose();
                })
                .then();
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length < 2) {
            System.err.println("usage: HttpFileServer <dir> <port> [host]");
            System.exit(64);
        }
        if (!Uring.isAvailable()) {
            System.err.println("io_uring is not available here (" + Uring.unavailabilityCause()
                    + "): serving with the NIO fallbacks of reactor-uring-net and reactor-uring-file");
        }
        Path root = Path.of(args[0]);
        if (!Files.isDirectory(root)) {
            System.err.println("not a directory: " + root);
            System.exit(64);
        }
        String host = args.length > 2 ? args[2] : "127.0.0.1";
        UringServer server = start(root, UringTcpServer.create().host(host).port(Integer.parseInt(args[1])));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.disposeNow(Duration.ofSeconds(5));
            stopped.countDown();
        }, "http-server-shutdown"));
        System.out.println("serving " + root.toAbsolutePath().normalize() + " on http://" + host + ":" + server.port() + "/");
        stopped.await();
    }
}
