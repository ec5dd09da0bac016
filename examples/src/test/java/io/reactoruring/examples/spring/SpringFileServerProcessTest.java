package io.reactoruring.examples.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.examples.ChildApps;
import io.reactoruring.examples.http.RawHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real example app ({@link SpringFileServer#main}) in a child JVM on the test's class path, run
 * twice: as is, and with {@code -Dreactoruring.disabled=true} (io_uring unavailable, as under Docker's
 * default seccomp profile). Both must answer the same requests the same way (200 with the body, 206
 * ranges, multipart ranges, 304, uploads, 404) on every route; the fallback run logs exactly one
 * reactor-uring warning, naming the cause, and the normal run none; only the normal run has io_uring
 * meters. Where a JDK 25 is installed, the app also runs on it with and without
 * {@code --enable-native-access=ALL-UNNAMED}. About 15 s per run on a loaded 2-core machine (a Boot start each).
 */
class SpringFileServerProcessTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static final Pattern LISTENING = Pattern.compile("SpringFileServer: serving .* on http://localhost:(\\d+)/");

    @TempDir
    static Path tmp;

    static Path site;
    static byte[] data;
    static byte[] upload;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(T).build(); // the apps speak HTTP/1.1: no h2c upgrade attempts

    @BeforeAll
    static void site() throws IOException {
        site = Files.createDirectories(tmp.resolve("site"));
        data = new byte[300_000];
        new Random(15).nextBytes(data);
        Files.write(site.resolve("data.bin"), data);
        Files.createDirectories(site.resolve("docs"));
        Files.writeString(site.resolve("docs/index.html"), "<p>docs</p>");
        upload = new byte[200_000];
        new Random(16).nextBytes(upload);
    }

    @Test
    void sameResponsesWithAndWithoutIoUringAndOneWarning() throws Exception {
        Run normal = run("normal");
        Run fallback = run("fallback", "-Dreactoruring.disabled=true");

        assertThat(fallback.responses).as("the same answers without io_uring").isEqualTo(normal.responses);

        assertThat(warnings(normal.log)).as("no reactor-uring warning with io_uring; log:%n%s", normal.log).isEmpty();
        List<String> warned = warnings(fallback.log);
        assertThat(warned).as("exactly one reactor-uring warning without io_uring; log:%n%s", fallback.log).hasSize(1);
        assertThat(warned.get(0)).contains("io_uring is unavailable", "reactoruring.disabled=true");

        assertThat(normal.meterStatus).as("io_uring meters with io_uring").isEqualTo(200);
        assertThat(fallback.meterStatus).as("no io_uring loops, so no meters, without io_uring").isEqualTo(404);
        for (String log : List.of(normal.log, fallback.log)) {
            assertThat(log).doesNotContain("APPLICATION FAILED TO START", "Exception in thread", "ERROR");
        }
    }

    /**
     * On JDK 22+ loading the JNI library is a restricted operation: with the flag docs/spring.md gives
     * ({@code --enable-native-access=ALL-UNNAMED} on the class path) the JVM prints no warning; without
     * it the JVM warns and the app still runs on io_uring. Same answers both ways.
     */
    @Test
    void onJdk25WithAndWithoutTheNativeAccessFlag() throws Exception {
        Path java25 = java25();
        Assumptions.assumeTrue(java25 != null, "no JDK 25 under /usr/lib/jvm (REACTORURING_JDK25 overrides)");
        Run flagged = run(java25, "jdk25-flag", "--enable-native-access=ALL-UNNAMED");
        Run bare = run(java25, "jdk25-bare");

        assertThat(bare.responses).isEqualTo(flagged.responses);
        assertThat(flagged.log).as("no restricted-method warning with the flag").doesNotContain("WARNING: A restricted method");
        assertThat(bare.log).as("the JDK's warning without the flag").contains("WARNING: A restricted method");
        for (Run r : List.of(flagged, bare)) {
            assertThat(r.meterStatus).as("io_uring in use on JDK 25; log:%n%s", r.log).isEqualTo(200);
            assertThat(warnings(r.log)).as("no reactor-uring warning; log:%n%s", r.log).isEmpty();
            assertThat(r.log).contains("Java 25");
        }
    }

    /** A JDK 25 ({@code REACTORURING_JDK25}, else Temurin 25 where CI installs it), or null. */
    private static Path java25() {
        String env = System.getenv("REACTORURING_JDK25");
        for (String home : new String[] {env, "/usr/lib/jvm/temurin-25-jdk-amd64", "/usr/lib/jvm/temurin-25-jdk-arm64"}) {
            if (home != null && Files.isExecutable(Path.of(home, "bin", "java"))) {
                return Path.of(home, "bin", "java");
            }
        }
        return null;
    }

    /** Log lines at level WARN (not the JDK's own "WARNING:" lines) about io_uring or from reactor-uring. */
    private static List<String> warnings(String log) {
        Pattern warn = Pattern.compile("\\bWARN\\b");
        return log.lines().filter(l -> warn.matcher(l).find())
                .filter(l -> l.contains("io_uring") || l.contains("reactor-uring") || l.contains("reactoruring"))
                .toList();
    }

    private record Run(Map<String, String> responses, int meterStatus, String log) {
    }

    private Run run(String name, String... jvmArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of(jvmArgs));
        if (Runtime.version().feature() >= 22) {
            args.add("--enable-native-access=ALL-UNNAMED");
        }
        return run(Path.of(ChildApps.java()), name, args.toArray(String[]::new));
    }

    private Run run(Path java, String name, String... jvmArgs) throws Exception {
        List<String> command = new ArrayList<>(List.of(java.toString(), "-Xshare:auto", "-XX:TieredStopAtLevel=1"));
        command.addAll(List.of(jvmArgs));
        command.addAll(List.of("-cp", ChildApps.runtimeClassPath(), SpringFileServer.class.getName(), "--server.port=0",
                "--reactor-uring.loops=1", "--site.dir=" + site, "--site.upload-dir=" + tmp.resolve("uploads-" + name)));
        Path log = tmp.resolve(name + ".log");
        Process app = new ProcessBuilder(command).redirectErrorStream(true).start();
        ChildApps.Output output = ChildApps.pump(app, log, line -> {
            Matcher m = LISTENING.matcher(line);
            return m.find() ? Integer.valueOf(m.group(1)) : null;
        }, "spring-file-server-output");
        Map<String, String> responses;
        int meterStatus;
        try {
            int p = output.port().get(3, TimeUnit.MINUTES); // a bound against a hung child, not a timing check
            assertThat(p).as("%s run started; log:%n%s", name, ChildApps.read(log)).isPositive();
            String base = "http://127.0.0.1:" + p;
            try {
                responses = exercise(base, tmp.resolve("uploads-" + name));
                meterStatus = get(base + "/actuator/metrics/reactor.uring.submitted").statusCode();
            } catch (Exception | AssertionError e) {
                StringBuilder meters = new StringBuilder();
                for (String m : List.of("inflight", "waiting", "submitted", "completed", "wakeups", "iterations")) {
                    try {
                        HttpResponse<byte[]> r = get(base + "/actuator/metrics/reactor.uring." + m);
                        meters.append(m).append(": ").append(new String(r.body(), StandardCharsets.UTF_8)).append('\n');
                    } catch (Exception | AssertionError ignored) {
                        meters.append(m).append(": n/a\n");
                    }
                }
                ChildApps.requestThreadDump(app, log);
                throw new AssertionError(name + " run: " + e + "; the loop's meters:\n" + meters
                        + "log (with a thread dump if it hung):\n" + ChildApps.read(log), e);
            }
        } finally {
            app.destroy();
            if (!app.waitFor(30, TimeUnit.SECONDS)) {
                app.destroyForcibly();
            }
            output.awaitCopied();
        }
        return new Run(responses, meterStatus, ChildApps.read(log));
    }

    /**
     * The requests, each checked, and a record of each answer (status, the headers a client relies on,
     * a digest of the body) for comparing the two runs.
     */
    private Map<String, String> exercise(String base, Path uploads) throws Exception {
        Map<String, String> seen = new LinkedHashMap<>();
        for (String route : List.of("/", "/uring/", "/stock/")) {
            String uri = base + route + "data.bin";
            HttpResponse<byte[]> full = get(uri);
            assertThat(full.statusCode()).as(uri).isEqualTo(200);
            assertThat(full.body()).as(uri).isEqualTo(data);
            seen.put("GET " + route, describe(full));

            HttpResponse<byte[]> range = get(uri, "Range", "bytes=1000-50999");
            assertThat(range.statusCode()).as(uri).isEqualTo(206);
            assertThat(range.headers().firstValue("Content-Range")).hasValue("bytes 1000-50999/" + data.length);
            assertThat(range.body()).isEqualTo(Arrays.copyOfRange(data, 1000, 51000));
            seen.put("range " + route, describe(range));

            HttpResponse<byte[]> missing = get(base + route + "missing.bin");
            assertThat(missing.statusCode()).isEqualTo(404);
            seen.put("404 " + route, String.valueOf(missing.statusCode()));
        }
        // reactor-uring's own routes (stock RouterFunctions.resources sends no validators): 304 for
        // ETag and Last-Modified, multipart ranges, directory redirects
        for (String route : List.of("/", "/uring/")) {
            String uri = base + route + "data.bin";
            HttpResponse<byte[]> full = get(uri);
            String etag = full.headers().firstValue("ETag").orElseThrow();
            HttpResponse<byte[]> match = get(uri, "If-None-Match", etag);
            assertThat(match.statusCode()).isEqualTo(304);
            assertThat(match.body()).isEmpty();
            seen.put("etag " + route, describe(match));
            String lastModified = full.headers().firstValue("Last-Modified").orElseThrow();
            HttpResponse<byte[]> since = get(uri, "If-Modified-Since", lastModified);
            assertThat(since.statusCode()).as(uri).isEqualTo(304);
            seen.put("since " + route, describe(since));
            keptAliveAfterAQueued304(base, route, etag, lastModified);
            HttpResponse<byte[]> multi = get(uri, "Range", "bytes=0-9,100000-100009");
            assertThat(multi.statusCode()).isEqualTo(206);
            assertThat(multi.headers().firstValue("Content-Type")).hasValueSatisfying(
                    t -> assertThat(t).startsWith("multipart/byteranges"));
            String body = new String(multi.body(), StandardCharsets.ISO_8859_1);
            assertThat(body).contains("Content-Range: bytes 0-9/" + data.length,
                    "Content-Range: bytes 100000-100009/" + data.length);
            seen.put("multi " + route, String.valueOf(multi.statusCode()));
            HttpResponse<byte[]> dir = get(base + route + "docs");
            assertThat(dir.statusCode()).isEqualTo(301);
            seen.put("dir " + route, describe(dir));
        }
        HttpResponse<byte[]> index = get(base + "/");
        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(new String(index.body(), StandardCharsets.UTF_8)).contains("<audio");
        seen.put("index", describe(index));

        HttpResponse<byte[]> stored = http.send(HttpRequest.newBuilder(URI.create(base + "/upload/clip.bin")).timeout(T)
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(stored.statusCode()).isEqualTo(200);
        assertThat(new String(stored.body(), StandardCharsets.UTF_8)).isEqualTo("stored " + upload.length + " bytes\n");
        assertThat(Files.readAllBytes(uploads.resolve("clip.bin"))).isEqualTo(upload);
        seen.put("upload", describe(stored));
        return seen;
    }

    /**
     * The request that went unanswered on Boot 3.5, made deterministic: pipelined behind a full GET, the
     * If-None-Match request is queued by Reactor Netty and (without io_uring) answered synchronously,
     * which left the connection unread on Reactor Netty 1.2.18 / 1.3.6 until the auto-configuration's
     * {@code KeepAliveReads}; the If-Modified-Since request after it must still be read and answered.
     */
    private static void keptAliveAfterAQueued304(String base, String route, String etag, String lastModified)
            throws IOException {
        String path = route + "data.bin";
        try (RawHttpClient raw = new RawHttpClient(Integer.parseInt(base.substring(base.lastIndexOf(':') + 1)))) {
            raw.send(request(path) + request(path, "If-None-Match: " + etag));
            RawHttpClient.Response full = raw.read();
            assertThat(full.status()).as(path).isEqualTo(200);
            assertThat(full.body()).as(path).isEqualTo(data);
            assertThat(raw.read().status()).as("pipelined If-None-Match " + path).isEqualTo(304);
            raw.send(request(path, "If-Modified-Since: " + lastModified));
            assertThat(raw.read().status()).as("If-Modified-Since after a queued 304 " + path).isEqualTo(304);
        }
    }

    private static String request(String path, String... headers) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + String.join("", Arrays.stream(headers)
                .map(h -> h + "\r\n").toList()) + "\r\n";
    }

    private static String describe(HttpResponse<byte[]> r) throws Exception {
        StringBuilder b = new StringBuilder().append(r.statusCode());
        for (String h : List.of("Content-Type", "Content-Length", "Content-Range", "ETag", "Last-Modified", "Location",
                "Accept-Ranges")) {
            r.headers().firstValue(h).ifPresent(v -> b.append(' ').append(h).append('=').append(v));
        }
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(r.body());
        return b.append(" body=").append(HexFormat.of().formatHex(digest)).toString();
    }

    private HttpResponse<byte[]> get(String uri, String... headers) throws Exception {
        return ChildApps.get(http, T, uri, headers);
    }
}
