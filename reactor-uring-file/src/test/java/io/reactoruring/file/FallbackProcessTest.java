package io.reactoruring.file;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.Uring;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fallback as a user meets it: a JVM with {@code -Dreactoruring.disabled=true} (detection runs
 * once per JVM, so it needs its own) uses the same public API on NIO and logs one warning naming the
 * cause.
 */
class FallbackProcessTest {
    @TempDir
    Path dir;

    @Test
    void withIoUringDisabledTheApiRunsOnNioWithOneWarning() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-D" + Uring.DISABLE_PROPERTY + "=true",
                "-cp", System.getProperty("java.class.path"), FallbackMain.class.getName(), dir.toString())
                .redirectErrorStream(true)
                .start();
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(out).isZero();
        assertThat(out).contains("usesUring=false", "isUring=false", "read=hello",
                "missing=java.nio.file.NoSuchFileException", "size=5", "afc=hello fallbackChannels=1", "done");
        List<String> warnings = out.lines().filter(l -> l.contains("falls back to FileChannel")).toList();
        assertThat(warnings).as(out).hasSize(1);
        assertThat(warnings.get(0)).contains("io_uring disabled by -D" + Uring.DISABLE_PROPERTY + "=true");
    }
}
