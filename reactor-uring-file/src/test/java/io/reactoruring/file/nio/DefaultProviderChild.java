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
import java.nio.channels.CompletionHandler;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
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

        // file: URIs that are not file:/// (File.toURI(), class-path URLs): the JDK answers with
        // new File(uri).toPath(), already one of our paths, which must not be wrapped again.
        Path viaFileUri = Path.of(new File(dir.toString()).toURI());
        assertThat(viaFileUri.toUri().toString()).startsWith("file:/");
        assertThat(viaFileUri).isEqualTo(dir);
        assertThat(Files.exists(viaFileUri)).isTrue();
        assertThat(Files.exists(Path.of(f.toURI()))).isTrue();
        assertThat(Files.readAllBytes(Path.of(p.toUri().toURL().toURI()))).hasSize(data.length);
        System.out.println("file URIs=ok");

        // JDK 17 to 24 cast the default provider when Files.probeContentType first runs.
        Path html = Files.writeString(dir.resolve("index.html"), "<p>hi</p>");
        String type = Files.probeContentType(html);
        String again = Files.probeContentType(Files.writeString(dir.resolve("style.css"), "p {}"));
        System.out.println("probeContentType html=" + type + " css=" + again);

        watchRoundTrip(dir);
        System.out.println("watch round trip=ok");

        // Handlers of a channel opened without an executor run on the default pool, whose threads
        // come from java.nio.channels.DefaultThreadPool.threadFactory when it is set.
        try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(p, StandardOpenOption.READ)) {
            CompletableFuture<String> thread = new CompletableFuture<>();
            ch.read(ByteBuffer.allocate(10), 0, null, new CompletionHandler<Integer, Void>() {
                @Override
                public void completed(Integer result, Void attachment) {
                    thread.complete(Thread.currentThread().getName());
                }

                @Override
                public void failed(Throwable exc, Void attachment) {
                    thread.completeExceptionally(exc);
                }
            });
            System.out.println("handler thread=" + thread.get(10, TimeUnit.SECONDS));
        }

        // Reactor's non-blocking parallel() threads get io_uring too (only loop threads cannot wait for a loop).
        long before = provider.uringChannels();
        String onParallel = Mono.fromCallable(() -> {
            try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(p, StandardOpenOption.READ)) {
                return ch.getClass().getSimpleName() + " size=" + ch.size();
            }
        }).subscribeOn(Schedulers.parallel()).block(Duration.ofSeconds(10));
        System.out.println("on parallel(): " + onParallel + " uring=" + (provider.uringChannels() - before));

        if (Uring.isAvailable()) {
            for (UringLoop loop : UringLoopGroup.shared().loops()) {
                awaitOnLoop(loop, "pooled copies returned", () -> outstandingInSharedLoops() == outstanding);
            }
        }
        assertThat(openFds()).isEqualTo(fds);
        System.out.println("no leaks=true");
    }

    /** A file created, seen through the key's watchable(), relativized against the directory and moved atomically. */
    private static void watchRoundTrip(Path dir) throws Exception {
        try (WatchService watcher = FileSystems.getDefault().newWatchService()) {
            WatchKey key = dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE);
            assertThat(dir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE)).isSameAs(key);
            Files.writeString(dir.resolve("watched"), "x");
            Path created = null;
            while (created == null) {
                WatchKey signalled = watcher.poll(30, TimeUnit.SECONDS);
                assertThat(signalled).as("a key within 30 s").isSameAs(key);
                assertThat(signalled.watchable()).isEqualTo(dir);
                for (WatchEvent<?> e : signalled.pollEvents()) {
                    Path name = (Path) e.context();
                    assertThat(name.getFileSystem()).isSameAs(dir.getFileSystem());
                    if (name.toString().equals("watched")) {
                        created = ((Path) signalled.watchable()).resolve(name);
                    }
                }
                signalled.reset();
            }
            assertThat(dir.relativize(created)).isEqualTo(Path.of("watched"));
            Files.move(created, dir.resolve("watched-moved"), StandardCopyOption.ATOMIC_MOVE);
            assertThat(Files.exists(dir.resolve("watched-moved"))).isTrue();
            key.cancel();
            assertThat(key.isValid()).isFalse();
        }
    }

    /** Named by java.nio.channels.DefaultThreadPool.threadFactory in the test. */
    public static final class PropertyThreads implements ThreadFactory {
        private final AtomicInteger count = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "from-property-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
        }
    }

    private static long outstandingInSharedLoops() {
        if (!Uring.isAvailable()) {
            return 0;
        }
        return UringLoopGroup.shared().loops().stream().mapToLong(l -> l.bufferPool().outstanding()).sum();
    }
}
