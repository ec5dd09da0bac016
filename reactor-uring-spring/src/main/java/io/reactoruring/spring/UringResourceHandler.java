package io.reactoruring.spring;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.file.FileStat;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpRange;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.MediaTypeFactory;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.ZeroCopyHttpOutputMessage;
import org.springframework.util.MimeTypeUtils;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Serves one request of {@link UringResources}: resolve, statx, conditionals, ranges, body.
 * Runs on whatever thread the server calls it on; after the statx it continues on the io_uring
 * loop thread, where it does no blocking work.
 */
final class UringResourceHandler implements HandlerFunction<ServerResponse> {
    private final UringResources config;

    UringResourceHandler(UringResources config) {
        this.config = config;
    }

    @Override
    public Mono<ServerResponse> handle(ServerRequest request) {
        String relative = request.pathVariables().get(UringResources.PATH_VARIABLE);
        Path file = resolve(relative != null ? relative : request.path());
        if (file == null) {
            return ServerResponse.notFound().build();
        }
        UringLoopGroup group = config.group != null ? config.group : UringLoopGroup.shared();
        UringLoop loop = group.next();
        return statRegular(loop, file)
                .flatMap(found -> serve(request, loop, found.path, found.stat))
                .switchIfEmpty(Mono.defer(() -> ServerResponse.notFound().build()));
    }

    /**
     * The file under the root named by {@code relative} (a decoded path such as {@code /a/b.txt}), or
     * null when the name is unsafe: any {@code ..} segment, a backslash or a NUL, or a result outside
     * the root. Symbolic links inside the root are followed, as Spring's resource handling does.
     */
    @Nullable Path resolve(String relative) {
        if (relative.indexOf('\0') >= 0 || relative.indexOf('\\') >= 0) {
            return null;
        }
        for (String segment : relative.split("/")) {
            if (segment.equals("..")) {
                return null;
            }
        }
        String trimmed = relative.replaceFirst("^/+", "");
        Path file = trimmed.isEmpty() ? config.root : config.root.resolve(trimmed).normalize();
        return file.startsWith(config.root) ? file : null;
    }

    private record Found(Path path, FileStat stat) {
    }

    /** The regular file at {@code file} (or its index file if a directory); empty when there is none. */
    private Mono<Found> statRegular(UringLoop loop, Path file) {
        return UringFiles.stat(loop, file)
                .flatMap(st -> {
                    if (st.isDirectory() && config.indexFile != null) {
                        Path index = file.resolve(config.indexFile);
                        return UringFiles.stat(loop, index).map(s -> new Found(index, s));
                    }
                    return Mono.just(new Found(file, st));
                })
                // ENOENT, ENOTDIR, EACCES, ENAMETOOLONG, ELOOP...: not servable, like Spring's !isReadable().
                .onErrorResume(FileSystemException.class, e -> Mono.empty())
                .filter(found -> found.stat.isRegularFile());
    }

    private Mono<ServerResponse> serve(ServerRequest request, UringLoop loop, Path file, FileStat stat) {
        String etag = etag(stat);
        Instant lastModified = stat.lastModified();
        if (preconditionFails(request, etag, lastModified)) {
            return ServerResponse.status(HttpStatus.PRECONDITION_FAILED).eTag(etag).lastModified(lastModified).build();
        }
        return request.checkNotModified(lastModified, etag)
                .switchIfEmpty(Mono.defer(() -> respond(request, loop, file, stat, etag)));
    }

    /**
     * RFC 9110 13.2.2 steps 1-2, which Spring's {@code checkNotModified} leaves to the handler for GET and
     * HEAD: If-Match (strong comparison, {@code *} matches) else If-Unmodified-Since.
     */
    private static boolean preconditionFails(ServerRequest request, String etag, Instant lastModified) {
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
        long since = request.headers().asHttpHeaders().getFirstDate(HttpHeaders.IF_UNMODIFIED_SINCE);
        return since != -1 && lastModified.getEpochSecond() > since / 1000;
    }

    /** Strong validator from size and nanosecond mtime, as nginx derives its ETag from inode metadata. */
    static String etag(FileStat stat) {
        Instant t = stat.lastModified();
        return "\"" + Long.toHexString(stat.size()) + "-" + Long.toHexString(t.getEpochSecond()) + "."
                + Integer.toHexString(t.getNano()) + "\"";
    }

    private Mono<ServerResponse> respond(ServerRequest request, UringLoop loop, Path file, FileStat stat,
                                         String etag) {
        long length = stat.size();
        MediaType type = MediaTypeFactory.getMediaType(file.getFileName().toString())
                .orElse(MediaType.APPLICATION_OCTET_STREAM);
        ServerResponse.BodyBuilder ok = ServerResponse.ok()
                .eTag(etag)
                .lastModified(stat.lastModified())
                .header(HttpHeaders.ACCEPT_RANGES, "bytes");
        if (request.method() == HttpMethod.HEAD) {
            return ok.contentType(type).contentLength(length).build();
        }
        String rangeHeader = request.headers().firstHeader(HttpHeaders.RANGE);
        if (rangeHeader == null || !ifRangeMatches(request, etag, stat.lastModified())) {
            return ok.contentType(type).contentLength(length).body(body(request, loop, file, 0, length));
        }
        List<long[]> regions = regions(rangeHeader, length);
        if (regions == null) {
            return ServerResponse.status(HttpStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                    .header(HttpHeaders.CONTENT_RANGE, "bytes */" + length)
                    .build();
        }
        ServerResponse.BodyBuilder partial = ServerResponse.status(HttpStatus.PARTIAL_CONTENT)
                .eTag(etag)
                .lastModified(stat.lastModified())
                .header(HttpHeaders.ACCEPT_RANGES, "bytes");
        if (regions.size() == 1) {
            long[] r = regions.get(0);
            return partial.contentType(type)
                    .contentLength(r[1])
                    .header(HttpHeaders.CONTENT_RANGE, contentRange(r, length))
                    .body(body(request, loop, file, r[0], r[1]));
        }
        return multipart(partial, loop, file, type, regions, length);
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
     * else io_uring reads into buffers of the response's factory type.
     */
    private BodyInserter<Void, ReactiveHttpOutputMessage> body(ServerRequest request, UringLoop loop, Path file,
                                                             long position, long count) {
        boolean zeroCopy = zeroCopy(request);
        return (message, context) -> {
            if (zeroCopy && message instanceof ZeroCopyHttpOutputMessage zc) {
                return zc.writeWith(file, position, count);
            }
            return message.writeWith(UringDataBuffers.read(loop, file, position, count, message.bufferFactory(),
                    config.chunkSize, config.readAhead));
        };
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

    private Mono<ServerResponse> multipart(ServerResponse.BodyBuilder partial, UringLoop loop, Path file, MediaType type,
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
        BodyInserter<Void, ReactiveHttpOutputMessage> body = (message, context) -> {
            DataBufferFactory factory = message.bufferFactory();
            return message.writeWith(Flux.usingWhen(
                    UringFiles.open(loop, file, Set.of(StandardOpenOption.READ)),
                    f -> Flux.range(0, regions.size()).concatMap(i -> part(f, factory, heads.get(i), regions.get(i)))
                            .concatWith(Mono.fromSupplier(() -> factory.wrap(tail))),
                    UringFile::close));
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
