package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reactoruring.core.SharedFd;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** sendFile over loopback: splice and the buffered fallback, offsets, errors, no fd left open; {@link NioSendFileTest} on NIO. */
class SendFileTest {
    private static final Duration T = LoopbackFixture.T;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("send-file-test", 1);
    static byte[] content;
    static Path file;
    @TempDir
    static Path dir;

    private final Sinks.One<byte[]> received = Sinks.one();

    @BeforeAll
    static void setUp() throws IOException {
        content = new byte[5 * 1024 * 1024 + 4321];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 13 + (i >>> 11));
        }
        file = Files.write(dir.resolve("payload.bin"), content);
    }

    /** A connection to a collecting server, returned once the server has accepted it (and so opened its fd). */
    private UringConnection connectToCollector() {
        UringServer server = net.collectingServer(received);
        UringConnection c = net.client(server).connect().block(T);
        assertThat(c).isNotNull();
        assertThat(net.await(() -> server.activeConnections() == 1)).isTrue();
        return c;
    }

    /** "default": SPLICE on io_uring, FileChannel reads on NIO; "buffered": io_uring's READ-and-send fallback. */
    private static Mono<Void> sendFile(UringConnection c, long position, long count, String path) {
        return path.equals("default") ? c.sendFile(file, position, count) : c.sendFile(file, position, count, false);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"default", "buffered"})
    void sendsTheRequestedRangeIntact(String path) throws IOException {
        assumeTrue(path.equals("default") || !net.nio(), "NIO has one path, and it is buffered");
        long fdsBefore = FdLeakTest.openFds();
        UringConnection c = connectToCollector();
        long position = 1234;
        long count = content.length - position - 99;
        StepVerifier.create(sendFile(c, position, count, path)
                        .then(sendFile(c, 0, 10, path)) // a second range right after, in order
                        .then(c.shutdownOutput()))
                .verifyComplete();
        byte[] expected = new byte[(int) count + 10];
        System.arraycopy(content, (int) position, expected, 0, (int) count);
        System.arraycopy(content, 0, expected, (int) count, 10);
        assertThat(received.asMono().block(T)).isEqualTo(expected);
        c.dispose();
        c.onDispose().block(T);
        net.stopServer();
        assertThat(net.await(() -> {
            try {
                return FdLeakTest.openFds() <= fdsBefore;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })).as("file and pipe fds closed").isTrue();
        assertThat(net.await(() -> net.outstanding() == 0)).isTrue();
    }

    /** A file the caller has open: no second open, the fd stays the caller's, and a short file ends in EOF. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"default", "buffered"})
    void sendsFromAFileTheCallerHasOpen(String path) throws IOException {
        UringConnection c = connectToCollector();
        SharedFd open = FileSender.open(net.loop(), file, file.toString()).block(T);
        assertThat(open).isNotNull();
        try {
            if (net.nio()) {
                StepVerifier.create(c.sendFile(open, 0, 10)).expectError(UnsupportedOperationException.class).verify(T);
                return;
            }
            RingConnectionIo ring = (RingConnectionIo) c.io();
            boolean splice = path.equals("default");
            long fdsBefore = FdLeakTest.openFds();
            StepVerifier.create(ring.sendFile(open, 100, 5000, splice)).verifyComplete();
            StepVerifier.create(ring.sendFile(open, content.length - 10, 20, splice))
                    .expectError(EOFException.class).verify(T);
            StepVerifier.create(c.shutdownOutput()).verifyComplete();
            byte[] expected = new byte[5010];
            System.arraycopy(content, 100, expected, 0, 5000);
            System.arraycopy(content, content.length - 10, expected, 5000, 10);
            assertThat(received.asMono().block(T)).as("the range, then what the short file had").isEqualTo(expected);
            assertThat(open.isClosing()).as("still the caller's").isFalse();
            // The splice pipe may have been opened; the file was not opened again.
            assertThat(FdLeakTest.openFds() - fdsBefore).isLessThanOrEqualTo(splice ? 2 : 0);
            assertThatThrownBy(() -> c.sendFile(open, -1, 1)).isInstanceOf(IllegalArgumentException.class);
        } finally {
            open.close().block(T);
            c.dispose();
            c.onDispose().block(T);
        }
        StepVerifier.create(c.sendFile(open, 0, 1)).as("a closed file").expectError().verify(T);
    }

    /** On io_uring the connection keeps one splice pipe for all its sendFiles, and closes it with itself. */
    @Test
    void consecutiveSendFilesShareOnePipe() throws IOException {
        UringConnection c = connectToCollector();
        long before = FdLeakTest.openFds();
        StepVerifier.create(c.sendFile(file, 0, 1000)).verifyComplete();
        long afterFirst = FdLeakTest.openFds();
        assertThat(afterFirst - before).as("at most the pipe's two ends stay open").isLessThanOrEqualTo(2);
        for (int i = 0; i < 5; i++) {
            StepVerifier.create(c.sendFile(file, 0, 1000)).verifyComplete();
        }
        assertThat(FdLeakTest.openFds()).as("no new pipe per file").isEqualTo(afterFirst);
        StepVerifier.create(c.shutdownOutput()).verifyComplete();
        byte[] expected = new byte[6000];
        for (int i = 0; i < 6; i++) {
            System.arraycopy(content, 0, expected, i * 1000, 1000);
        }
        assertThat(received.asMono().block(T)).isEqualTo(expected);
        c.dispose();
        c.onDispose().block(T);
        assertThat(FdLeakTest.openFds()).as("the pipe closed with the connection").isLessThan(before);
    }

    @Test
    void countBeyondTheEndOfTheFileFailsBeforeSendingAnything() throws IOException {
        UringConnection c = connectToCollector();
        long fdsBefore = FdLeakTest.openFds();
        StepVerifier.create(c.sendFile(file, 10, content.length))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(EOFException.class).hasMessageContaining("payload.bin"))
                .verify(T);
        StepVerifier.create(c.sendFile(dir.resolve("missing.bin"), 0, 1)).expectError(NoSuchFileException.class).verify(T);
        assertThat(net.await(() -> {
            try {
                return FdLeakTest.openFds() <= fdsBefore;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        })).as("the file's fd is closed after the error").isTrue();
        // The connection is unharmed: nothing was sent, and it still works.
        StepVerifier.create(c.sendFile(file, 0, 3).then(c.shutdownOutput())).verifyComplete();
        assertThat(received.asMono().block(T)).isEqualTo(Arrays.copyOf(content, 3));
        c.dispose();
    }

    @Test
    void badArgumentsAreRejectedBeforeTheKernel() {
        UringConnection c = connectToCollector();
        assertThatThrownBy(() -> c.sendFile(file, -1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.sendFile(file, 0, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.sendFile((Path) null, 0, 1)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> c.sendFile((SharedFd) null, 0, 1)).isInstanceOf(NullPointerException.class);
        StepVerifier.create(c.sendFile(file, 0, 0).then(c.shutdownOutput())).verifyComplete();
        assertThat(received.asMono().block(T)).isEmpty();
        c.dispose();
    }
}
