package io.reactoruring.examples.http;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
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
 * (other methods), 431 (head over 8 KiB), 501 (Transfer-Encoding), 505 (other HTTP versions). After a
 * 400, 431, 501 or 505 the connection is closed.
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
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(statValidity, "statValidity");
        FileResponder responder = new FileResponder(root, new StatCache(statValidity.toNanos(), System::nanoTime));
        return (in, out) -> serve(responder, in, out);
    }

    private static Publisher<Void> serve(FileResponder responder, UringInbound in, UringOutbound out) {
        // The server passes the connection as both sides; on io_uring file ops then run on its loop,
        // so no signal hops threads. Otherwise (the NIO fallback, or another inbound) the loop-less
        // UringFiles methods pick a shared loop, or FileChannel where io_uring is missing.
        UringLoop loop = in instanceof UringConnection c && c.isUring() ? c.loop() : null;
        HttpRequestParser parser = new HttpRequestParser();
        return in.receive()
                .concatMapIterable(pb -> {
                    try {
                        return parser.feed(pb.buffer());
                    } finally {
                        pb.release();
                    }
                }, 1)
                .doOnDiscard(PooledBuffer.class, PooledBuffer::release)
                // One response at a time, in request order; after one that closes, stop reading.
                .concatMap(r -> responder.respond(r, out, loop), 1)
                .takeWhile(keepAlive -> keepAlive)
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
