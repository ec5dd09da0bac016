package io.reactoruring.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HttpRequestParserTest {

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void parsesRequestLineAndHeaders() {
        List<HttpRequest> out = new HttpRequestParser().feed(bytes(
                "GET /a/b.txt?x=1 HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\nX-A: 1\r\nx-a: 2\r\n\r\n"));
        assertThat(out).hasSize(1);
        HttpRequest r = out.get(0);
        assertThat(r.isMalformed()).isFalse();
        assertThat(r.method()).isEqualTo("GET");
        assertThat(r.target()).isEqualTo("/a/b.txt?x=1");
        assertThat(r.minorVersion()).isEqualTo(1);
        assertThat(r.header("range")).isEqualTo("bytes=0-9");
        assertThat(r.header("x-a")).isEqualTo("1, 2");
        assertThat(r.keepAlive()).isTrue();
    }

    @Test
    void requestSplitByteByByte() {
        String req = "HEAD /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
        HttpRequestParser p = new HttpRequestParser();
        List<HttpRequest> out = new ArrayList<>();
        for (byte b : req.getBytes(StandardCharsets.ISO_8859_1)) {
            out.addAll(p.feed(ByteBuffer.wrap(new byte[] {b})));
        }
        assertThat(out).hasSize(1);
        assertThat(out.get(0).method()).isEqualTo("HEAD");
        assertThat(out.get(0).keepAlive()).isFalse();
        assertThat(p.hasPartialRequest()).isFalse();
    }

    @Test
    void pipelinedRequestsInOneBufferAndAcrossBuffers() {
        HttpRequestParser p = new HttpRequestParser();
        List<HttpRequest> first = p.feed(bytes("GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nGET /3 HT"));
        assertThat(first).extracting(HttpRequest::target).containsExactly("/1", "/2");
        assertThat(p.hasPartialRequest()).isTrue();
        List<HttpRequest> second = p.feed(bytes("TP/1.1\r\nHost: h\r\n\r\n"));
        assertThat(second).extracting(HttpRequest::target).containsExactly("/3");
    }

    @Test
    void bodiesWithContentLengthAreSkipped() {
        HttpRequestParser p = new HttpRequestParser();
        List<HttpRequest> out = new ArrayList<>(p.feed(bytes("GET /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123")));
        out.addAll(p.feed(bytes("456789GET /2 HTTP/1.1\r\nHost: h\r\n\r\n")));
        assertThat(out).extracting(HttpRequest::target).containsExactly("/1", "/2");
    }

    @Test
    void leadingEmptyLinesAndBareLineFeedsAreAccepted() {
        List<HttpRequest> out = new HttpRequestParser().feed(bytes("\r\n\r\nGET / HTTP/1.0\nHost: h\n\n"));
        assertThat(out).hasSize(1);
        assertThat(out.get(0).minorVersion()).isZero();
        assertThat(out.get(0).keepAlive()).isFalse();
    }

    @Test
    void http10KeepAliveOnlyWhenAsked() {
        List<HttpRequest> out = new HttpRequestParser().feed(bytes("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
        assertThat(out.get(0).keepAlive()).isTrue();
    }

    @Test
    void malformedRequestsGetTheirStatusAndStopTheParser() {
        assertStatus("GARBAGE\r\n\r\n", 400);
        assertStatus("GET /\r\n\r\n", 400);
        assertStatus("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        assertStatus("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\n\r\n", 400);                      // no Host
        assertStatus("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400);          // space before colon
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 400); // obs-fold
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3, 4\r\n\r\n", 400);
        assertStatus("GET / FTP/1.1\r\nHost: h\r\n\r\n", 400);
        assertStatus("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 501);

        HttpRequestParser p = new HttpRequestParser();
        assertThat(p.feed(bytes("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n")))
                .as("nothing after a malformed request").hasSize(1);
        assertThat(p.feed(bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n"))).isEmpty();
    }

    @Test
    void oversizedHeadIs431() {
        HttpRequestParser p = new HttpRequestParser();
        List<HttpRequest> out = new ArrayList<>(p.feed(bytes("GET / HTTP/1.1\r\nHost: h\r\nX: ")));
        String filler = "a".repeat(1000);
        for (int i = 0; i < 10 && out.isEmpty(); i++) {
            out.addAll(p.feed(bytes(filler)));
        }
        assertThat(out).extracting(HttpRequest::errorStatus).containsExactly(431);
    }

    private static void assertStatus(String request, int status) {
        List<HttpRequest> out = new HttpRequestParser().feed(bytes(request));
        assertThat(out).as(request).extracting(HttpRequest::errorStatus).containsExactly(status);
        assertThat(out.get(0).keepAlive()).isFalse();
    }
}
