package io.reactoruring.file.nio;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

    /** Runs the child with {@code jvmOptions}; returns its output after checking it exited with 0. */
    private String runChild(String... jvmOptions) throws IOException, InterruptedException {
        Path work = Files.createDirectory(dir.resolve("work"));
        Path output = dir.resolve("child.out");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
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
        String out = runChild(PROPERTY);
        assertThat(out).contains("io_uring available=true",
                "DataBufferUtils.read bytes match=true",
                // DataBufferUtils.read(Path) opened exactly one channel, and it was an io_uring one.
                "after DataBufferUtils.read: uringChannels=1 fallbackChannels=0",
                "AsynchronousFileChannel.open gave " + UringAsynchronousFileChannel.class.getName(),
                "no leaks=true");
    }

    @Test
    void withIoUringDisabledTheSameCodeGetsTheJdkChannel() throws Exception {
        String out = runChild(PROPERTY, "-Dreactoruring.disabled=true");
        assertThat(out).contains("io_uring available=false",
                "DataBufferUtils.read bytes match=true",
                "after DataBufferUtils.read: uringChannels=0 fallbackChannels=1",
                "AsynchronousFileChannel.open gave sun.nio.ch.SimpleAsynchronousFileChannelImpl",
                "no leaks=true");
    }
}
