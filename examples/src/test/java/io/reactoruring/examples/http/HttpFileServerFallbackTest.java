package io.reactoruring.examples.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.Uring;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP file server as its user starts it, in a JVM with {@code -Dreactoruring.disabled=true}:
 * with no code change it serves over the NIO fallbacks of reactor-uring-net and reactor-uring-file.
 */
class HttpFileServerFallbackTest {
    private static final Duration T = Duration.ofSeconds(10);
    private static final Pattern SERVING = Pattern.compile("on http://127\\.0\\.0\\.1:(\\d+)/");

    @TempDir
    Path root;

    @Test
    void servesFilesWithoutIoUring() throws Exception {
        byte[] big = new byte[300_000 + 17]; // head, then sendFile
        new Random(3).nextBytes(big);
        Files.write(root.resolve("big.bin"), big);
        Files.writeString(root.resolve("small.txt"), "small and merged with its head");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process server = new ProcessBuilder(java, "-D" + Uring.DISABLE_PROPERTY + "=true",
                "-cp", System.getProperty("java.class.path"), HttpFileServer.class.getName(), root.toString(), "0")
                .redirectErrorStream(true)
                .start();
        StringBuilder output = new StringBuilder();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            for (String line; port < 0 && (line = lines.readLine()) != null; ) {
                output.append(line).append('\n');
                Matcher m = SERVING.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            assertThat(port).as(output.toString()).isPositive();
            assertThat(output.toString()).contains("NIO fallbacks");

            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(T).build();
            HttpResponse<byte[]> whole = client.send(request(port, "/big.bin").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(whole.statusCode()).isEqualTo(200);
            assertThat(whole.body()).isEqualTo(big);
            HttpResponse<byte[]> range = client.send(request(port, "/big.bin").header("Range", "bytes=1000-200999").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.body()).isEqualTo(Arrays.copyOfRange(big, 1000, 201_000));
            HttpResponse<String> small = client.send(request(port, "/small.txt").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(small.body()).isEqualTo("small and merged with its head");
            HttpResponse<String> missing = client.send(request(port, "/nope").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(missing.statusCode()).isEqualTo(404);
        } finally {
            server.destroy(); // SIGTERM: the shutdown hook disposes the server
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).as(output.toString()).isTrue();
        }
    }

    private static HttpRequest.Builder request(int port, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(T);
    }
}
