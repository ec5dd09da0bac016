package io.reactoruring.spring;

import io.reactoruring.core.UringLoopGroup;
import java.nio.file.Path;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

/**
 * Serves a directory to WebFlux through io_uring: a drop-in {@link RouterFunction} for
 * {@code GET}/{@code HEAD} with ETag and Last-Modified (304 on If-None-Match/If-Modified-Since, 412
 * on If-Match/If-Unmodified-Since), single and multiple byte ranges (206, multipart/byteranges,
 * If-Range), Content-Type from the file name, 404 for missing files, directories without an index
 * file and paths escaping the directory, and 416 for unsatisfiable or malformed ranges.
 *
 * <pre>{@code
 * @Bean
 * RouterFunction<ServerResponse> assets() {
 *     return UringResources.router("/static/**", Path.of("/srv/static"));
 * }
 * }</pre>
 *
 * <p><b>Which path sends the bytes.</b> Where Spring's own zero-copy transfer applies, it is kept:
 * a whole file or a single range goes out through
 * {@link org.springframework.http.ZeroCopyHttpOutputMessage#writeWith(Path, long, long)} (sendfile on
 * Reactor Netty) when the response supports it, the connection is not TLS and the response will not be
 * compressed ({@link #withCompression(boolean)} says whether the server compresses; then any request
 * with an Accept-Encoding takes the io_uring path). Otherwise — TLS, compression, multipart
 * byteranges, servers without zero-copy, or {@link ZeroCopy#NEVER} — the file is read with io_uring
 * into pooled native memory that is handed to the server without a copy ({@link UringDataBuffers}).
 *
 * <p>Immutable: every {@code with...} method returns a modified copy. Thread-safe.
 */
public final class UringResources {
    /** When to keep the server's own zero-copy file transfer. */
    public enum ZeroCopy {
        /** Use it where it applies (plain connection, no compression); io_uring elsewhere. */
        AUTO,
        /** Always read through io_uring (benchmarks, or servers whose sendfile path is unwanted). */
        NEVER
    }

    /** Path variable holding the file part of the request path in routes built by {@link #router(String)}. */
    public static final String PATH_VARIABLE = "uringPath";

    final Path root;
    final @Nullable UringLoopGroup group;
    final int chunkSize;
    final int readAhead;
    final ZeroCopy zeroCopy;
    final boolean compression;
    final @Nullable String indexFile;

    private UringResources(Path root, @Nullable UringLoopGroup group, int chunkSize, int readAhead, ZeroCopy zeroCopy,
                           boolean compression, @Nullable String indexFile) {
        this.root = root;
        this.group = group;
        this.chunkSize = chunkSize;
        this.readAhead = readAhead;
        this.zeroCopy = zeroCopy;
        this.compression = compression;
        this.indexFile = indexFile;
    }

    /**
     * Serves {@code directory} (made absolute and normalized) with the defaults: the shared loop group,
     * {@value UringDataBuffers#DEFAULT_CHUNK_SIZE}-byte chunks, {@link ZeroCopy#AUTO}, no server
     * compression, {@code index.html} as the index file.
     */
    public static UringResources create(Path directory) {
        Objects.requireNonNull(directory, "directory");
        return new UringResources(directory.toAbsolutePath().normalize(), null, UringDataBuffers.DEFAULT_CHUNK_SIZE,
                UringDataBuffers.DEFAULT_READ_AHEAD, ZeroCopy.AUTO, false, "index.html");
    }

    /** {@code create(directory).router(pattern)}. */
    public static RouterFunction<ServerResponse> router(String pattern, Path directory) {
        return create(directory).router(pattern);
    }

    /** The loops that run the reads; default {@link UringLoopGroup#shared()}, looked up per request. */
    public UringResources withLoopGroup(UringLoopGroup group) {
        Objects.requireNonNull(group, "group");
        return new UringResources(root, group, chunkSize, readAhead, zeroCopy, compression, indexFile);
    }

    /** Bytes per read and per buffer handed to the server. */
    public UringResources withChunkSize(int chunkSize) {
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunkSize must be > 0, was " + chunkSize);
        }
        return new UringResources(root, group, chunkSize, readAhead, zeroCopy, compression, indexFile);
    }

    /** Chunks read ahead of the server's demand, per response. */
    public UringResources withReadAhead(int readAhead) {
        if (readAhead <= 0) {
            throw new IllegalArgumentException("readAhead must be > 0, was " + readAhead);
        }
        return new UringResources(root, group, chunkSize, readAhead, zeroCopy, compression, indexFile);
    }

    public UringResources withZeroCopy(ZeroCopy zeroCopy) {
        Objects.requireNonNull(zeroCopy, "zeroCopy");
        return new UringResources(root, group, chunkSize, readAhead, zeroCopy, compression, indexFile);
    }

    /**
     * Whether the server compresses responses (Spring Boot: {@code server.compression.enabled}). A
     * compressed response cannot use sendfile, so with compression on, requests that accept an
     * encoding are served through io_uring.
     */
    public UringResources withCompression(boolean serverCompresses) {
        return new UringResources(root, group, chunkSize, readAhead, zeroCopy, serverCompresses, indexFile);
    }

    /** File served for a directory; {@code null} answers 404 for directories. */
    public UringResources withIndexFile(@Nullable String indexFile) {
        if (indexFile != null && (indexFile.isEmpty() || indexFile.contains("/"))) {
            throw new IllegalArgumentException("indexFile must be a plain file name, was '" + indexFile + "'");
        }
        return new UringResources(root, group, chunkSize, readAhead, zeroCopy, compression, indexFile);
    }

    /** The served directory (absolute, normalized). */
    public Path root() {
        return root;
    }

    /**
     * A router for {@code GET} and {@code HEAD} under {@code pattern}, which must end in
     * {@code /**} (e.g. {@code "/static/**"} or {@code "/**"}); the rest of the path names the file.
     */
    public RouterFunction<ServerResponse> router(String pattern) {
        Objects.requireNonNull(pattern, "pattern");
        if (!pattern.endsWith("/**")) {
            throw new IllegalArgumentException("pattern must end with /**, was '" + pattern + "'");
        }
        String capture = pattern.substring(0, pattern.length() - 3) + "/{*" + PATH_VARIABLE + "}";
        return RouterFunctions.route(RequestPredicates.GET(capture).or(RequestPredicates.HEAD(capture)), handler());
    }

    /**
     * The handler behind {@link #router(String)}: it serves the path variable {@value #PATH_VARIABLE}
     * when the route defines it, else the whole request path.
     */
    public HandlerFunction<ServerResponse> handler() {
        return new UringResourceHandler(this);
    }
}
