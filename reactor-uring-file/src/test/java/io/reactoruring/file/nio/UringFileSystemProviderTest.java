package io.reactoruring.file.nio;

import static io.reactoruring.file.nio.UringAsynchronousFileChannelTest.awaitOnLoop;
import static io.reactoruring.file.nio.UringAsynchronousFileChannelTest.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.testing.Fds;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The provider used directly (this JVM's default provider is the platform's). */
class UringFileSystemProviderTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static UringLoop loop;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        loop = UringLoop.create("provider-test");
    }

    @AfterAll
    static void stop() {
        loop.disposeGracefully().block(T);
    }

    private static UringFileSystemProvider provider() {
        return new UringFileSystemProvider(FileSystems.getDefault().provider());
    }

    /** {@code p} as a path of the provider's own file system. */
    private static Path ours(UringFileSystemProvider provider, Path p) {
        return provider.fileSystem().getPath(p.toString());
    }

    @Test
    void newAsynchronousFileChannelIsOursUnlessItCannotBe() throws Exception {
        UringFileSystemProvider provider = provider();
        Path p = Files.write(dir.resolve("a"), random(10_000, 1));
        try (AsynchronousFileChannel ch =
                provider.newAsynchronousFileChannel(p, Set.of(StandardOpenOption.READ), null)) {
            assertThat(ch).isInstanceOf(UringAsynchronousFileChannel.class);
            ByteBuffer b = ByteBuffer.allocate(100);
            assertThat(ch.read(b, 9950).get(10, TimeUnit.SECONDS)).isEqualTo(50);
        }
        assertThat(provider.uringChannels()).isEqualTo(1);
        assertThat(provider.fallbackChannels()).isZero();

        // Initial attributes and DELETE_ON_CLOSE: io_uring's open can't, the platform's channel can.
        Path created = dir.resolve("created");
        try (AsynchronousFileChannel ch = provider.newAsynchronousFileChannel(created,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), null,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            assertThat(ch).isNotInstanceOf(UringAsynchronousFileChannel.class);
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).isEqualTo("rw-------");
        try (AsynchronousFileChannel ch = provider.newAsynchronousFileChannel(created,
                Set.of(StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE), null)) {
            assertThat(ch).isNotInstanceOf(UringAsynchronousFileChannel.class);
        }
        assertThat(created).doesNotExist();
        assertThat(provider.fallbackChannels()).isEqualTo(2);
        // APPEND goes to the platform too, which refuses it for asynchronous channels.
        assertThatThrownBy(() -> provider.newAsynchronousFileChannel(p, Set.of(StandardOpenOption.APPEND), null))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(provider.uringChannels()).isEqualTo(1);
    }

    @Test
    void onALoopThreadItFallsBackInsteadOfBlockingTheLoop() throws Exception {
        UringFileSystemProvider provider = provider();
        Path p = Files.write(dir.resolve("b"), random(10, 4));
        AsynchronousFileChannel ch = Mono.fromCallable(
                () -> provider.newAsynchronousFileChannel(p, Set.of(StandardOpenOption.READ), null))
                .subscribeOn(loop).block(T);
        try (ch) {
            assertThat(ch).isNotInstanceOf(UringAsynchronousFileChannel.class);
            assertThat(ch.read(ByteBuffer.allocate(20), 0).get(10, TimeUnit.SECONDS)).isEqualTo(10);
        }
        assertThat(provider.fallbackChannels()).isEqualTo(1);
        assertThat(provider.uringChannels()).isZero();
    }

    /**
     * Issue 12: only a reactor-uring loop thread (which would wait for a loop, possibly its own) gets
     * the platform's channel; Reactor's other non-blocking threads get io_uring, and a whole Spring
     * read-and-write round trip started there runs on it.
     */
    @Test
    void reactorsNonBlockingThreadsGetIoUringChannels() throws Exception {
        UringFileSystemProvider provider = provider();
        byte[] data = random(300_000, 6);
        Path src = Files.write(dir.resolve("np-src"), data);
        Path dst = dir.resolve("np-dst");
        List<String> kinds = Mono.fromCallable(() -> {
            assertThat(reactor.core.scheduler.Schedulers.isInNonBlockingThread()).isTrue();
            List<String> k = new ArrayList<>();
            try (AsynchronousFileChannel in = provider.newAsynchronousFileChannel(src, Set.of(StandardOpenOption.READ), null);
                    AsynchronousFileChannel out = provider.newAsynchronousFileChannel(dst,
                            Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW), null)) {
                k.add(in.getClass().getSimpleName());
                k.add(out.getClass().getSimpleName());
                DataBufferUtils.write(DataBufferUtils.readAsynchronousFileChannel(() -> in,
                        DefaultDataBufferFactory.sharedInstance, 4096), out).then().toFuture()
                        .get(30, TimeUnit.SECONDS); // Reactor's block() refuses these threads; the JDK's waits do not
            }
            return k;
        }).subscribeOn(reactor.core.scheduler.Schedulers.parallel()).block(T);
        assertThat(kinds).containsExactly("UringAsynchronousFileChannel", "UringAsynchronousFileChannel");
        assertThat(Files.readAllBytes(dst)).isEqualTo(data);
        assertThat(provider.uringChannels()).isEqualTo(2);
        assertThat(provider.fallbackChannels()).isZero();
    }

    @Test
    void pathsOfItsFileSystemLeadBackToItAndWorkWithFiles() throws Exception {
        UringFileSystemProvider provider = provider();
        FileSystem fs = provider.fileSystem();
        assertThat(provider.getFileSystem(URI.create("file:///"))).isSameAs(fs);
        assertThat(provider.getScheme()).isEqualTo("file");

        Path d = ours(provider, dir);
        assertThat(d.getFileSystem()).isSameAs(fs);
        assertThat(d.getFileSystem().provider()).isSameAs(provider);
        Path f = d.resolve("sub").resolve("f.txt");
        assertThat(f.getFileSystem()).isSameAs(fs);
        Files.createDirectory(f.getParent());
        Files.writeString(f, "hello");
        assertThat(Files.readString(f)).isEqualTo("hello");
        assertThat(Files.readString(dir.resolve("sub/f.txt"))).isEqualTo("hello");
        assertThat(f.toFile()).isEqualTo(dir.resolve("sub/f.txt").toFile());
        assertThat(f.toUri()).isEqualTo(dir.resolve("sub/f.txt").toUri());
        assertThat(provider.getPath(f.toUri())).isEqualTo(f);
        assertThat(f.startsWith(d)).isTrue();
        assertThat(f.endsWith("f.txt")).isTrue();
        assertThat(d.relativize(f).toString()).isEqualTo("sub" + fs.getSeparator() + "f.txt");
        assertThat(f.getFileName().getFileSystem()).isSameAs(fs);
        assertThat(fs.getPathMatcher("glob:**.txt").matches(f)).isTrue();
        assertThat(Files.isSameFile(f, dir.resolve("sub/f.txt"))).isTrue();

        List<Path> listed = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(f.getParent(), "*.txt")) {
            entries.forEach(listed::add);
        }
        assertThat(listed).containsExactly(f);
        try (Stream<Path> walk = Files.walk(d)) {
            assertThat(walk.allMatch(p -> p.getFileSystem() == fs)).isTrue();
        }
        Path moved = d.resolve("moved.txt");
        Files.move(f, moved);
        Files.copy(moved, f);
        assertThat(Files.readAllBytes(f)).isEqualTo(Files.readAllBytes(moved));
        Files.delete(moved);
        assertThat(Files.exists(moved)).isFalse();

        // The dispatch that matters: AsynchronousFileChannel.open goes to the path's provider.
        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(f, StandardOpenOption.READ)) {
            assertThat(ch).isInstanceOf(UringAsynchronousFileChannel.class);
        }
        assertThat(provider.uringChannels()).isEqualTo(1);
        assertThatThrownBy(() -> provider.delete(Path.of(URI.create("jrt:/java.base"))))
                .isInstanceOf(ProviderMismatchException.class);
    }

    private static byte[] join(Flux<DataBuffer> buffers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        buffers.doOnNext(b -> {
            byte[] bytes = new byte[b.readableByteCount()];
            b.read(bytes);
            out.writeBytes(bytes);
            DataBufferUtils.release(b);
        }).blockLast(T);
        return out.toByteArray();
    }

    @Test
    void springDataBufferUtilsReadsAMultiMebibyteFileThroughOurChannel() throws Exception {
        byte[] data = random(5 * 1024 * 1024 + 123, 2);
        Path p = Files.write(dir.resolve("spring"), data);
        long fds = Fds.openUnder(dir);
        long outstanding = loop.bufferPool().outstanding();
        List<AsynchronousFileChannel> opened = new ArrayList<>();
        Flux<DataBuffer> read = DataBufferUtils.readAsynchronousFileChannel(() -> {
            AsynchronousFileChannel ch =
                    UringAsynchronousFileChannel.open(loop, p, Set.of(StandardOpenOption.READ), null);
            opened.add(ch);
            return ch;
        }, DefaultDataBufferFactory.sharedInstance, 64 * 1024);
        assertThat(join(read)).isEqualTo(data);
        assertThat(opened).hasSize(1).allMatch(ch -> !ch.isOpen());
        awaitOnLoop(loop, "pooled copies returned", () -> loop.bufferPool().outstanding() == outstanding);
        assertThat(Fds.openUnder(dir)).isEqualTo(fds);

        // DataBufferUtils.read(Path) opens through the path's provider: with our file system's path, ours.
        UringFileSystemProvider provider = provider();
        assertThat(join(DataBufferUtils.read(ours(provider, p), DefaultDataBufferFactory.sharedInstance, 8192)))
                .isEqualTo(data);
        assertThat(provider.uringChannels()).isEqualTo(1);
        assertThat(provider.fallbackChannels()).isZero();
    }

    @Test
    void springDataBufferUtilsWritesThroughOurChannel() throws Exception {
        byte[] data = random(3 * 1024 * 1024, 3);
        Path p = dir.resolve("written");
        List<DataBuffer> chunks = new ArrayList<>();
        for (int off = 0; off < data.length; off += 100_000) {
            chunks.add(DefaultDataBufferFactory.sharedInstance.wrap(
                    ByteBuffer.wrap(data, off, Math.min(100_000, data.length - off)).slice()));
        }
        try (AsynchronousFileChannel ch = UringAsynchronousFileChannel.open(loop, p,
                Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), null)) {
            DataBufferUtils.write(Flux.fromIterable(chunks), ch).blockLast(T);
        }
        assertThat(Files.readAllBytes(p)).isEqualTo(data);
    }
}
