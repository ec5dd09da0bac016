package io.reactoruring.spring;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.file.FileStat;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.io.IOException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.Resource;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpRange;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.MediaTypeFactory;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.ZeroCopyHttpOutputMessage;
import org.springframework.util.MimeTypeUtils;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Serves one request of {@link UringResources}: resolve (name checks, real path, allowed locations,
 * precompressed variant), stat, method, conditionals, ranges, body.
 *
 * <p>Threads: the name checks, {@link Path#toRealPath} and the stats run on the calling thread (as Spring's
 * own resource handling checks files there); with io_uring the body's reads then run on the loop thread.
 * Without io_uring (see {@link UringGroups}) bodies go through Spring's zero-copy path or
 * {@code AsynchronousFileChannel}.
 */
final class UringResourceHandler implements HandlerFunction<ServerResponse> {
    private static final String ALLOW_FOR_OPTIONS = "GET,HEAD,OPTIONS";
    private static final String ALLOW_FOR_405 = "GET,HEAD";
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;

    private final UringResources config;
    /** Real path of each served or allowed location, refreshed when a check fails (a re-pointed symlink). */
    private final Map<Path, Path> realLocations = new ConcurrentHashMap<>();

    UringResourceHandler(UringResources config) {
        this.config = config;
    }

    /** What a request resolved to. */
    enum Kind {
        /** A regular file to serve. */
        FILE,
        /** A directory with an index file, requested without the trailing slash. */
        REDIRECT,
        /** Found first in a location Spring's stock handling serves. */
        DELEGATE
    }

    /**
     * @param file     the file whose bytes are sent (a precompressed variant, when {@code encoding} is set)
     * @param typeName the name whose extension gives the Content-Type
     * @param loop     the io_uring loop that serves the body, or null without io_uring
     */
    record Found(Kind kind, Path file, @Nullable FileStat stat, @Nullable String encoding, String typeName,
                 @Nullable UringLoop loop) {
    }

    @Override
    public Mono<ServerResponse> handle(ServerRequest request) {
        String relative = request.pathVariables().get(UringResources.PATH_VARIABLE);
        return find(request, relative != null ? relative : request.path())
                .filter(f -> f.kind != Kind.DELEGATE)
                .flatMap(f -> serve(request, f))
                .switchIfEmpty(Mono.defer(() -> ServerResponse.notFound().build()));
    }

    /** {@link #findNow} when subscribed. */
    Mono<Found> find(ServerRequest request, String relative) {
        return Mono.fromCallable(() -> findNow(request, relative));
    }

    /**
     * The file named by {@code relative} (a decoded path such as {@code /a/b.txt}) in the first location
     * that has it; null when none has it or the name is unsafe: any {@code ..} segment, a backslash or
     * a NUL, or a real path outside the allowed locations. Synchronous, on the calling thread: a few
     * system calls (see {@link #findIn}), no operator chain per location.
     */
    @Nullable Found findNow(ServerRequest request, String relative) {
        String safe = safeRelative(relative);
        if (safe == null) {
            return null;
        }
        UringLoopGroup group = config.group != null ? config.group : UringGroups.sharedOrNull();
        UringLoop loop = group == null ? null : group.next();
        for (UringResources.Location location : config.locations) {
            Found f = location instanceof UringResources.Directory d
                    ? findIn(request, d.path(), safe, loop)
                    : delegated(((UringResources.Delegated) location).resource(), safe);
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    /** {@code relative} without leading slashes, or null when unsafe. */
    static @Nullable String safeRelative(String relative) {
        if (relative.indexOf('\0') >= 0 || relative.indexOf('\\') >= 0) {
            return null;
        }
        int n = relative.length();
        for (int i = 0; i <= n; ) {
            int end = relative.indexOf('/', i);
            if (end < 0) {
                end = n;
            }
            if (end - i == 2 && relative.charAt(i) == '.' && relative.charAt(i + 1) == '.') {
                return null;
            }
            i = end + 1;
        }
        int start = 0;
        while (start < n && relative.charAt(start) == '/') {
            start++;
        }
        return relative.substring(start);
    }

    /** The path {@code relative} names under the first directory (null when unsafe); for tests. */
    @Nullable Path resolve(String relative) {
        String safe = safeRelative(relative);
        if (safe == null) {
            return null;
        }
        Path root = config.root();
        Path file = safe.isEmpty() ? root : root.resolve(safe).normalize();
        return file.startsWith(root) ? file : null;
    }

    private @Nullable Found delegated(Resource location, String safe) {
        if (safe.isEmpty()) {
            return null;
        }
        try {
            Resource r = location.createRelative(safe);
            return r.isReadable() ? new Found(Kind.DELEGATE, Path.of(safe), null, null, safe, null) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private @Nullable Found findIn(ServerRequest request, Path dir, String safe, @Nullable UringLoop loop) {
        try {
            return findInNow(request, dir, safe, loop);
        } catch (IOException e) {
            return null; // ENOENT, ENOTDIR, EACCES, ENAMETOOLONG, ELOOP...: not servable, like Spring's !isReadable()
        }
    }

    /**
     * The file {@code safe} names in {@code dir}, its precompressed variant or its directory's index file
     * (null when none is servable). Metadata only, on the calling thread: the real-path check already
     * walks every component of the name there, so one more stat costs a system call, while a statx through
     * the ring would cost two thread hand-offs and an io-wq worker (the kernel never runs statx inline).
     */
    private @Nullable Found findInNow(ServerRequest request, Path dir, String safe, @Nullable UringLoop loop)
            throws IOException {
        Path candidate = safe.isEmpty() ? dir : dir.resolve(safe).normalize();
        if (!candidate.startsWith(dir)) {
            return null;
        }
        Path real = allowedRealPath(candidate, dir);
        if (real == null) {
            return null;
        }
        FileStat st = stat(real);
        if (st.isDirectory()) {
            return index(request, real, dir, loop);
        }
        if (!st.isRegularFile()) {
            return null;
        }
        String name = candidate.getFileName() == null ? "" : candidate.getFileName().toString();
        for (String[] v : variants(request, real, dir)) {
            Path variant = Path.of(v[1]);
            try {
                FileStat vs = stat(variant);
                if (vs.isRegularFile()) {
                    return new Found(Kind.FILE, variant, vs, v[0], name, loop);
                }
            } catch (IOException e) {
                // Gone since its real path was resolved: try the next variant, else the plain file.
            }
        }
        return new Found(Kind.FILE, real, st, null, name, loop);
    }

    /** The index file of directory {@code real}, or a redirect to the URL with the slash (null when none). */
    private @Nullable Found index(ServerRequest request, Path real, Path dir, @Nullable UringLoop loop)
            throws IOException {
        String indexFile = config.indexFile;
        if (indexFile == null) {
            return null;
        }
        Path p = allowedRealPath(real.resolve(indexFile), dir);
        if (p == null) {
            return null;
        }
        FileStat st = stat(p);
        if (!st.isRegularFile()) {
            return null;
        }
        boolean slash = request.uri().getRawPath().endsWith("/");
        return new Found(slash ? Kind.FILE : Kind.REDIRECT, p, st, null, indexFile, loop);
    }

    /**
     * {coding, path} of each precompressed variant of {@code real} the request accepts, in the configured
     * order, that exists within the allowed locations (checked here, on the calling thread).
     */
    private List<String[]> variants(ServerRequest request, Path real, Path dir) {
        if (config.precompressed.isEmpty()
                || (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD)) {
            return List.of();
        }
        List<String> accept = request.headers().header(HttpHeaders.ACCEPT_ENCODING);
        if (accept.isEmpty()) {
            return List.of();
        }
        String accepted = String.join(",", accept).toLowerCase(Locale.ROOT);
        List<String[]> out = new ArrayList<>(2);
        for (String coding : config.precompressed) {
            // Substring match, as Spring's EncodedResourceResolver does.
            if (accepted.contains(coding)) {
                Path variant = allowedRealPath(Path.of(real + UringResources.CODING_EXTENSIONS.get(coding)), dir);
                if (variant != null) {
                    out.add(new String[] {coding, variant.toString()});
                }
            }
        }
        return out;
    }

    /** The real path of {@code p} if it exists and lies under an allowed location, else null. */
    private @Nullable Path allowedRealPath(Path p, Path dir) {
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException | SecurityException e) {
            return null;
        }
        List<Path> allowed = config.allowedLocations != null ? config.allowedLocations : List.of(dir);
        for (Path location : allowed) {
            if (under(real, location)) {
                return real;
            }
        }
        return null;
    }

    private boolean under(Path real, Path location) {
        Path cached = realLocations.get(location);
        if (cached != null && real.startsWith(cached)) {
            return true;
        }
        try {
            Path fresh = location.toRealPath();
            realLocations.put(location, fresh);
            return real.startsWith(fresh);
        } catch (IOException | SecurityException e) {
            return false;
        }
    }

    private static FileStat stat(Path file) throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        int mode = a.isRegularFile() ? S_IFREG : a.isDirectory() ? S_IFDIR : 0;
        return new FileStat(a.size(), mode, 4096, a.lastModifiedTime().toInstant());
    }

    /** The response for what {@link #find} returned (not {@link Kind#DELEGATE}). */
    Mono<ServerResponse> serve(ServerRequest request, Found found) {
        HttpMethod method = request.method();
        if (method == HttpMethod.OPTIONS) {
            return ServerResponse.ok().header(HttpHeaders.ALLOW, ALLOW_FOR_OPTIONS).build();
        }
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            return ServerResponse.status(HttpStatus.METHOD_NOT_ALLOWED).header(HttpHeaders.ALLOW, ALLOW_FOR_405).build();
        }
        if (found.kind == Kind.REDIRECT) {
            String query = request.uri().getRawQuery();
            return ServerResponse.status(HttpStatus.MOVED_PERMANENTLY)
                    .header(HttpHeaders.LOCATION, request.uri().getRawPath() + "/" + (query == null ? "" : "?" + query))
                    .build();
        }
        FileStat stat = found.stat;
        assert stat != null;
        String etag = etag(stat);
        Instant lastModified = stat.lastModified();
        if (preconditionFails(request, etag, config.useLastModified ? lastModified : null)) {
            return validators(ServerResponse.status(HttpStatus.PRECONDITION_FAILED), etag, lastModified).build();
        }
        if (notModified(request, etag, lastModified)) {
            HttpStatusCode status = request.exchange().getResponse().getStatusCode();
            return cacheHeaders(validators(ServerResponse.status(status == null ? HttpStatus.NOT_MODIFIED : status),
                    etag, lastModified), found).build();
        }
        return respond(request, found, stat, etag);
    }

    private ServerResponse.BodyBuilder validators(ServerResponse.BodyBuilder b, String etag, Instant lastModified) {
        b.eTag(etag);
        if (config.useLastModified) {
            b.lastModified(lastModified);
        }
        return b;
    }

    private ServerResponse.BodyBuilder cacheHeaders(ServerResponse.BodyBuilder b, Found found) {
        if (config.cacheControl != null && config.cacheControl.getHeaderValue() != null) {
            b.cacheControl(config.cacheControl);
        }
        if (found.encoding != null) {
            b.header(HttpHeaders.CONTENT_ENCODING, found.encoding).header(HttpHeaders.VARY, HttpHeaders.ACCEPT_ENCODING);
        }
        return b;
    }

    /**
     * If-None-Match (with {@code *} matching any existing file, RFC 9110 13.1.2, which Spring leaves out
     * for GET/HEAD) else If-Modified-Since; on a match the exchange's response carries 304 and validators.
     */
    private boolean notModified(ServerRequest request, String etag, Instant lastModified) {
        ServerWebExchange exchange = request.exchange();
        for (String value : request.headers().header(HttpHeaders.IF_NONE_MATCH)) {
            for (String tag : value.split(",")) {
                if (tag.trim().equals("*")) {
                    exchange.getResponse().setStatusCode(HttpStatus.NOT_MODIFIED);
                    return true;
                }
            }
        }
        // Without If-None-Match and If-Modified-Since nothing can answer 304, and checkNotModified would only
        // format validators into the response that the builder then sets (and parses back) again.
        if (request.headers().header(HttpHeaders.IF_NONE_MATCH).isEmpty()
                && request.headers().header(HttpHeaders.IF_MODIFIED_SINCE).isEmpty()) {
            return false;
        }
        return config.useLastModified ? exchange.checkNotModified(etag, lastModified) : exchange.checkNotModified(etag);
    }

    /**
     * RFC 9110 13.2.2 steps 1-2, which Spring's {@code checkNotModified} leaves to the handler for GET and
     * HEAD: If-Match (strong comparison, {@code *} matches) else If-Unmodified-Since.
     */
    private static boolean preconditionFails(ServerRequest request, String etag, @Nullable Instant lastModified) {
        List<String> ifMatch = request.headers().header(HttpHeaders.IF_MATCH);
        if (!ifMatch.isEmpty()) {
            for (String value : ifMatch) {
                for (String tag : value.split(",")) {
                    String t = tag.trim();
                    if (t.equals("*") || t.equals(etag)) {
                        return false;
                    }
                }
            }
            return true;
        }
        if (lastModified == null) {
            return false;
        }
        long since = request.headers().asHttpHeaders().getFirstDate(HttpHeaders.IF_UNMODIFIED_SINCE);
        return since != -1 && lastModified.getEpochSecond() > since / 1000;
    }

    /** Strong validator from size and nanosecond mtime, as nginx derives its ETag from inode metadata. */
    static String etag(FileStat stat) {
        Instant t = stat.lastModified();
        return "\"" + Long.toHexString(stat.size()) + "-" + Long.toHexString(t.getEpochSecond()) + "."
                + Integer.toHexString(t.getNano()) + "\"";
    }

    private Mono<ServerResponse> respond(ServerRequest request, Found found, FileStat stat, String etag) {
        long length = stat.size();
        Path file = found.file;
        MediaType type = MediaTypeFactory.getMediaType(found.typeName).orElse(MediaType.APPLICATION_OCTET_STREAM);
        ServerResponse.BodyBuilder ok = cacheHeaders(validators(ServerResponse.ok(), etag, stat.lastModified()), found)
                .header(HttpHeaders.ACCEPT_RANGES, "bytes");
        if (request.method() == HttpMethod.HEAD) {
            return ok.contentType(type).contentLength(length).build();
        }
        String rangeHeader = request.headers().firstHeader(HttpHeaders.RANGE);
        if (rangeHeader == null || !ifRangeMatches(request, etag, stat.lastModified())) {
            return ok.contentType(type).contentLength(length).body(body(request, found.loop, file, 0, length));
        }
        List<long[]> regions = regions(rangeHeader, length);
        if (regions == null) {
            return ServerResponse.status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    .header(HttpHeaders.CONTENT_RANGE, "bytes */" + length)
                    .build();
        }
        ServerResponse.BodyBuilder partial = cacheHeaders(validators(ServerResponse.status(HttpStatus.PARTIAL_CONTENT),
                etag, stat.lastModified()), found)
                .header(HttpHeaders.ACCEPT_RANGES, "bytes");
        if (regions.size() == 1) {
            long[] r = regions.get(0);
            return partial.contentType(type)
                    .contentLength(r[1])
                    .header(HttpHeaders.CONTENT_RANGE, contentRange(r, length))
                    .body(body(request, found.loop, file, r[0], r[1]));
        }
        return multipart(partial, found.loop, file, type, regions, length);
    }

    /** If-Range absent, or equal to the current strong ETag, or to the current Last-Modified date. */
    private static boolean ifRangeMatches(ServerRequest request, String etag, Instant lastModified) {
        String ifRange = request.headers().firstHeader(HttpHeaders.IF_RANGE);
        if (ifRange == null) {
            return true;
        }
        if (ifRange.startsWith("\"") || ifRange.startsWith("W/")) {
            return ifRange.equals(etag);
        }
        try {
            ZonedDateTime date = ZonedDateTime.parse(ifRange, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
            return date.toEpochSecond() == lastModified.getEpochSecond();
        } catch (java.time.format.DateTimeParseException e) {
            return false;
        }
    }

    /**
     * {start, count} per requested range, or null for 416: malformed header, a range starting at or
     * past the end, or ranges adding up to more than the file (Spring's guard against amplification).
     */
    static @Nullable List<long[]> regions(String rangeHeader, long length) {
        try {
            List<HttpRange> ranges = HttpRange.parseRanges(rangeHeader);
            if (ranges.isEmpty()) {
                return null;
            }
            List<long[]> out = new ArrayList<>(ranges.size());
            long total = 0;
            for (HttpRange range : ranges) {
                long start = range.getRangeStart(length);
                long end = range.getRangeEnd(length);
                if (start > end || start >= length) {
                    return null;
                }
                out.add(new long[] {start, end - start + 1});
                total += end - start + 1;
            }
            return total > length ? null : out;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static String contentRange(long[] region, long length) {
        return "bytes " + region[0] + "-" + (region[0] + region[1] - 1) + "/" + length;
    }

    /**
     * The body for one region: the server's zero-copy transfer where {@link #zeroCopy} allows it,
     * else io_uring reads into buffers of the response's factory type (NIO reads without io_uring).
     */
    private BodyInserter<Void, ReactiveHttpOutputMessage> body(ServerRequest request, @Nullable UringLoop loop, Path file,
                                                             long position, long count) {
        boolean zeroCopy = zeroCopy(request);
        return (message, context) -> {
            if (zeroCopy && message instanceof ZeroCopyHttpOutputMessage zc) {
                return zc.writeWith(file, position, count);
            }
            if (loop == null) {
                return message.writeWith(nioRead(file, position, count, message.bufferFactory()));
            }
            return message.writeWith(UringDataBuffers.read(loop, file, position, count, message.bufferFactory(),
                    config.chunkSize, config.readAhead));
        };
    }

    private Flux<DataBuffer> nioRead(Path file, long position, long count, DataBufferFactory factory) {
        if (count == 0) {
            return Flux.empty();
        }
        return DataBufferUtils.takeUntilByteCount(DataBufferUtils.readAsynchronousFileChannel(
                () -> AsynchronousFileChannel.open(file, StandardOpenOption.READ), position, factory, config.chunkSize), count);
    }

    /** Plain connection, no compression to apply, and zero-copy not turned off. */
    boolean zeroCopy(ServerRequest request) {
        if (config.zeroCopy == UringResources.ZeroCopy.NEVER) {
            return false;
        }
        if (request.exchange().getRequest().getSslInfo() != null) {
            return false;
        }
        return !(config.compression && !request.headers().header(HttpHeaders.ACCEPT_ENCODING).isEmpty());
    }

    private Mono<ServerResponse> multipart(ServerResponse.BodyBuilder partial, @Nullable UringLoop loop, Path file,
                                           MediaType type, List<long[]> regions, long length) {
        String boundary = MimeTypeUtils.generateMultipartBoundaryString();
        List<byte[]> heads = new ArrayList<>(regions.size());
        long total = 0;
        for (long[] r : regions) {
            byte[] head = ("\r\n--" + boundary + "\r\nContent-Type: " + type + "\r\nContent-Range: "
                    + contentRange(r, length) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            heads.add(head);
            total += head.length + r[1];
        }
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII);
        total += tail.length;
        BodyInserter<Void, ReactiveHttpOutputMessage> body = (message, context) -> {
            DataBufferFactory factory = message.bufferFactory();
            Flux<DataBuffer> parts = loop == null
                    ? Flux.range(0, regions.size()).concatMap(i -> Mono.fromSupplier(() -> factory.wrap(heads.get(i)))
                            .concatWith(nioRead(file, regions.get(i)[0], regions.get(i)[1], factory)))
                    : Flux.usingWhen(
                            UringFiles.open(loop, file, Set.of(StandardOpenOption.READ)),
                            f -> Flux.range(0, regions.size()).concatMap(i -> part(f, factory, heads.get(i), regions.get(i))),
                            UringFile::close);
            return message.writeWith(parts.concatWith(Mono.fromSupplier(() -> factory.wrap(tail))));
        };
        return partial.contentType(MediaType.parseMediaType("multipart/byteranges; boundary=" + boundary))
                .contentLength(total)
                .body(body);
    }

    private Flux<DataBuffer> part(UringFile f, DataBufferFactory factory, byte[] head, long[] region) {
        return Mono.fromSupplier(() -> factory.wrap(head))
                .concatWith(UringDataBuffers.read(f, region[0], region[1], factory, config.chunkSize, config.readAhead));
    }
}
