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
import java.nio.file.LinkOption;
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
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.MimeTypeUtils;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebHandler;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Serves one request of {@link UringResources}: resolve (name checks, real path, allowed locations,
 * precompressed variant), stat, method, conditionals, ranges, body.
 *
 * <p>One implementation for both front ends: {@link #reply} decides the status, writes the headers into
 * the headers it is given and returns the body writer; {@link #write} puts that straight into the
 * exchange's {@link ServerHttpResponse} (the {@link WebHandler} of {@link ResourceHandlerMapping}, like
 * Spring's own {@code ResourceWebHandler}), and {@link #serve} wraps it in a {@link ServerResponse} for
 * {@link UringResources#router(String)} and {@link UringResources#handler()}.
 *
 * <p>Threads: the name checks, the symbolic-link checks and the stats run on the calling thread (as
 * Spring's own resource handling checks files there); with io_uring the body's reads then run on the loop
 * thread. Without io_uring (see {@link UringGroups}) bodies go through Spring's zero-copy path or
 * {@code AsynchronousFileChannel}.
 */
final class UringResourceHandler implements HandlerFunction<ServerResponse> {
    private static final String ALLOW_FOR_OPTIONS = "GET,HEAD,OPTIONS";
    private static final String ALLOW_FOR_405 = "GET,HEAD";
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    private static final int MAX_CACHED_DATES = 4096;

    private final UringResources config;
    /** Real path of each served or allowed location, refreshed when a check fails (a re-pointed symlink). */
    private final Map<Path, Path> realLocations = new ConcurrentHashMap<>();
    /** Last-Modified values by epoch second, formatted once (a few microseconds each); cleared when large. */
    private final Map<Long, String> httpDates = new ConcurrentHashMap<>();

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
        return find(request.exchange().getRequest(), relative != null ? relative : request.path())
                .filter(f -> f.kind != Kind.DELEGATE)
                .flatMap(f -> serve(request, f))
                .switchIfEmpty(Mono.defer(() -> ServerResponse.notFound().build()));
    }

    /** {@link #findNow} when subscribed. */
    Mono<Found> find(ServerHttpRequest request, String relative) {
        return Mono.fromCallable(() -> findNow(request, relative));
    }

    /**
     * The file named by {@code relative} (a decoded path such as {@code /a/b.txt}) in the first location
     * that has it; null when none has it or the name is unsafe: any {@code ..} segment, a backslash or
     * a NUL, or a real path outside the allowed locations. Synchronous, on the calling thread: a few
     * system calls (see {@link #findIn}), no operator chain per location.
     */
    @Nullable Found findNow(ServerHttpRequest request, String relative) {
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

    private @Nullable Found findIn(ServerHttpRequest request, Path dir, String safe, @Nullable UringLoop loop) {
        try {
            return findInNow(request, dir, safe, loop);
        } catch (IOException e) {
            return null; // ENOENT, ENOTDIR, EACCES, ENAMETOOLONG, ELOOP...: not servable, like Spring's !isReadable()
        }
    }

    /**
     * The file {@code safe} names in {@code dir}, its precompressed variant or its directory's index file
     * (null when none is servable). Metadata only, on the calling thread: a stat there costs a system call,
     * while a statx through the ring would cost two thread hand-offs and an io-wq worker (the kernel never
     * runs statx inline).
     *
     * <p>The symbolic-link check: with the default allowed locations (each directory itself), a name none of
     * whose components below {@code dir} is a symbolic link cannot leave {@code dir}, so one {@code lstat}
     * per component (for {@code /app.css}: one, which is also the file's stat) replaces resolving the real
     * path (a {@code readlink} per component of the whole path, then a stat). A name with a link in it,
     * or explicit allowed locations, takes the real-path check.
     */
    private @Nullable Found findInNow(ServerHttpRequest request, Path dir, String safe, @Nullable UringLoop loop)
            throws IOException {
        Path candidate = safe.isEmpty() ? dir : dir.resolve(safe).normalize();
        if (!candidate.startsWith(dir)) {
            return null;
        }
        Path file = null;
        FileStat st = null;
        if (config.allowedLocations == null && candidate.getNameCount() > dir.getNameCount()) {
            BasicFileAttributes a = withoutLinksBelow(dir, candidate);
            if (a != null) {
                file = candidate;
                st = stat(a);
            }
        }
        if (file == null) {
            file = allowedRealPath(candidate, dir);
            if (file == null) {
                return null;
            }
            st = stat(file);
        }
        if (st.isDirectory()) {
            return index(request, file, dir, loop);
        }
        if (!st.isRegularFile()) {
            return null;
        }
        String name = candidate.getFileName() == null ? "" : candidate.getFileName().toString();
        Found variant = variant(request, file, dir, name, loop);
        return variant != null ? variant : new Found(Kind.FILE, file, st, null, name, loop);
    }

    /**
     * The attributes of {@code candidate} (under {@code dir}) when no component of it below {@code dir} is a
     * symbolic link, else null. Throws when a component is missing or not a directory.
     */
    private static @Nullable BasicFileAttributes withoutLinksBelow(Path dir, Path candidate) throws IOException {
        BasicFileAttributes a = null;
        for (int i = dir.getNameCount() + 1, n = candidate.getNameCount(); i <= n; i++) {
            Path p = i == n ? candidate : candidate.getRoot().resolve(candidate.subpath(0, i));
            a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isSymbolicLink()) {
                return null;
            }
        }
        return a;
    }

    /** The index file of directory {@code real}, or a redirect to the URL with the slash (null when none). */
    private @Nullable Found index(ServerHttpRequest request, Path real, Path dir, @Nullable UringLoop loop)
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
        boolean slash = request.getURI().getRawPath().endsWith("/");
        return new Found(slash ? Kind.FILE : Kind.REDIRECT, p, st, null, indexFile, loop);
    }

    /**
     * The first precompressed variant of {@code file} (a regular file already checked to lie in an allowed
     * location) that the request accepts, in the configured order, that is a regular file within the allowed
     * locations; null when none. A variant sits in {@code file}'s directory, so one that is not a symbolic
     * link needs no more checking than its {@code lstat}; a link takes the real-path check.
     */
    private @Nullable Found variant(ServerHttpRequest request, Path file, Path dir, String name, @Nullable UringLoop loop) {
        if (config.precompressed.isEmpty()
                || (request.getMethod() != HttpMethod.GET && request.getMethod() != HttpMethod.HEAD)) {
            return null;
        }
        List<String> accept = request.getHeaders().getOrEmpty(HttpHeaders.ACCEPT_ENCODING);
        if (accept.isEmpty()) {
            return null;
        }
        String accepted = accept.size() == 1 ? accept.get(0).toLowerCase(Locale.ROOT)
                : String.join(",", accept).toLowerCase(Locale.ROOT);
        for (String coding : config.precompressed) {
            // Substring match, as Spring's EncodedResourceResolver does.
            if (!accepted.contains(coding)) {
                continue;
            }
            Path variant = Path.of(file + UringResources.CODING_EXTENSIONS.get(coding));
            try {
                BasicFileAttributes a = Files.readAttributes(variant, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isSymbolicLink()) {
                    variant = allowedRealPath(variant, dir);
                    if (variant == null) {
                        continue;
                    }
                    a = Files.readAttributes(variant, BasicFileAttributes.class);
                }
                if (a.isRegularFile()) {
                    return new Found(Kind.FILE, variant, stat(a), coding, name, loop);
                }
            } catch (IOException e) {
                // No such variant (or gone meanwhile): try the next coding, else the plain file.
            }
        }
        return null;
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
        return stat(Files.readAttributes(file, BasicFileAttributes.class));
    }

    private static FileStat stat(BasicFileAttributes a) {
        int mode = a.isRegularFile() ? S_IFREG : a.isDirectory() ? S_IFDIR : 0;
        return new FileStat(a.size(), mode, 4096, a.lastModifiedTime().toInstant());
    }

    /** Writes a body into a response. */
    @FunctionalInterface
    interface Body {
        Mono<Void> write(ReactiveHttpOutputMessage message);
    }

    /**
     * What to answer; the headers are already in the {@link HttpHeaders} given to {@link #reply}.
     *
     * @param body the body writer, null for a response without a body
     */
    record Reply(HttpStatusCode status, @Nullable Body body) {
    }

    /**
     * The response for what {@link #find} returned (not {@link Kind#DELEGATE}), written straight into the
     * exchange's response: the {@link WebHandler} path.
     */
    Mono<Void> write(ServerWebExchange exchange, Found found) {
        ServerHttpResponse response = exchange.getResponse();
        Reply reply = reply(exchange, found, response.getHeaders());
        response.setStatusCode(reply.status);
        return reply.body == null ? response.setComplete() : reply.body.write(response);
    }

    /** The same response as a {@link ServerResponse}: the functional endpoint path. */
    Mono<ServerResponse> serve(ServerRequest request, Found found) {
        HttpHeaders headers = new HttpHeaders();
        Reply reply = reply(request.exchange(), found, headers);
        ServerResponse.BodyBuilder b = ServerResponse.status(reply.status).headers(h -> h.addAll(headers));
        Body body = reply.body;
        return body == null ? b.build() : b.body((message, context) -> body.write(message));
    }

    /**
     * Status and body for what {@link #find} returned (not {@link Kind#DELEGATE}); the response headers go
     * into {@code headers}.
     */
    Reply reply(ServerWebExchange exchange, Found found, HttpHeaders headers) {
        ServerHttpRequest request = exchange.getRequest();
        HttpMethod method = request.getMethod();
        if (method == HttpMethod.OPTIONS) {
            headers.set(HttpHeaders.ALLOW, ALLOW_FOR_OPTIONS);
            return new Reply(HttpStatus.OK, null);
        }
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            headers.set(HttpHeaders.ALLOW, ALLOW_FOR_405);
            return new Reply(HttpStatus.METHOD_NOT_ALLOWED, null);
        }
        if (found.kind == Kind.REDIRECT) {
            String query = request.getURI().getRawQuery();
            headers.set(HttpHeaders.LOCATION, request.getURI().getRawPath() + "/" + (query == null ? "" : "?" + query));
            return new Reply(HttpStatus.MOVED_PERMANENTLY, null);
        }
        FileStat stat = found.stat;
        assert stat != null;
        String etag = etag(stat);
        Instant lastModified = stat.lastModified();
        if (preconditionFails(request, etag, config.useLastModified ? lastModified : null)) {
            validators(headers, etag, lastModified);
            return new Reply(HttpStatus.PRECONDITION_FAILED, null);
        }
        if (notModified(exchange, etag, lastModified)) {
            HttpStatusCode status = exchange.getResponse().getStatusCode();
            validators(headers, etag, lastModified);
            cacheHeaders(headers, found);
            return new Reply(status == null ? HttpStatus.NOT_MODIFIED : status, null);
        }
        return respond(exchange, found, stat, etag, headers);
    }

    private void validators(HttpHeaders headers, String etag, Instant lastModified) {
        headers.setETag(etag);
        if (config.useLastModified) {
            headers.set(HttpHeaders.LAST_MODIFIED, httpDate(lastModified));
        }
    }

    /** {@code t} as an HTTP date, as {@link HttpHeaders#setLastModified(Instant)} writes it. */
    String httpDate(Instant t) {
        Long second = t.getEpochSecond();
        String date = httpDates.get(second);
        if (date == null) {
            HttpHeaders scratch = new HttpHeaders();
            scratch.setLastModified(second * 1000);
            date = scratch.getFirst(HttpHeaders.LAST_MODIFIED);
            if (httpDates.size() >= MAX_CACHED_DATES) {
                httpDates.clear();
            }
            httpDates.put(second, date);
        }
        return date;
    }

    private void cacheHeaders(HttpHeaders headers, Found found) {
        if (config.cacheControl != null && config.cacheControl.getHeaderValue() != null) {
            headers.setCacheControl(config.cacheControl);
        }
        if (found.encoding != null) {
            headers.set(HttpHeaders.CONTENT_ENCODING, found.encoding);
            headers.set(HttpHeaders.VARY, HttpHeaders.ACCEPT_ENCODING);
        }
    }

    /**
     * If-None-Match (with {@code *} matching any existing file, RFC 9110 13.1.2, which Spring leaves out
     * for GET/HEAD) else If-Modified-Since; on a match the exchange's response carries 304 and validators.
     */
    private boolean notModified(ServerWebExchange exchange, String etag, Instant lastModified) {
        HttpHeaders requestHeaders = exchange.getRequest().getHeaders();
        List<String> ifNoneMatch = requestHeaders.getOrEmpty(HttpHeaders.IF_NONE_MATCH);
        for (String value : ifNoneMatch) {
            for (String tag : value.split(",")) {
                if (tag.trim().equals("*")) {
                    exchange.getResponse().setStatusCode(HttpStatus.NOT_MODIFIED);
                    return true;
                }
            }
        }
        // Without If-None-Match and If-Modified-Since nothing can answer 304, and checkNotModified would only
        // format validators into the response that are set (and parsed back) again.
        if (ifNoneMatch.isEmpty() && requestHeaders.getFirst(HttpHeaders.IF_MODIFIED_SINCE) == null) {
            return false;
        }
        return config.useLastModified ? exchange.checkNotModified(etag, lastModified) : exchange.checkNotModified(etag);
    }

    /**
     * RFC 9110 13.2.2 steps 1-2, which Spring's {@code checkNotModified} leaves to the handler for GET and
     * HEAD: If-Match (strong comparison, {@code *} matches) else If-Unmodified-Since.
     */
    private static boolean preconditionFails(ServerHttpRequest request, String etag, @Nullable Instant lastModified) {
        List<String> ifMatch = request.getHeaders().getOrEmpty(HttpHeaders.IF_MATCH);
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
        if (lastModified == null || request.getHeaders().getFirst(HttpHeaders.IF_UNMODIFIED_SINCE) == null) {
            return false;
        }
        long since = request.getHeaders().getFirstDate(HttpHeaders.IF_UNMODIFIED_SINCE);
        return since != -1 && lastModified.getEpochSecond() > since / 1000;
    }

    /** Strong validator from size and nanosecond mtime, as nginx derives its ETag from inode metadata. */
    static String etag(FileStat stat) {
        Instant t = stat.lastModified();
        return "\"" + Long.toHexString(stat.size()) + "-" + Long.toHexString(t.getEpochSecond()) + "."
                + Integer.toHexString(t.getNano()) + "\"";
    }

    private Reply respond(ServerWebExchange exchange, Found found, FileStat stat, String etag, HttpHeaders headers) {
        ServerHttpRequest request = exchange.getRequest();
        long length = stat.size();
        Path file = found.file;
        MediaType type = MediaTypeFactory.getMediaType(found.typeName).orElse(MediaType.APPLICATION_OCTET_STREAM);
        boolean head = request.getMethod() == HttpMethod.HEAD;
        String rangeHeader = head ? null : request.getHeaders().getFirst(HttpHeaders.RANGE);
        List<long[]> regions = null;
        if (rangeHeader != null && ifRangeMatches(request, etag, stat.lastModified())) {
            regions = regions(rangeHeader, length);
            if (regions == null) {
                headers.set(HttpHeaders.CONTENT_RANGE, "bytes */" + length);
                return new Reply(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE, null);
            }
        }
        validators(headers, etag, stat.lastModified());
        cacheHeaders(headers, found);
        headers.set(HttpHeaders.ACCEPT_RANGES, "bytes");
        if (regions == null) {
            headers.setContentType(type);
            headers.setContentLength(length);
            return new Reply(HttpStatus.OK, head ? null : body(request, found.loop, file, 0, length));
        }
        if (regions.size() == 1) {
            long[] r = regions.get(0);
            headers.setContentType(type);
            headers.setContentLength(r[1]);
            headers.set(HttpHeaders.CONTENT_RANGE, contentRange(r, length));
            return new Reply(HttpStatus.PARTIAL_CONTENT, body(request, found.loop, file, r[0], r[1]));
        }
        return multipart(headers, found.loop, file, type, regions, length);
    }

    /** If-Range absent, or equal to the current strong ETag, or to the current Last-Modified date. */
    private static boolean ifRangeMatches(ServerHttpRequest request, String etag, Instant lastModified) {
        String ifRange = request.getHeaders().getFirst(HttpHeaders.IF_RANGE);
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
    private Body body(ServerHttpRequest request, @Nullable UringLoop loop, Path file, long position, long count) {
        boolean zeroCopy = zeroCopy(request);
        return message -> {
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
    boolean zeroCopy(ServerHttpRequest request) {
        if (config.zeroCopy == UringResources.ZeroCopy.NEVER) {
            return false;
        }
        if (request.getSslInfo() != null) {
            return false;
        }
        return !(config.compression && !request.getHeaders().getOrEmpty(HttpHeaders.ACCEPT_ENCODING).isEmpty());
    }

    private Reply multipart(HttpHeaders headers, @Nullable UringLoop loop, Path file, MediaType type,
                            List<long[]> regions, long length) {
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
        headers.setContentType(MediaType.parseMediaType("multipart/byteranges; boundary=" + boundary));
        headers.setContentLength(total);
        Body body = message -> {
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
        return new Reply(HttpStatus.PARTIAL_CONTENT, body);
    }

    private Flux<DataBuffer> part(UringFile f, DataBufferFactory factory, byte[] head, long[] region) {
        return Mono.fromSupplier(() -> factory.wrap(head))
                .concatWith(UringDataBuffers.read(f, region[0], region[1], factory, config.chunkSize, config.readAhead));
    }
}
