package io.reactoruring.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.file.nio.UringAsynchronousFileChannel;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

/**
 * Spring's own {@code DataBufferUtils} copy (read handler → sink → write handler → next read) through
 * the io_uring {@link AsynchronousFileChannel}, whose chained ops run inline on the handler thread
 * and invoke Spring's handlers directly (issue 12): Spring's handlers must see the same results
 * as with the JDK's channel, whatever the buffer size.
 */
class AfcDataBufferUtilsCopyTest {
    private static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = {4096, 65536, 1000})
    void copiesEveryByteLikeTheJdksChannel(int bufferSize) throws Exception {
        byte[] data = new byte[(8 << 20) + 123];
        new Random(bufferSize).nextBytes(data);
        Path src = dir.resolve("src");
        Files.write(src, data);
        for (boolean uring : new boolean[] {true, false}) {
            Path dst = dir.resolve("dst-" + uring);
            Set<StandardOpenOption> write = Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
            try (AsynchronousFileChannel out = uring
                    ? UringAsynchronousFileChannel.open(dst, write, null)
                    : AsynchronousFileChannel.open(dst, write, null)) {
                DataBufferUtils.write(DataBufferUtils.readAsynchronousFileChannel(
                                () -> uring ? UringAsynchronousFileChannel.open(src, StandardOpenOption.READ)
                                        : AsynchronousFileChannel.open(src, StandardOpenOption.READ),
                                DefaultDataBufferFactory.sharedInstance, bufferSize), out)
                        .map(DataBufferUtils::release)
                        .then()
                        .block(T);
            }
            assertThat(Files.readAllBytes(dst)).as("copy through %s", uring ? "io_uring" : "the JDK").isEqualTo(data);
        }
    }
}
