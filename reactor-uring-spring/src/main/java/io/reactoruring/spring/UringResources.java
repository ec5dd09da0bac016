package io.reactoruring.spring;

import io.reactoruring.core.UringLoopGroup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;
import org.springframework.http.CacheControl;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.AbstractHandlerMapping;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebHandler;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Serves directories to WebFlux through io_uring: a drop-in {@link RouterFunction} with ETag and
 * Last-Modified (304 on If-None-Match, including {@code *}, and If-Modified-Since; 412 on
 * If-Match/If-Unmodified-Since), single and multiple byte ranges (206, multipart/byteranges, If-Range),
 * Content-Type from the file name, optional {@code Cache-Control} and precompressed {@code .br}/{@code .gz}
 * variants, 404 for missing files and for paths that escape the served directories (also through
 * symbolic links), 416 for unsatisfiable or malformed ranges, {@code OPTIONS} answered with
 * {@code Allow}, other methods with 405, and a directory URL without its trailing slash redirected (301).
 *
 * <pre>{@code
 * @Bean
 * RouterFunction<ServerResponse> assets(ObjectProvider<UringLoopGroup> group) {
 *     return UringResources.create(Path.of("/srv/static"))
 *             .withLoopGroup(group.getIfAvailable())   // the auto-configured loops; null: the default
 *             .router("/static/**");
 * }
 * }</pre>
 * {@link #handlerMapping(String)} serves the same as a {@code HandlerMapping} of {@code WebHandler}s, without
 * the functional endpoint machinery, as Spring Boot's static resources are served (and as this module's
 * auto-configuration serves them).
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
 * <p><b>Without io_uring</b> (containers with Docker's default seccomp profile, old kernels,
 * {@code -Dreactoruring.disabled=true}) the same routes give the same responses: the bodies go through
 * Spring's zero-copy path or NIO reads ({@code AsynchronousFileChannel}), after one warning in the log.
 *
 * <p><b>Symbolic links</b> are followed, and the file they lead to is served only if its real path
 * lies under one of the allowed locations (by default the served directories themselves; see
 * {@link #withAllowedLocations(List)}), like Spring's {@code ResourceWebHandler} with
 * {@code allowedLocations}. The check runs on the calling thread, as Spring's own resource handling
 * checks files there: with the default allowed locations, a name none of whose components below the
 * directory is a link needs one {@code lstat} per component; other names resolve their real path with
 * {@link Path#toRealPath}.
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

    /** {@code prefix/**} as a pattern capturing the rest of the path in {@link #PATH_VARIABLE}. */
    static PathPattern capturing(String pattern) {
        Objects.requireNonNull(pattern, "pattern");
        if (!pattern.endsWith("/**")) {
            throw new IllegalArgumentException("pattern must end with /**, was '" + pattern + "'");
        }
        return PathPatternParser.defaultInstance.parse(
                pattern.substring(0, pattern.length() - 3) + "/{*" + PATH_VARIABLE + "}");
    }

    /** File name extension of each content coding {@link #withPrecompressed(List)} accepts. */
    static final Map<String, String> CODING_EXTENSIONS = Map.of("br", ".br", "gzip", ".gz");

    /** A place files are looked up: a directory, or (auto-configuration only) a location Spring serves. */
    sealed interface Location permits Directory, Delegated {
    }

    /** A directory on the file system, absolute and normalized; served by this class. */
    record Directory(Path path) implements Location {
    }

    /**
     * A location whose files Spring's stock resource handling serves (entries inside jars): when the
     * requested file exists there first, the request is left to the next handler.
     */
    record Delegated(Resource resource) implements Location {
    }

    final List<Location> locations;
    final @Nullable List<Path> allowedLocations;
    final @Nullable UringLoopGroup group;
    final int chunkSize;
    final int readAhead;
    final ZeroCopy zeroCopy;
    final boolean compression;
    final @Nullable String indexFile;
    final @Nullable CacheControl cacheControl;
    final boolean useLastModified;
    final List<String> precompressed;

    private UringResources(List<Location> locations, @Nullable List<Path> allowedLocations, @Nullable UringLoopGroup group,
                           int chunkSize, int readAhead, ZeroCopy zeroCopy, boolean compression, @Nullable String indexFile,
                           @Nullable CacheControl cacheControl, boolean useLastModified, List<String> precompressed) {
        this.locations = locations;
        this.allowedLocations = allowedLocations;
        this.group = group;
        this.chunkSize = chunkSize;
        this.readAhead = readAhead;
        this.zeroCopy = zeroCopy;
        this.compression = compression;
        this.indexFile = indexFile;
        this.cacheControl = cacheControl;
        this.useLastModified = useLastModified;
        this.precompressed = precompressed;
    }

    private Builder copy() {
        return new Builder(this);
    }

    /** Mutable copy used by the {@code with...} methods; never escapes. */
    private static final class Builder {
        List<Location> locations;
        @Nullable List<Path> allowedLocations;
        @Nullable UringLoopGroup group;
        int chunkSize;
        int readAhead;
        ZeroCopy zeroCopy;
        boolean compression;
        @Nullable String indexFile;
        @Nullable CacheControl cacheControl;
        boolean useLastModified;
        List<String> precompressed;

        Builder(UringResources r) {
            locations = r.locations;
            allowedLocations = r.allowedLocations;
            group = r.group;
            chunkSize = r.chunkSize;
            readAhead = r.readAhead;
            zeroCopy = r.zeroCopy;
            compression = r.compression;
            indexFile = r.indexFile;
            cacheControl = r.cacheControl;
            useLastModified = r.useLastModified;
            precompressed = r.precompressed;
        }

        UringResources build() {
            return new UringResources(locations, allowedLocations, group, chunkSize, readAhead, zeroCopy, compression,
                    indexFile, cacheControl, useLastModified, precompressed);
        }
    }

    /**
     * Serves {@code directory} (made absolute and normalized) with the defaults: the auto-selected loop
     * group (see {@link #withLoopGroup}), {@value UringDataBuffers#DEFAULT_CHUNK_SIZE}-byte chunks,
     * {@link ZeroCopy#AUTO}, no server compression, {@code index.html} as the index file, no
     * Cache-Control, Last-Modified on, no precompressed variants.
     */
    public static UringResources create(Path directory) {
        Objects.requireNonNull(directory, "directory");
        return create(List.of(directory));
    }

    /**
     * Serves several directories as one tree: a request is answered from the first directory that has
     * the file, as Spring does with several {@code static-locations}.
     */
    public static UringResources create(List<Path> directories) {
        Objects.requireNonNull(directories, "directories");
        if (directories.isEmpty()) {
            throw new IllegalArgumentException("directories must not be empty");
        }
        List<Location> locations = new ArrayList<>(directories.size());
        for (Path d : directories) {
            locations.add(new Directory(Objects.requireNonNull(d, "directory").toAbsolutePath().normalize()));
        }
        return withLocations(locations);
    }

    /** Locations that may include {@link Delegated} ones (auto-configuration). */
    static UringResources withLocations(List<Location> locations) {
        return new UringResources(List.copyOf(locations), null, null, UringDataBuffers.DEFAULT_CHUNK_SIZE,
                UringDataBuffers.DEFAULT_READ_AHEAD, ZeroCopy.AUTO, false, "index.html", null, true, List.of());
    }

    /** {@code create(directory).router(pattern)}. */
    public static RouterFunction<ServerResponse> router(String pattern, Path directory) {
        return create(directory).router(pattern);
    }

    /**
     * The loops that run the reads. {@code null} (the default) selects per request:
     * {@link UringLoopGroup#shared()} where io_uring works, else the fallback without io_uring.
     */
    public UringResources withLoopGroup(@Nullable UringLoopGroup group) {
        Builder b = copy();
        b.group = group;
        return b.build();
    }

    /** Bytes per read and per buffer handed to the server. */
    public UringResources withChunkSize(int chunkSize) {
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunkSize must be > 0, was " + chunkSize);
        }
        Builder b = copy();
        b.chunkSize = chunkSize;
        return b.build();
    }

    /** Chunks read ahead of the server's demand, per response. */
    public UringResources withReadAhead(int readAhead) {
        if (readAhead <= 0) {
            throw new IllegalArgumentException("readAhead must be > 0, was " + readAhead);
        }
        Builder b = copy();
        b.readAhead = readAhead;
        return b.build();
    }

    /**
     * A copy that keeps ({@link ZeroCopy#AUTO}, the default) or bypasses ({@link ZeroCopy#NEVER}) the server's own
     * zero-copy file transfer where it applies.
     *
     * @param zeroCopy the policy
     * @return the modified copy
     */
    public UringResources withZeroCopy(ZeroCopy zeroCopy) {
        Builder b = copy();
        b.zeroCopy = Objects.requireNonNull(zeroCopy, "zeroCopy");
        return b.build();
    }

    /**
     * Whether the server compresses responses (Spring Boot: {@code server.compression.enabled}). A
     * compressed response cannot use sendfile, so with compression on, requests that accept an
     * encoding are served through io_uring.
     */
    public UringResources withCompression(boolean serverCompresses) {
        Builder b = copy();
        b.compression = serverCompresses;
        return b.build();
    }

    /**
     * File served for a directory; {@code null} answers 404 for directories. A directory requested
     * without its trailing slash is redirected (301) to the URL with the slash, so that relative links
     * in the index file resolve, as nginx does.
     */
    public UringResources withIndexFile(@Nullable String indexFile) {
        if (indexFile != null && (indexFile.isEmpty() || indexFile.contains("/"))) {
            throw new IllegalArgumentException("indexFile must be a plain file name, was '" + indexFile + "'");
        }
        Builder b = copy();
        b.indexFile = indexFile;
        return b.build();
    }

    /**
     * Directories whose files may be served after following symbolic links (default: the served
     * directories). A link leading elsewhere answers 404, as Spring's {@code allowedLocations}.
     */
    public UringResources withAllowedLocations(List<Path> allowedLocations) {
        Objects.requireNonNull(allowedLocations, "allowedLocations");
        Builder b = copy();
        b.allowedLocations = allowedLocations.stream().map(p -> p.toAbsolutePath().normalize()).toList();
        return b.build();
    }

    /**
     * {@code Cache-Control} of 200, 206 and 304 responses ({@code null}: none), as Spring Boot's
     * {@code spring.web.resources.cache.period} / {@code .cache.cachecontrol.*}.
     */
    public UringResources withCacheControl(@Nullable CacheControl cacheControl) {
        Builder b = copy();
        b.cacheControl = cacheControl;
        return b.build();
    }

    /**
     * Whether to send {@code Last-Modified} and honour {@code If-Modified-Since}/{@code If-Unmodified-Since}
     * (default true; Spring Boot: {@code spring.web.resources.cache.use-last-modified}). The ETag stays.
     */
    public UringResources withLastModified(boolean useLastModified) {
        Builder b = copy();
        b.useLastModified = useLastModified;
        return b.build();
    }

    /**
     * Serve a precompressed variant ({@code file.br}, {@code file.gz}) next to a file when the request
     * accepts its coding, trying the codings in the given order, with {@code Content-Encoding} and
     * {@code Vary: Accept-Encoding} and the original file's Content-Type, as Spring's
     * {@code EncodedResourceResolver} (Spring Boot: {@code spring.web.resources.chain.compressed}).
     * Supported codings: {@code br}, {@code gzip}; empty list: off (the default).
     */
    public UringResources withPrecompressed(List<String> codings) {
        Objects.requireNonNull(codings, "codings");
        for (String c : codings) {
            if (!CODING_EXTENSIONS.containsKey(c)) {
                throw new IllegalArgumentException("unsupported coding '" + c + "', expected one of " + CODING_EXTENSIONS.keySet());
            }
        }
        Builder b = copy();
        b.precompressed = List.copyOf(codings);
        return b.build();
    }

    /** The first served directory (absolute, normalized). */
    public Path root() {
        for (Location l : locations) {
            if (l instanceof Directory d) {
                return d.path();
            }
        }
        throw new IllegalStateException("no directory among " + locations);
    }

    /**
     * A router for the files under {@code pattern}, which must end in {@code /**} (e.g.
     * {@code "/static/**"} or {@code "/**"}); the rest of the path names the file. {@code GET} and
     * {@code HEAD} of a missing file answer 404; requests with other methods are routed only when the
     * file exists ({@code OPTIONS}: 200 with {@code Allow}; others: 405 with {@code Allow}), so that
     * other routes for the same paths (an upload endpoint, say) keep working.
     */
    public RouterFunction<ServerResponse> router(String pattern) {
        return new ResourceRouter(this, pattern);
    }

    /**
     * The same files and responses as {@link #router(String)}, as a {@link HandlerMapping} whose handlers are
     * {@link WebHandler}s writing straight into the response, as Spring's own static resources are served
     * ({@code SimpleUrlHandlerMapping} + {@code ResourceWebHandler}); this skips the functional endpoint
     * machinery ({@code ServerRequest}, {@code ServerResponse} and its result handling), which costs about
     * as much as serving a small file. Register it as a bean in a WebFlux application (Spring's
     * {@code SimpleHandlerAdapter}, which {@code @EnableWebFlux} and Boot provide, runs its handlers) and
     * give it an order with {@link AbstractHandlerMapping#setOrder}: Spring consults mappings by order,
     * router functions at -1, {@code @RequestMapping} controllers at 0, Boot's static resources at
     * {@code Ordered.LOWEST_PRECEDENCE - 1}; the default, {@code Ordered.LOWEST_PRECEDENCE}, comes after all
     * of them. Like the router, it answers 404 to {@code GET} and {@code HEAD} of a missing file under
     * {@code pattern}, and leaves requests with other methods for a missing file to later mappings.
     *
     * @param pattern the URL pattern, ending in {@code /**}
     * @return a new mapping; not shared, so its order and CORS settings are the caller's
     */
    public AbstractHandlerMapping handlerMapping(String pattern) {
        return new ResourceHandlerMapping(this, pattern, false);
    }

    /**
     * Like {@link #handlerMapping(String)}, but a file that is not found here, or found first in a
     * {@link Delegated} location, is left to the next mapping (Spring's stock resource handling).
     */
    AbstractHandlerMapping fallThroughHandlerMapping(String pattern) {
        return new ResourceHandlerMapping(this, pattern, true);
    }

    /**
     * The handler behind {@link #router(String)}: it serves the path variable {@value #PATH_VARIABLE}
     * when the route defines it, else the whole request path; 404 when there is no such file.
     */
    public HandlerFunction<ServerResponse> handler() {
        return new UringResourceHandler(this);
    }
}
