package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.Uring;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The fallback as a user meets it: a JVM with {@code -Dreactoruring.disabled=true} (detection runs
 * once per JVM, so it needs its own) runs the same public API on NIO, picked without being asked,
 * and logs one warning naming the cause.
 */
class FallbackProcessTest {

    @Test
    void withIoUringDisabledTheApiRunsOnNioWithOneWarning() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-D" + Uring.DISABLE_PROPERTY + "=true",
                "-cp", System.getProperty("java.class.path"), FallbackMain.class.getName())
                .redirectErrorStream(true)
                .start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        assertThat(out).contains("serverIsUring=false", "clientIsUring=false", "loop=UnsupportedOperationException",
                "echo=hello", "refused=java.net.ConnectException", "done");
        List<String> warnings = out.lines().filter(l -> l.contains("falls back to AsynchronousSocketChannel")).toList();
        assertThat(warnings).as(out).hasSize(1);
        assertThat(warnings.get(0)).contains("io_uring disabled by -D" + Uring.DISABLE_PROPERTY + "=true");
    }
}
