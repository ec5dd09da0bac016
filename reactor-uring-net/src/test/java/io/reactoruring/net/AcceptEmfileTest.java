package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.Uring;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A server whose process runs out of fds keeps its listening socket: the accept fails with EMFILE
 * (logged), is retried, and the connection that waited in the backlog is served once fds are back.
 * In a child JVM ({@link AcceptEmfileMain}) with {@code ulimit -n 256}, on io_uring and on the NIO
 * fallback.
 */
class AcceptEmfileTest {

    @ParameterizedTest(name = "io_uring disabled: {0}")
    @ValueSource(booleans = {false, true})
    void acceptRecoversFromEmfile(boolean nio) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String command = "ulimit -n 256 && exec '" + java + "' -D" + Uring.DISABLE_PROPERTY + "=" + nio
                + " -cp '" + System.getProperty("java.class.path") + "' " + AcceptEmfileMain.class.getName();
        Process child = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
        // A child that hangs is killed, which ends the reads below with the output seen so far.
        CompletableFuture.runAsync(child::destroyForcibly, CompletableFuture.delayedExecutor(60, TimeUnit.SECONDS));
        StringBuilder seen = new StringBuilder();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            PrintStream in = new PrintStream(child.getOutputStream(), true, StandardCharsets.UTF_8);
            int port = Integer.parseInt(readUntil(out, seen, "port=").substring("port=".length()));

            in.println("fill");
            assertThat(readUntil(out, seen, "full=")).as(seen.toString()).isNotEmpty();
            try (Socket peer = new Socket("127.0.0.1", port)) { // completes in the kernel's backlog
                peer.setSoTimeout(10_000);
                peer.getOutputStream().write("after EMFILE".getBytes(StandardCharsets.UTF_8));
                String failure = readUntil(out, seen, "accept on");
                assertThat(failure).as(seen.toString()).contains("failed, retrying");
                readUntil(out, seen, "Too many open files"); // the logged cause: EMFILE, as errno or as the JDK's text
                in.println("free");
                readUntil(out, seen, "freed");
                peer.shutdownOutput();
                String echoed = new String(peer.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(echoed).as(seen.toString()).isEqualTo("after EMFILE");
            }
            in.println("exit");
            readUntil(out, seen, "bye");
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as(seen.toString()).isZero();
        } finally {
            child.destroyForcibly();
        }
    }

    /** The first line from {@code out} that contains {@code marker} (from the marker on), collecting all into {@code seen}. */
    private static String readUntil(BufferedReader out, StringBuilder seen, String marker) throws Exception {
        for (String line; (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            int at = line.indexOf(marker);
            if (at >= 0) {
                return line.substring(at);
            }
        }
        throw new AssertionError("the child ended before printing '" + marker + "':\n" + seen);
    }
}
