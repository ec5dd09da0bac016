package io.reactoruring.examples.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Incremental HTTP/1.1 request-head parser for one connection: {@link #feed} takes whatever bytes
 * arrived (a request may be split anywhere, several may arrive at once) and returns the requests
 * completed by them, in order. Request bodies announced with {@code Content-Length} are skipped;
 * {@code Transfer-Encoding} is answered with 501 since such bodies cannot be framed here.
 *
 * <p>After a malformed request (which is returned as {@link HttpRequest#malformed}) the parser stops:
 * the connection is to be closed. Not thread-safe: one instance per connection, used on its loop.
 */
final class HttpRequestParser {
    /** Request line plus header fields; a larger head is answered with 431. */
    static final int MAX_HEAD = 8 * 1024;

    private static final Pattern LINE_END = Pattern.compile("\r?\n");
    private static final Pattern OTHER_VERSION = Pattern.compile("HTTP/[0-9]\\.[0-9]");
    private static final Pattern CONTENT_LENGTH = Pattern.compile("[0-9]{1,18}");

    private byte[] head = new byte[512];
    private int length;
    /** Where the search for the end of the head resumes: bytes before it hold no terminator. */
    private int scanned;
    private long bodyToSkip;
    private boolean failed;

    /** Consumes all of {@code src}'s remaining bytes; returns the requests they completed. */
    List<HttpRequest> feed(ByteBuffer src) {
        List<HttpRequest> out = new ArrayList<>(1);
        while (src.hasRemaining() && !failed) {
            if (bodyToSkip > 0) {
                int skip = (int) Math.min(bodyToSkip, src.remaining());
                src.position(src.position() + skip);
                bodyToSkip -= skip;
                continue;
            }
            append(src);
            int end;
            while (!failed && (end = headEnd()) >= 0) {
                HttpRequest r = parse(end);
                out.add(r);
                failed = r.isMalformed();
                compact(end);
                if (bodyToSkip > 0) {
                    // The body's first bytes may already be buffered.
                    int skip = (int) Math.min(bodyToSkip, length);
                    compact(skip);
                    bodyToSkip -= skip;
                }
            }
            if (!failed && length > MAX_HEAD) {
                out.add(HttpRequest.malformed(431));
                failed = true;
            }
        }
        if (failed) {
            src.position(src.limit()); // whatever follows a malformed request is ignored
        }
        return out;
    }

    /** True if bytes of an incomplete request are buffered (the peer closed mid-request). */
    boolean hasPartialRequest() {
        return length > 0 || bodyToSkip > 0;
    }

    private void append(ByteBuffer src) {
        // Only as much as can still make a legal head, so a flood is bounded by MAX_HEAD.
        int n = Math.min(src.remaining(), MAX_HEAD + 1 - length);
        if (length + n > head.length) {
            head = Arrays.copyOf(head, Math.max(length + n, head.length * 2));
        }
        src.get(head, length, n);
        length += n;
    }

    /** Index just past the empty line ending the head (CRLFCRLF, or bare LFs), or -1. */
    private int headEnd() {
        // Empty lines before a request line are ignored (RFC 9112, 2.2).
        int start = 0;
        while (start < length && (head[start] == '\r' || head[start] == '\n')) {
            start++;
        }
        if (start > 0) {
            compact(start);
        }
        for (int i = Math.max(scanned, 1); i < length; i++) {
            if (head[i] == '\n' && (head[i - 1] == '\n' || (i >= 2 && head[i - 1] == '\r' && head[i - 2] == '\n'))) {
                return i + 1;
            }
        }
        scanned = Math.max(0, length - 2);
        return -1;
    }

    private void compact(int n) {
        System.arraycopy(head, n, head, 0, length - n);
        length -= n;
        scanned = 0;
    }

    private HttpRequest parse(int end) {
        // ISO-8859-1 maps bytes 1:1, so obs-text in values survives and indexes stay byte indexes.
        String text = new String(head, 0, end, StandardCharsets.ISO_8859_1);
        String[] lines = LINE_END.split(text);
        String[] parts = lines[0].split(" ", -1);
        if (parts.length != 3 || !isToken(parts[0]) || parts[1].isEmpty()) {
            return HttpRequest.malformed(400);
        }
        String version = parts[2];
        int minor;
        if (version.equals("HTTP/1.1")) {
            minor = 1;
        } else if (version.equals("HTTP/1.0")) {
            minor = 0;
        } else if (OTHER_VERSION.matcher(version).matches()) {
            return HttpRequest.malformed(505);
        } else {
            return HttpRequest.malformed(400);
        }
        Map<String, String> headers = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue; // the terminating empty line
            }
            int colon = line.indexOf(':');
            // No whitespace between name and colon, and no obsolete line folding (RFC 9112, 5.1 and 5.2).
            if (colon <= 0 || !isToken(line.substring(0, colon))) {
                return HttpRequest.malformed(400);
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            headers.merge(name, value, (a, b) -> a + ", " + b);
        }
        if (minor == 1 && !headers.containsKey("host")) {
            return HttpRequest.malformed(400); // RFC 9112, 3.2: a 1.1 request without Host is a 400
        }
        if (headers.containsKey("transfer-encoding")) {
            return HttpRequest.malformed(501);
        }
        String contentLength = headers.get("content-length");
        if (contentLength != null) {
            if (!CONTENT_LENGTH.matcher(contentLength).matches()) {
                return HttpRequest.malformed(400); // also catches differing repeated values ("3, 4")
            }
            bodyToSkip = Long.parseLong(contentLength);
        }
        return new HttpRequest(parts[0], parts[1], minor, headers, 0);
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
