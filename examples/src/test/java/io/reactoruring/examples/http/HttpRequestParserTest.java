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
    void leadingEmptyLinesAreAcceptedButBareLineFeedsAreNot() {
        List<HttpRequest> out = new HttpRequestParser().feed(bytes("\r\n\r\nGET / HTTP/1.0\r\nHost: h\r\n\r\n"));
        assertThat(out).hasSize(1);
        assertThat(out.get(0).minorVersion()).isZero();
        assertThat(out.get(0).keepAlive()).isFalse();
        assertStatus("GET / HTTP/1.0\nHost: h\n\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: h\nX: y\r\n\r\n", 400);
        assertStatus("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
    }

    // ------------------------------------------------------------ strict rules (issue 11 item 6), one test each

    @Test
    void bareCrInAHeaderValueIsRejected() {
        // A proxy that sees one field "X-A: a\rTransfer-Encoding: chunked" and a server that sees two disagree.
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rTransfer-Encoding: chunked\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\rHost: h\r\n\r\n", 400);
        // Also when the bare CR arrives at the end of one read.
        HttpRequestParser p = new HttpRequestParser();
        assertThat(p.feed(bytes("GET / HTTP/1.1\r\nHost: h\r\nX: a\r"))).isEmpty();
        assertThat(p.feed(bytes("b\r\n\r\n"))).extracting(HttpRequest::errorStatus).containsExactly(400);
    }

    @Test
    void controlCharactersInValuesAreRejected() {
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nX: a\u0000b\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nX: a\u0001\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nX: a\u007f\r\n\r\n", 400);
        // HTAB and obs-text are allowed.
        assertThat(parse("GET / HTTP/1.1\r\nHost: h\r\nX: a\tb\u00e9\r\n\r\n").header("x")).isEqualTo("a\tb\u00e9");
    }

    @Test
    void hostMustBeUniqueAndValid() {
        assertStatus("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400);
        assertThat(parse("GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n").isMalformed()).isFalse();
        assertThat(parse("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n").isMalformed()).isFalse();
        assertThat(parse("GET / HTTP/1.0\r\n\r\n").isMalformed()).as("1.0 needs no Host").isFalse();
    }

    @Test
    void absoluteFormTargetsAreAcceptedAndTheirAuthorityWins() {
        HttpRequest r = parse("GET http://example.com:81/a/b?q=1 HTTP/1.1\r\nHost: other\r\n\r\n");
        assertThat(r.target()).isEqualTo("/a/b?q=1");
        assertThat(r.header("host")).isEqualTo("example.com:81");
        assertThat(parse("GET HTTP://example.com HTTP/1.1\r\nHost: x\r\n\r\n").target()).isEqualTo("/");
        assertStatus("GET ftp://example.com/ HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        assertStatus("GET http:///a HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        assertStatus("GET a/b HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    }

    @Test
    void higherHttp1MinorVersionsAreServedAs11() {
        HttpRequest r = parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n");
        assertThat(r.isMalformed()).isFalse();
        assertThat(r.minorVersion()).isEqualTo(1);
        assertStatus("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505);
        assertStatus("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400);
        assertStatus("GET / http/1.1\r\nHost: h\r\n\r\n", 400);
    }

    @Test
    void contentLengthMustBeSingleAndNumeric() {
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: +3\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x3\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: \r\n\r\n", 400);
    }

    @Test
    void contentLengthWithTransferEncodingIsRejected() {
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
        assertStatus("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    }

    @Test
    void chunkedBodiesAreFramedAndSkipped() {
        HttpRequestParser p = new HttpRequestParser();
        List<HttpRequest> out = new ArrayList<>(p.feed(bytes(
                "POST /1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=\"x\"\r\nhello\r\nA\r\n0123")));
        out.addAll(p.feed(bytes("456789\r\n0\r\nTrailer: t\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")));
        assertThat(out).extracting(HttpRequest::target).containsExactly("/1", "/2");
        assertThat(p.hasPartialRequest()).isFalse();
        // Byte by byte too.
        HttpRequestParser q = new HttpRequestParser();
        List<HttpRequest> slow = new ArrayList<>();
        for (byte b : "POST /1 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
                .getBytes(StandardCharsets.ISO_8859_1)) {
            slow.addAll(q.feed(ByteBuffer.wrap(new byte[] {b})));
        }
        assertThat(slow).extracting(HttpRequest::target).containsExactly("/1", "/2");
    }

    @Test
    void badChunkedFramingIsRejected() {
        String head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
        assertBodyStatus(head + "x\r\n", 400);                 // not hex
        assertBodyStatus(head + "0x5\r\nhello\r\n", 400);     // no prefix
        assertBodyStatus(head + "5 x\r\nhello\r\n", 400);     // junk after the size
        assertBodyStatus(head + "3\r\nabcdef\r\n", 400);      // data longer than the size
        assertBodyStatus(head + "3\nabc\r\n", 400);            // bare LF
        assertBodyStatus(head + "fffffffffffffffff\r\n", 400); // absurd size
        assertBodyStatus(head + "0\r\nBad Trailer: x\r\n\r\n", 400);
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400);
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501);
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
        assertStatus("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n", 400); // chunked not last
    }

    @Test
    void overlongLinesAre414Or431() {
        assertStatus("GET /" + "a".repeat(HttpRequestParser.MAX_HEAD) + " HTTP/1.1\r\nHost: h\r\n\r\n", 414);
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nX: " + "a".repeat(HttpRequestParser.MAX_HEAD) + "\r\n\r\n", 431);
    }

    @Test
    void expectContinueIsFlaggedOnlyWithABodyAndOtherExpectationsAre417() {
        assertThat(parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n").expectContinue()).isTrue();
        assertThat(parse("GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n").expectContinue()).isFalse();
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nExpect: teapot\r\n\r\n", 417);
    }

    @Test
    void invalidTokensAreRejected() {
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nBad[Name]: x\r\n\r\n", 400);
        assertStatus("GE\u00c9T / HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        assertStatus("GET /a\u0000b HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        assertStatus("GET /a\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n", 400);
    }

    private static HttpRequest parse(String request) {
        List<HttpRequest> out = new HttpRequestParser().feed(bytes(request));
        assertThat(out).as(request).hasSize(1);
        return out.get(0);
    }

    /** The head parses; the body that follows is malformed. */
    private static void assertBodyStatus(String request, int status) {
        List<HttpRequest> out = new HttpRequestParser().feed(bytes(request));
        assertThat(out).as(request).extracting(HttpRequest::errorStatus).containsExactly(0, status);
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
        assertStatus("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", 501);

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
