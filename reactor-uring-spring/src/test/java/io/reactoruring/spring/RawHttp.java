package io.reactoruring.spring;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Test helper: one kept-alive HTTP/1.1 connection on a plain socket that checks framing exactly. Each
 * response must start with {@code HTTP/1.1 }, its body is read by Content-Length or chunked coding (none
 * for HEAD, 1xx, 204 and 304), so a stray byte after a response breaks the next status line. A read that
 * gets nothing for {@link #BOUND_MS} fails with {@link java.net.SocketTimeoutException}: a bound against
 * a hung server, not a timing check.
 */
final class RawHttp implements AutoCloseable {
    static final int BOUND_MS = 15_000;

    record Response(int status, Map<String, String> headers, byte[] body, String head) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    RawHttp(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(BOUND_MS);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** A bodyless request text with header name/value pairs. */
    static String request(String method, String path, String... headers) {
        StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            b.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    /** Writes the requests in one write: several of them are pipelined. */
    void send(String... requests) throws IOException {
        out.write(String.join("", requests).getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** The next response, read exactly to its end; {@code head} is true for the answer to a HEAD request. */
    Response read(boolean head) throws IOException {
        String statusLine = line();
        if (!statusLine.startsWith("HTTP/1.1 ")) {
            throw new IOException("bad status line (stray bytes after the previous response?): " + statusLine);
        }
        int status = Integer.parseInt(statusLine.substring(9, 12));
        Map<String, String> headers = new LinkedHashMap<>();
        StringBuilder text = new StringBuilder(statusLine).append('\n');
        for (String l = line(); !l.isEmpty(); l = line()) {
            text.append(l).append('\n');
            int colon = l.indexOf(':');
            String name = l.substring(0, colon).toLowerCase(Locale.ROOT);
            if (headers.putIfAbsent(name, l.substring(colon + 1).strip()) != null) {
                throw new IOException("header repeated: " + name + " in\n" + text);
            }
        }
        byte[] body = new byte[0];
        String length = headers.get("content-length");
        boolean chunked = "chunked".equalsIgnoreCase(headers.get("transfer-encoding"));
        if (length != null && chunked) {
            throw new IOException("both Content-Length and chunked:\n" + text);
        }
        if (!head && status >= 200 && status != 204 && status != 304) {
            if (length != null) {
                body = in.readNBytes(Integer.parseInt(length));
                if (body.length != Integer.parseInt(length)) {
                    throw new IOException("connection closed inside a body:\n" + text);
                }
            } else if (chunked) {
                body = chunks();
            } else {
                throw new IOException("no length on a kept-alive connection:\n" + text);
            }
        }
        return new Response(status, headers, body, text.toString());
    }

    private byte[] chunks() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int size = Integer.parseInt(line().strip(), 16); size > 0; size = Integer.parseInt(line().strip(), 16)) {
            b.write(in.readNBytes(size));
            if (!line().isEmpty()) {
                throw new IOException("no CRLF after a chunk");
            }
        }
        for (String trailer = line(); !trailer.isEmpty(); trailer = line()) {
            // trailers are allowed; none expected
        }
        return b.toByteArray();
    }

    private String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c == -1) {
                throw new IOException("connection closed; line so far: " + b.toString(StandardCharsets.ISO_8859_1));
            }
            b.write(c);
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        if (!s.endsWith("\r")) {
            throw new IOException("line without CR: " + s);
        }
        return s.substring(0, s.length() - 1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
