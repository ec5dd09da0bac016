package io.reactoruring.examples.http;

import io.reactoruring.core.SharedFd;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.file.FileStat;
import io.reactoruring.file.UringFile;
import io.reactoruring.file.UringFiles;
import io.reactoruring.net.UringOutbound;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Answers one parsed request from files under a root directory: GET and HEAD of regular files,
 * single byte ranges, and the error statuses. Files are opened and stat'ed through reactor-uring-file
 * on the connection's loop. A small response is read into one pooled native buffer behind its head,
 * released once sent; a larger body follows its head with {@link UringOutbound#sendFile} (SPLICE
 * file → pipe → socket, which opens the file again by path: a file replaced in between is sent
 * as it is then, and if it is shorter than the promised length the connection fails).
 *
 * <p>Directories are not listed and have no index file: they answer 404. A request-target whose
 * path has a {@code ..} segment (also percent-encoded) answers 403 without touching the file system.
 * Symbolic links under the root are followed, also when they point outside it.
 */
final class FileResponder {
    /**
     * Responses (head and body) up to this size are read into one pooled buffer and sent in one
     * SEND; larger bodies go with {@link UringOutbound#sendFile} after the head. Measured with wrk
     * (docs/benchmarks.md, "Net"): sendFile beat reading the body through user space from 24 KiB up,
     * and below this size one SEND was level with or ahead of head + sendFile.
     */
    static final int MERGE_LIMIT = 16 * 1024;
    /** PLAIN_FD: the body goes out through sendFile(sharedFd()), which needs a process fd, not a direct descriptor. */
    private static final Set<OpenOption> READ = Set.of(StandardOpenOption.READ, io.reactoruring.file.UringOpenOption.PLAIN_FD);
    private static final Map<Integer, String> REASONS = Map.ofEntries(
            Map.entry(200, "OK"), Map.entry(206, "Partial Content"), Map.entry(304, "Not Modified"),
            Map.entry(400, "Bad Request"), Map.entry(414, "URI Too Long"), Map.entry(417, "Expectation Failed"),
            Map.entry(403, "Forbidden"), Map.entry(404, "Not Found"), Map.entry(405, "Method Not Allowed"),
            Map.entry(416, "Range Not Satisfiable"), Map.entry(431, "Request Header Fields Too Large"),
            Map.entry(500, "Internal Server Error"), Map.entry(501, "Not Implemented"),
            Map.entry(505, "HTTP Version Not Supported"));

    private final Path root;
    private final StatCache stats;

    /**
     * @param root  the directory served; made absolute and normalised here
     * @param stats where file metadata comes from
     */
    FileResponder(Path root, StatCache stats) {
        this.root = root.toAbsolutePath().normalize();
        this.stats = stats;
    }

    /**
     * Writes the response to {@code r} on {@code out}, reading files on {@code loop} (null: the
     * loop-less {@link UringFiles} methods, which fall back to FileChannel without io_uring), and emits
     * whether the connection may stay open. Errors only when the connection is unusable (the peer
     * left, or a file shrank while being sent so the promised Content-Length cannot be kept).
     */
    Mono<Boolean> respond(HttpRequest r, UringOutbound out, @Nullable UringLoop loop) {
        boolean keepAlive = r.keepAlive();
        if (r.isMalformed()) {
            return sendError(out, r.errorStatus(), false, false);
        }
        boolean head = r.method().equals("HEAD");
        if (!head && !r.method().equals("GET")) {
            return sendError(out, 405, head, keepAlive);
        }
        Path path;
        try {
            path = resolve(r.target());
        } catch (NotServable e) {
            return sendError(out, e.status, head, keepAlive && e.status != 400);
        }
        Mono<UringFile> open = loop != null ? UringFiles.open(loop, path, READ) : UringFiles.open(path, READ);
        return Mono.usingWhen(open.onErrorMap(IOException.class, FileResponder::notServable),
                        f -> serve(f, r, head, keepAlive, out),
                        UringFile::close)
                .onErrorResume(NotServable.class, e -> sendError(out, e.status, head, keepAlive));
    }

    private Mono<Boolean> serve(UringFile f, HttpRequest r, boolean head, boolean keepAlive, UringOutbound out) {
        return stats.stat(f).onErrorMap(IOException.class, FileResponder::notServable).flatMap(st -> {
            if (!st.isRegularFile()) {
                return Mono.error(new NotServable(404));
            }
            String lastModified = HttpDate.format(st.lastModified());
            String etag = etag(st.size(), st.lastModified());
            if (notModified(r, etag, st.lastModified())) {
                return send(out, notModifiedHead(keepAlive, lastModified, etag)).thenReturn(keepAlive);
            }
            String ifRange = r.header("if-range");
            // If-Range with anything but the current Last-Modified: the range is stale, send it all.
            String rangeHeader = ifRange == null || ifRange.equals(lastModified) || ifRange.equals(etag) ? r.header("range") : null;
            ByteRange range = ByteRange.of(rangeHeader, st.size());
            if (range.kind() == ByteRange.Kind.UNSATISFIABLE) {
                byte[] h = head(416, MediaTypes.DEFAULT, 0, keepAlive, lastModified, "bytes */" + st.size(), etag);
                return send(out, h).thenReturn(keepAlive);
            }
            boolean partial = range.kind() == ByteRange.Kind.PARTIAL;
            byte[] h = head(partial ? 206 : 200, MediaTypes.forFileName(f.path().getFileName().toString()),
                    range.length(), keepAlive, lastModified, partial ? range.contentRange(st.size()) : null, etag);
            if (head || range.length() == 0) {
                return send(out, h).thenReturn(keepAlive);
            }
            Mono<Void> body = h.length + range.length() <= MERGE_LIMIT
                    ? sendMerged(f, h, range, out)
                    : send(out, h).then(sendBody(f, range, out));
            return body.thenReturn(keepAlive);
        });
    }

    /** The body with sendFile: of the open file on io_uring (no second OPENAT/STATX/CLOSE), by path on NIO. */
    private static Mono<Void> sendBody(UringFile f, ByteRange range, UringOutbound out) {
        SharedFd fd = f.sharedFd();
        return fd != null ? out.sendFile(fd, range.start(), range.length())
                : out.sendFile(f.path(), range.start(), range.length());
    }

    /** Head and body in one pooled buffer: one SEND for small files. */
    private static Mono<Void> sendMerged(UringFile f, byte[] h, ByteRange range, UringOutbound out) {
        return Mono.defer(() -> {
            int total = h.length + (int) range.length();
            PooledBuffer pb = out.alloc().acquire(total);
            ByteBuffer dst = pb.buffer().clear().put(h);
            AtomicBoolean ours = new AtomicBoolean(true); // until handed to sendPooled, which then owns it
            return f.readChunks(range.start(), range.length(), (int) range.length(), 1)
                    .doOnNext(chunk -> {
                        try {
                            dst.put(chunk.buffer());
                        } finally {
                            chunk.release();
                        }
                    })
                    .then(Mono.defer(() -> {
                        if (dst.position() != total) {
                            return Mono.error(shrank(f, range, dst.position() - h.length));
                        }
                        ours.set(false);
                        dst.flip();
                        return out.sendPooled(Mono.just(pb));
                    }))
                    .doFinally(s -> {
                        if (ours.compareAndSet(true, false)) {
                            pb.release();
                        }
                    });
        });
    }

    private static IOException shrank(UringFile f, ByteRange range, long got) {
        return new IOException(f.path() + " shrank while being sent: " + got + " of " + range.length() + " bytes");
    }

    /**
     * A strong validator like nginx's: {@code "<mtime hex>-<size hex>"} (seconds; a file changed
     * twice within one second with the same size keeps its ETag, as on nginx).
     */
    static String etag(long size, java.time.Instant lastModified) {
        return "\"" + Long.toHexString(lastModified.getEpochSecond()) + "-" + Long.toHexString(size) + "\"";
    }

    /**
     * RFC 9110, 13.1.2 and 13.1.3: If-None-Match (weak comparison, {@code *}) decides when present;
     * else If-Modified-Since not older than the file's modification second.
     */
    static boolean notModified(HttpRequest r, String etag, java.time.Instant lastModified) {
        String inm = r.header("if-none-match");
        if (inm != null) {
            for (String t : inm.split(",")) {
                String tag = t.strip();
                if (tag.equals("*") || (tag.startsWith("W/") ? tag.substring(2) : tag).equals(etag)) {
                    return true;
                }
            }
            return false;
        }
        String ims = r.header("if-modified-since");
        if (ims == null) {
            return false;
        }
        try {
            java.time.Instant since = java.time.ZonedDateTime.parse(ims, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
            return lastModified.getEpochSecond() <= since.getEpochSecond();
        } catch (java.time.format.DateTimeParseException e) {
            return false; // an invalid date is ignored (RFC 9110, 13.1.3)
        }
    }

    private static byte[] notModifiedHead(boolean keepAlive, String lastModified, String etag) {
        return ("HTTP/1.1 304 Not Modified\r\nServer: reactor-uring\r\nDate: " + HttpDate.now() + "\r\n"
                + "Last-Modified: " + lastModified + "\r\nETag: " + etag + "\r\n"
                + (keepAlive ? "" : "Connection: close\r\n") + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
    }

    private static Mono<Boolean> sendError(UringOutbound out, int status, boolean head, boolean keepAlive) {
        byte[] full = (status + " " + REASONS.get(status) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = head ? new byte[0] : full;
        // HEAD announces the Content-Length GET would send (RFC 9110, 9.3.2), without the body.
        byte[] h = head(status, "text/plain; charset=utf-8", full.length, keepAlive, null, null, null);
        byte[] all = new byte[h.length + body.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return send(out, all).thenReturn(keepAlive);
    }

    private static Mono<Void> send(UringOutbound out, byte[] bytes) {
        return out.send(Mono.just(ByteBuffer.wrap(bytes)));
    }

    static byte[] head(int status, String contentType, long contentLength, boolean keepAlive,
            String lastModified, String contentRange, String etag) {
        StringBuilder sb = new StringBuilder(256)
                .append("HTTP/1.1 ").append(status).append(' ').append(REASONS.get(status)).append("\r\n")
                .append("Server: reactor-uring\r\n")
                .append("Date: ").append(HttpDate.now()).append("\r\n")
                .append("Content-Type: ").append(contentType).append("\r\n")
                .append("Content-Length: ").append(contentLength).append("\r\n");
        if (status == 200 || status == 206 || status == 416) {
            sb.append("Accept-Ranges: bytes\r\n");
        }
        if (status == 405) {
            sb.append("Allow: GET, HEAD\r\n");
        }
        if (lastModified != null) {
            sb.append("Last-Modified: ").append(lastModified).append("\r\n");
        }
        if (etag != null) {
            sb.append("ETag: ").append(etag).append("\r\n");
        }
        if (contentRange != null) {
            sb.append("Content-Range: ").append(contentRange).append("\r\n");
        }
        sb.append(keepAlive ? "" : "Connection: close\r\n").append("\r\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * The file a request-target names under the root. Query and fragment are dropped, the path is
     * percent-decoded as UTF-8; {@code .} and empty segments are skipped.
     *
     * @throws NotServable 400 for a target that is not an absolute path or is badly encoded (or
     *                     decodes to NUL), 403 for a {@code ..} segment
     */
    Path resolve(String target) throws NotServable {
        int end = target.length();
        for (char stop : new char[] {'?', '#'}) {
            int i = target.indexOf(stop);
            if (i >= 0) {
                end = Math.min(end, i);
            }
        }
        String rawPath = target.substring(0, end);
        if (!rawPath.startsWith("/")) {
            throw new NotServable(400);
        }
        Path p = root;
        for (String raw : rawPath.split("/")) {
            String segment = percentDecode(raw);
            if (segment.isEmpty() || segment.equals(".")) {
                continue;
            }
            if (segment.equals("..") || segment.indexOf('/') >= 0) {
                throw new NotServable(403); // no climbing, and no "%2F" smuggling a separator in
            }
            p = p.resolve(segment);
        }
        if (!p.normalize().startsWith(root)) {
            throw new NotServable(403); // unreachable given the checks above; kept as the invariant
        }
        return p;
    }

    private static String percentDecode(String s) throws NotServable {
        if (s.indexOf('%') < 0 && s.chars().allMatch(c -> c > 0 && c < 0x80)) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                throw new NotServable(400);
            }
            if (c != '%') {
                bytes.write(c); // the target was decoded as ISO-8859-1: one char per byte
                continue;
            }
            if (i + 2 >= s.length()) {
                throw new NotServable(400);
            }
            int hi = Character.digit(s.charAt(i + 1), 16);
            int lo = Character.digit(s.charAt(i + 2), 16);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                throw new NotServable(400);
            }
            bytes.write(hi << 4 | lo);
            i += 2;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new NotServable(400);
        }
    }

    private static NotServable notServable(IOException e) {
        if (e instanceof AccessDeniedException) {
            return new NotServable(403);
        }
        // ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG...: nothing to serve there.
        return new NotServable(e instanceof FileSystemException ? 404 : 500);
    }

    /** A request answered with an error status before any byte of the response was sent. */
    static final class NotServable extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        NotServable(int status) {
            super("HTTP " + status, null, false, false);
            this.status = status;
        }
    }
}
