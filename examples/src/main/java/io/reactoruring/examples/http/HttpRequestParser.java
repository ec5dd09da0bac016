package io.reactoruring.examples.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Strict, incremental HTTP/1.1 request parser for one connection (RFC 9112): {@link #feed} takes
 * whatever bytes arrived (a request may be split anywhere, several may arrive at once) and returns
 * the requests completed by them, in order. Bodies are framed and skipped: {@code Content-Length},
 * or {@code Transfer-Encoding: chunked} (chunk sizes, extensions and trailers checked).
 *
 * <p>Where a lenient parser would guess, this one refuses, so that a proxy in front and this server
 * can never disagree about where a request ends (request smuggling): every line ends with CRLF (a
 * bare CR or a bare LF is a 400), no obsolete line folding, no control characters (NUL...) in a
 * field value, method and field names are tokens, exactly one {@code Host} with a valid
 * host[:port], at most one {@code Content-Length}, never both Content-Length and
 * Transfer-Encoding, chunked last and only once (other codings: 501), {@code Expect} other than
 * 100-continue: 417. A request line over {@link #MAX_HEAD} is a 414, a head over it a 431.
 * Accepted: absolute-form targets ({@code GET http://host/p HTTP/1.1}, the authority then wins
 * over Host), HTTP/1.x minor versions above 1 (treated as 1.1), empty lines before a request.
 *
 * <p>After a malformed request (returned as {@link HttpRequest#malformed}) the parser stops: the
 * connection is to be closed. Not thread-safe: one instance per connection, used on its loop.
 */
final class HttpRequestParser {
    /** Request line plus header fields (and, separately, a chunked body's trailer section). */
    static final int MAX_HEAD = 8 * 1024;
    /** A chunk-size line with its extensions. */
    static final int MAX_CHUNK_LINE = 1024;

    private enum State { HEAD, BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_END, TRAILER }

    private byte[] buf = new byte[512];
    private int length;
    /** Where the search for the end of the head resumes: bytes before it were checked. */
    private int scanned;
    private State state = State.HEAD;
    private long remaining; // body or chunk bytes still to skip
    private int trailerBytes;
    private boolean failed;

    /** Consumes all of {@code src}'s remaining bytes; returns the requests they completed. */
    List<HttpRequest> feed(ByteBuffer src) {
        List<HttpRequest> out = new ArrayList<>(1);
        while (!failed) {
            if ((state == State.BODY || state == State.CHUNK_DATA) && length == 0 && src.hasRemaining()) {
                int skip = (int) Math.min(remaining, src.remaining()); // body bytes never get copied
                src.position(src.position() + skip);
                remaining -= skip;
                if (remaining == 0) {
                    state = state == State.BODY ? State.HEAD : State.CHUNK_END;
                }
                continue;
            }
            if (step(out)) {
                continue;
            }
            if (!src.hasRemaining()) {
                break;
            }
            append(src);
        }
        if (failed) {
            src.position(src.limit()); // whatever follows a malformed request is ignored
        }
        return out;
    }

    /** True if bytes of an incomplete request are buffered or expected (the peer closed mid-request). */
    boolean hasPartialRequest() {
        return length > 0 || state != State.HEAD;
    }

    /** True while a request head has started but is not complete (what a header timeout measures). */
    boolean inHead() {
        return state == State.HEAD && length > 0;
    }

    private void append(ByteBuffer src) {
        // Only as much as can still make a legal head or line, so a flood is bounded by MAX_HEAD.
        int n = Math.min(src.remaining(), MAX_HEAD + 2 - length);
        if (length + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(length + n, buf.length * 2));
        }
        src.get(buf, length, n);
        length += n;
    }

    private void fail(List<HttpRequest> out, int status) {
        out.add(HttpRequest.malformed(status));
        failed = true;
    }

    /** Processes buffered bytes in the current state; false when more bytes are needed. */
    private boolean step(List<HttpRequest> out) {
        switch (state) {
            case HEAD -> {
                return head(out);
            }
            case BODY, CHUNK_DATA -> {
                if (length == 0) {
                    return false;
                }
                int skip = (int) Math.min(remaining, length);
                compact(skip);
                remaining -= skip;
                if (remaining == 0) {
                    state = state == State.BODY ? State.HEAD : State.CHUNK_END;
                }
                return true;
            }
            case CHUNK_END -> {
                if (length < 2) {
                    if (length == 1 && buf[0] != '\r') {
                        fail(out, 400);
                        return true;
                    }
                    return false;
                }
                if (buf[0] != '\r' || buf[1] != '\n') {
                    fail(out, 400); // chunk data longer than its size said
                    return true;
                }
                compact(2);
                state = State.CHUNK_SIZE;
                return true;
            }
            case CHUNK_SIZE -> {
                int eol = lineEnd(out, MAX_CHUNK_LINE, 400);
                if (eol < 0) {
                    return failed;
                }
                long size = chunkSize(new String(buf, 0, eol, StandardCharsets.ISO_8859_1));
                compact(eol + 2);
                if (size < 0) {
                    fail(out, 400);
                } else if (size == 0) {
                    state = State.TRAILER;
                    trailerBytes = 0;
                } else {
                    remaining = size;
                    state = State.CHUNK_DATA;
                }
                return true;
            }
            case TRAILER -> {
                int eol = lineEnd(out, MAX_HEAD - trailerBytes, 431);
                if (eol < 0) {
                    return failed;
                }
                String line = new String(buf, 0, eol, StandardCharsets.ISO_8859_1);
                compact(eol + 2);
                trailerBytes += eol + 2;
                if (line.isEmpty()) {
                    state = State.HEAD;
                } else if (field(line) == null) {
                    fail(out, 400);
                }
                return true;
            }
            default -> throw new AssertionError(state);
        }
    }

    /**
     * Index of the CR of the first CRLF in the buffer, or -1 (then {@code failed} may be set: a bare
     * CR or LF, or no line end within {@code max} bytes, answered with {@code tooLong}).
     */
    private int lineEnd(List<HttpRequest> out, int max, int tooLong) {
        for (int i = 0; i < length; i++) {
            byte b = buf[i];
            if (b == '\n') {
                fail(out, 400); // bare LF
                return -1;
            }
            if (b == '\r') {
                if (i + 1 == length) {
                    break;
                }
                if (buf[i + 1] != '\n') {
                    fail(out, 400); // bare CR
                    return -1;
                }
                return i;
            }
        }
        if (length > max) {
            fail(out, tooLong);
        }
        return -1;
    }

    private boolean head(List<HttpRequest> out) {
        // Empty lines (CRLF) before a request line are ignored (RFC 9112, 2.2).
        int start = 0;
        while (start + 1 < length && buf[start] == '\r' && buf[start + 1] == '\n') {
            start += 2;
        }
        if (start > 0) {
            compact(start);
        }
        if (length > 0 && buf[0] == '\n') {
            fail(out, 400);
            return true;
        }
        int end = -1;
        int i = Math.max(scanned, 0);
        for (; i < length; i++) {
            byte b = buf[i];
            if (b == '\n' && (i == 0 || buf[i - 1] != '\r')) {
                fail(out, 400); // bare LF
                return true;
            }
            if (b == '\r' && i + 1 < length && buf[i + 1] != '\n') {
                fail(out, 400); // bare CR: "X-A: a\rTransfer-Encoding: chunked" is not two fields
                return true;
            }
            if (b == '\n' && i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
                end = i + 1;
                break;
            }
        }
        if (end < 0) {
            scanned = Math.max(0, length - 1); // a CR at the very end is checked again
            if (length > MAX_HEAD) {
                boolean requestLineDone = false;
                for (int j = 0; j < length && !requestLineDone; j++) {
                    requestLineDone = buf[j] == '\n';
                }
                fail(out, requestLineDone ? 431 : 414);
                return true;
            }
            return false;
        }
        if (end > MAX_HEAD) {
            fail(out, 431);
            return true;
        }
        HttpRequest r = parse(new String(buf, 0, end - 4, StandardCharsets.ISO_8859_1));
        compact(end);
        out.add(r);
        failed = r.isMalformed();
        return true;
    }

    private void compact(int n) {
        System.arraycopy(buf, n, buf, 0, length - n);
        length -= n;
        scanned = 0;
    }

    /** The request in {@code text} (request line and fields, CRLF-separated, without the final CRLFCRLF). */
    private HttpRequest parse(String text) {
        // ISO-8859-1 maps bytes 1:1, so obs-text in values survives and indexes stay byte indexes.
        String[] lines = text.split("\r\n", -1);
        String[] parts = lines[0].split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || !isTarget(parts[1])) {
            return HttpRequest.malformed(400);
        }
        String version = parts[2];
        if (version.length() != 8 || !version.startsWith("HTTP/") || !isDigit(version.charAt(5))
                || version.charAt(6) != '.' || !isDigit(version.charAt(7))) {
            return HttpRequest.malformed(400);
        }
        if (version.charAt(5) != '1') {
            return HttpRequest.malformed(505);
        }
        int minor = version.charAt(7) == '0' ? 0 : 1; // HTTP/1.2 and up: served as 1.1
        Map<String, String> headers = new HashMap<>();
        int hosts = 0;
        int contentLengths = 0;
        for (int i = 1; i < lines.length; i++) {
            String[] f = field(lines[i]);
            if (f == null) {
                return HttpRequest.malformed(400);
            }
            hosts += f[0].equals("host") ? 1 : 0;
            contentLengths += f[0].equals("content-length") ? 1 : 0;
            headers.merge(f[0], f[1], (a, b) -> a + ", " + b);
        }
        String target = parts[1];
        String method = parts[0];
        if (hosts > 1 || (minor == 1 && hosts == 0) || (hosts == 1 && !isHost(headers.get("host")))) {
            return HttpRequest.malformed(400); // RFC 9112, 3.2
        }
        if (target.charAt(0) != '/') {
            int scheme = target.indexOf("://");
            if (scheme > 0 && (target.regionMatches(true, 0, "http", 0, scheme) || target.regionMatches(true, 0, "https", 0, scheme))) {
                int pathStart = target.indexOf('/', scheme + 3);
                int queryStart = target.indexOf('?', scheme + 3);
                int authorityEnd = pathStart < 0 ? (queryStart < 0 ? target.length() : queryStart)
                        : (queryStart < 0 ? pathStart : Math.min(pathStart, queryStart));
                String authority = target.substring(scheme + 3, authorityEnd);
                if (authority.isEmpty() || authority.indexOf('@') >= 0 || !isHost(authority)) {
                    return HttpRequest.malformed(400);
                }
                headers.put("host", authority); // RFC 9112, 3.2.2: the target's authority wins
                String rest = target.substring(authorityEnd);
                target = rest.startsWith("/") ? rest : "/" + rest;
            } else if (!(target.equals("*") && method.equals("OPTIONS")) && !method.equals("CONNECT")) {
                return HttpRequest.malformed(400);
            }
        }
        String te = headers.get("transfer-encoding");
        String cl = headers.get("content-length");
        if (te != null && (cl != null || minor == 0)) {
            return HttpRequest.malformed(400); // CL + TE: the classic smuggling ambiguity
        }
        if (contentLengths > 1 || (cl != null && !(cl.length() >= 1 && cl.length() <= 18 && cl.chars().allMatch(c -> c >= '0' && c <= '9')))) {
            return HttpRequest.malformed(400);
        }
        boolean expectContinue = false;
        String expect = headers.get("expect");
        if (expect != null && minor == 1) {
            if (!expect.equalsIgnoreCase("100-continue")) {
                return HttpRequest.malformed(417);
            }
            expectContinue = true;
        }
        if (te != null) {
            String[] codings = te.split(",", -1);
            for (int i = 0; i < codings.length; i++) {
                String c = codings[i].strip().toLowerCase(Locale.ROOT);
                boolean last = i == codings.length - 1;
                if (c.isEmpty() || (c.equals("chunked") && !last)) {
                    return HttpRequest.malformed(400);
                }
                if (last && !c.equals("chunked")) {
                    return HttpRequest.malformed(isToken(c) ? 501 : 400);
                }
                if (!last) {
                    return HttpRequest.malformed(isToken(c) ? 501 : 400); // gzip, chunked...: not decoded here
                }
            }
            state = State.CHUNK_SIZE;
        } else if (cl != null) {
            remaining = Long.parseLong(cl);
            if (remaining > 0) {
                state = State.BODY;
            }
        }
        return new HttpRequest(method, target, minor, headers, 0, expectContinue && state != State.HEAD);
    }

    /** {name in lower case, value without surrounding whitespace} of a field line, or null if malformed. */
    private static String @org.jspecify.annotations.Nullable [] field(String line) {
        int colon = line.indexOf(':');
        // No whitespace between name and colon, and no obsolete line folding (RFC 9112, 5.1 and 5.2).
        if (colon <= 0 || !isToken(line.substring(0, colon))) {
            return null;
        }
        String value = line.substring(colon + 1);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f || c > 0xff) {
                return null; // NUL and other controls
            }
        }
        return new String[] {line.substring(0, colon).toLowerCase(Locale.ROOT), strip(value)};
    }

    private static String strip(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && (s.charAt(a) == ' ' || s.charAt(a) == '\t')) {
            a++;
        }
        while (b > a && (s.charAt(b - 1) == ' ' || s.charAt(b - 1) == '\t')) {
            b--;
        }
        return s.substring(a, b);
    }

    /** chunk-size [chunk-ext]: the size, or -1 when malformed (RFC 9112, 7.1). */
    private static long chunkSize(String line) {
        int i = 0;
        long size = 0;
        while (i < line.length() && Character.digit(line.charAt(i), 16) >= 0) {
            if (i >= 15) {
                return -1; // over 2^60: nobody sends that
            }
            size = size << 4 | Character.digit(line.charAt(i), 16);
            i++;
        }
        if (i == 0) {
            return -1;
        }
        String ext = line.substring(i);
        for (int k = 0; k < ext.length(); k++) {
            char c = ext.charAt(k);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return -1;
            }
        }
        String e = strip(ext);
        if (!e.isEmpty() && e.charAt(0) != ';') {
            return -1; // "5 x", "0x5", "5-"...
        }
        return size;
    }

    /** A request-target of visible ASCII (no controls, spaces or bytes over 0x7e). */
    private static boolean isTarget(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /** uri-host [":" port] (RFC 3986 reg-name or IP literal); empty is allowed by RFC 9112 3.2. */
    static boolean isHost(String s) {
        String host = s;
        String port = null;
        if (s.startsWith("[")) {
            int close = s.indexOf(']');
            if (close < 2) {
                return false;
            }
            host = s.substring(0, close + 1);
            String rest = s.substring(close + 1);
            if (!rest.isEmpty()) {
                if (rest.charAt(0) != ':') {
                    return false;
                }
                port = rest.substring(1);
            }
            if (!host.substring(1, close).chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
                return false;
            }
        } else {
            int colon = s.lastIndexOf(':');
            if (colon >= 0) {
                host = s.substring(0, colon);
                port = s.substring(colon + 1);
            }
            for (int i = 0; i < host.length(); i++) {
                char c = host.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || "-._~%!$&'()*+,;=".indexOf(c) >= 0;
                if (!ok) {
                    return false; // "a b", "a:b:c", "a/b"...
                }
            }
        }
        return port == null || (port.length() <= 5 && port.chars().allMatch(c -> c >= '0' && c <= '9'));
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
