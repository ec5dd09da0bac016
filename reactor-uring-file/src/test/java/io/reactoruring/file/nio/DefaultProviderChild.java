package io.reactoruring.file.nio;

import static io.reactoruring.file.nio.UringAsynchronousFileChannelTest.awaitOnLoop;
import static io.reactoruring.file.nio.UringAsynchronousFileChannelTest.openFds;
import static io.reactoruring.file.nio.UringAsynchronousFileChannelTest.random;
import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

/**
 * The program {@link UringDefaultProviderTest} runs in a child JVM started with
 * {@code -Djava.nio.file.spi.DefaultFileSystemProvider=io.reactoruring.file.nio.UringFileSystemProvider}:
 * code that knows nothing of io_uring ({@code AsynchronousFileChannel.open}, Spring's
 * {@code DataBufferUtils.read(Path, ...)}) must get our channel, or the JDK's when io_uring is off.
 * Checks with AssertJ (a failure exits non-zero with the stack trace) and prints what it saw.
 *
 * <p>Arguments: a scratch directory.
 */
public final class DefaultProviderChild {
    private DefaultProviderChild() {
    }

    public static void main(String[] args) throws Exception {
        assertThat(FileSystems.getDefault().provider()).isInstanceOf(UringFileSystemProvider.class);
        UringFileSystemProvider provider = (UringFileSystemProvider) FileSystems.getDefault().provider();
        Path dir = Path.of(args[0]);
        assertThat(dir.getFileSystem().provider()).isSameAs(provider);
        System.out.println("io_uring available=" + Uring.isAvailable());

        byte[] data = random(4 * 1024 * 1024 + 17, 21);
        Path p = Files.write(dir.resolve("big"), data);
        long outstanding = outstandingInSharedLoops(); // first: creates the shared loops and their fds
        long fds = openFds();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataBufferUtils.read(p, DefaultDataBufferFactory.sharedInstance, 64 * 1024).doOnNext(b -> {
            byte[] bytes = new byte[b.readableByteCount()];
            b.read(bytes);
            out.writeBytes(bytes);
            DataBufferUtils.release(b);
        }).blockLast(Duration.ofSeconds(30));
        assertThat(out.toByteArray()).isEqualTo(data);
        System.out.println("DataBufferUtils.read bytes match=true");
        System.out.println("after DataBufferUtils.read: uringChannels=" + provider.uringChannels()
                + " fallbackChannels=" + provider.fallbackChannels());

        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(100);
            assertThat(ch.read(b, data.length - 40L).get(10, TimeUnit.SECONDS)).isEqualTo(40);
            System.out.println("AsynchronousFileChannel.open gave " + ch.getClass().getName());
        }

        // The rest of NIO and java.io still agree on paths of the replaced default file system.
        File f = p.toFile();
        assertThat(f.length()).isEqualTo(data.length);
        assertThat(f.toPath()).isEqualTo(p);
        assertThat(Path.of(p.toUri())).isEqualTo(p);
        try (Stream<Path> list = Files.list(dir)) {
            assertThat(list.map(Path::getFileName).map(Path::toString)).containsExactly("big");
        }

        if (Uring.isAvailable()) {
            for (UringLoop loop : UringLoopGroup.shared().loops()) {
                awaitOnLoop(loop, "pooled copies returned", () -> outstandingInSharedLoops() == outstanding);
            }
        }
        assertThat(openFds()).isEqualTo(fds);
        System.out.println("no leaks=true");
    }

    private static long outstandingInSharedLoops() {
        if (!Uring.isAvailable()) {
            return 0;
        }
        return UringLoopGroup.shared().loops().stream().mapToLong(l -> l.bufferPool().outstanding()).sum();
    }
}
