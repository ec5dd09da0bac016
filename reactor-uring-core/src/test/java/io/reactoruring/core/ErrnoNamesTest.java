package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 10 "Also": every errno the kernel can return has a name ("errno 6 (Unknown error 6)" was ENXIO). */
class ErrnoNamesTest {

    @Test
    void everyLinuxErrnoFromOneTo133HasANameAndADescription() {
        Set<String> names = new HashSet<>();
        for (int e = 1; e <= 133; e++) {
            if (e == 41 || e == 58) {
                continue; // unassigned on Linux
            }
            assertThat(Errno.name(e)).as("errno %d", e).startsWith("E").doesNotStartWith("errno");
            assertThat(Errno.description(e)).as("errno %d", e).doesNotStartWith("Unknown error");
            assertThat(names.add(Errno.name(e))).as("%s named twice", Errno.name(e)).isTrue();
            assertThat(Errno.name(-e)).isEqualTo(Errno.name(e));
        }
        assertThat(Errno.name(6)).isEqualTo("ENXIO");
        assertThat(Errno.name(134)).isEqualTo("errno 134");
    }

    @Test
    void namesMatchTheKernelHeaders() throws Exception {
        Path base = Path.of("/usr/include/asm-generic/errno-base.h");
        Path more = Path.of("/usr/include/asm-generic/errno.h");
        assumeTrue(Files.exists(base) && Files.exists(more), "kernel headers (linux-libc-dev) not installed");
        Map<Integer, Set<String>> byNumber = new HashMap<>();
        Pattern define = Pattern.compile("#define\\s+(E\\w+)\\s+(\\d+)");
        for (Path p : new Path[] {base, more}) {
            Matcher m = define.matcher(Files.readString(p));
            while (m.find()) {
                byNumber.computeIfAbsent(Integer.parseInt(m.group(2)), k -> new HashSet<>()).add(m.group(1));
            }
        }
        assertThat(byNumber).hasSizeGreaterThan(120);
        byNumber.forEach((n, names) -> assertThat(names).as("errno %d", n).contains(Errno.name(n)));
    }

    @Test
    void enxioIsAFileSystemExceptionNamingTheErrno() {
        Exception e = Errno.exception(-Errno.ENXIO, "openat", "/tmp/fifo");
        assertThat(e).isInstanceOf(FileSystemException.class).isInstanceOf(UringError.class);
        assertThat(e.getMessage()).contains("ENXIO").contains("No such device or address").contains("openat");
    }

    @Test
    void aFifoOpenedForWritingWithoutAReaderFailsWithEnxio(@TempDir Path dir) throws Exception {
        assumeUring();
        Path fifo = dir.resolve("fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assumeTrue(mkfifo.waitFor(30, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo failed");
        UringLoop loop = UringLoop.create("errno-test");
        try (TestSupport.CPath path = new TestSupport.CPath(fifo)) {
            // O_WRONLY|O_NONBLOCK|O_CLOEXEC on a FIFO with no reader: ENXIO.
            Throwable error = loop.submit(TestSupport.openat(path, 01 | 04000 | 02000000, 0))
                    .map(fd -> (Throwable) new AssertionError("opened: fd " + fd))
                    .onErrorResume(t -> reactor.core.publisher.Mono.just(t))
                    .block(Duration.ofSeconds(10));
            assertThat(error).isInstanceOf(FileSystemException.class);
            assertThat(Errno.errnoOf(error)).isEqualTo(Errno.ENXIO);
            assertThat(error.getMessage()).contains("ENXIO").doesNotContain("Unknown error");
        } finally {
            loop.disposeGracefully().block(Duration.ofSeconds(10));
        }
    }
}
