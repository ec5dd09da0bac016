package io.reactoruring.file.nio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.nio.file.NoSuchFileException;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link UringFileSystemProvider} installed as the JVM's default provider through the system property,
 * in a child JVM (the property is read once per JVM) running {@link DefaultProviderChild} on this
 * test's class path.
 */
class UringDefaultProviderTest {
    private static final String PROPERTY =
            "-Djava.nio.file.spi.DefaultFileSystemProvider=" + UringFileSystemProvider.class.getName();

    @TempDir
    Path dir;

    private static final String THREAD_FACTORY = "-Djava.nio.channels.DefaultThreadPool.threadFactory="
            + DefaultProviderChild.PropertyThreads.class.getName();

    /** A JDK 25 where CI and developers have one (as scripts/consumer-test.sh finds it), else null. */
    static @Nullable Path java25() throws IOException {
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            return jdks.filter(j -> j.getFileName().toString().contains("25"))
                    .map(j -> j.resolve("bin/java")).filter(Files::isExecutable).sorted().findFirst().orElse(null);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Runs the child with {@code jvmOptions}; returns its output after checking it exited with 0. */
    private String runChild(String... jvmOptions) throws IOException, InterruptedException {
        return runChild(Path.of(System.getProperty("java.home"), "bin", "java"), jvmOptions);
    }

    private String runChild(Path java, String... jvmOptions) throws IOException, InterruptedException {
        Path work = Files.createDirectory(dir.resolve("work"));
        Path output = dir.resolve("child.out");
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), DefaultProviderChild.class.getName(),
                work.toString()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
        boolean exited = child.waitFor(2, TimeUnit.MINUTES); // a bound against a hung child, not a timing check
        if (!exited) {
            child.destroyForcibly();
        }
        String out = Files.readString(output);
        assertThat(exited).as("child exited; output:%n%s", out).isTrue();
        assertThat(child.exitValue()).as("child exit code; output:%n%s", out).isZero();
        return out;
    }

    @Test
    void withThePropertyUnchangedCodeReadsThroughIoUring() throws Exception {
        assertUringChild(runChild(PROPERTY, THREAD_FACTORY));
    }

    @Test
    void onJdk25TooIncludingProbeContentType() throws Exception {
        Path java = java25();
        assumeTrue(java != null, "no JDK 25 under /usr/lib/jvm");
        assertUringChild(runChild(java, PROPERTY, THREAD_FACTORY, "--enable-native-access=ALL-UNNAMED"));
    }

    private static void assertUringChild(String out) {
        assertThat(out).contains("io_uring available=true",
                "DataBufferUtils.read bytes match=true",
                // DataBufferUtils.read(Path) opened exactly one channel, and it was an io_uring one.
                "after DataBufferUtils.read: uringChannels=1 fallbackChannels=0",
                "AsynchronousFileChannel.open gave " + UringAsynchronousFileChannel.class.getName(),
                "file URIs=ok",
                "probeContentType html=text/html css=text/css",
                "watch round trip=ok",
                "handler thread=from-property-",
                "on parallel(): UringAsynchronousFileChannel size=4194321 uring=1",
                "no leaks=true");
    }

    @Test
    void withIoUringDisabledTheSameCodeGetsTheJdkChannel() throws Exception {
        // The JDK's channel here is the control for what the io_uring run prints.
        String out = runChild(PROPERTY, THREAD_FACTORY, "-Dreactoruring.disabled=true");
        assertThat(out).contains("io_uring available=false",
                "DataBufferUtils.read bytes match=true",
                "after DataBufferUtils.read: uringChannels=0 fallbackChannels=1",
                "AsynchronousFileChannel.open gave sun.nio.ch.SimpleAsynchronousFileChannelImpl",
                "file URIs=ok",
                "probeContentType html=text/html css=text/css",
                "watch round trip=ok",
                "handler thread=from-property-",
                "on parallel(): SimpleAsynchronousFileChannelImpl size=4194321 uring=0",
                "no leaks=true");
    }
}
