package io.reactoruring.examples.http;

import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One parsed request head, or the reason it could not be parsed.
 *
 * @param method       the method token, e.g. {@code GET} (empty when malformed)
 * @param target       the request-target as sent, e.g. {@code /a%20b.txt?x=1}
 * @param minorVersion 1 for HTTP/1.1, 0 for HTTP/1.0
 * @param headers      header fields, names in lower case; a repeated field's values are joined with {@code ", "}
 * @param errorStatus  0 for a well-formed request, else the status to answer with (400, 431, 501, 505)
 *                     before closing the connection (400, 414, 417, 431, 501, 505)
 * @param expectContinue the client waits for {@code 100 Continue} before sending the body
 */
record HttpRequest(String method, String target, int minorVersion, Map<String, String> headers, int errorStatus,
        boolean expectContinue) {

    HttpRequest(String method, String target, int minorVersion, Map<String, String> headers, int errorStatus) {
        this(method, target, minorVersion, headers, errorStatus, false);
    }

    static HttpRequest malformed(int status) {
        return new HttpRequest("", "", 1, Map.of(), status);
    }

    boolean isMalformed() {
        return errorStatus != 0;
    }

    @Nullable
    String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }

    /**
     * Whether the connection stays open after the response: HTTP/1.1 unless {@code Connection: close},
     * HTTP/1.0 only with {@code Connection: keep-alive}; never after a malformed request.
     */
    boolean keepAlive() {
        if (isMalformed()) {
            return false;
        }
        String connection = header("connection");
        if (connection == null) {
            return minorVersion >= 1;
        }
        boolean close = false;
        boolean keep = false;
        for (String token : connection.split(",")) {
            String t = token.trim().toLowerCase(Locale.ROOT);
            close |= t.equals("close");
            keep |= t.equals("keep-alive");
        }
        return !close && (minorVersion >= 1 || keep);
    }
}
