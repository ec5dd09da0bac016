package io.reactoruring.file;

import io.reactoruring.file.nio.UringFileSystemProvider;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Run by {@link FallbackProcessTest} in a JVM started with {@code -Dreactoruring.disabled=true}, and by
 * {@link RestrictedEnvironmentTest} where io_uring is blocked or limited: uses the public loop-less API
 * and the AsynchronousFileChannel drop-in, and prints what it saw.
 */
public final class FallbackMain {
    private FallbackMain() {
    }

    public static void main(String[] args) throws Exception {
        Duration t = Duration.ofSeconds(10);
        Path dir = Path.of(args[0]);
        Path file = dir.resolve("fallback.txt");
        System.out.println("usesUring=" + UringFiles.usesUring());
        UringFile f = UringFiles.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ).block(t);
        System.out.println("isUring=" + f.isUring());
        ByteBuffer src = ByteBuffer.allocateDirect(5).put("hello".getBytes(StandardCharsets.US_ASCII)).flip();
        f.write(src, 0).block(t);
        f.close().block(t);
        StringBuilder read = new StringBuilder();
        UringFiles.readAll(file, 2).doOnNext(b -> {
            read.append(StandardCharsets.US_ASCII.decode(b.buffer()));
            b.release();
        }).blockLast(t);
        System.out.println("read=" + read);
        UringFiles.createDirectory(dir.resolve("d")).then(UringFiles.deleteDirectory(dir.resolve("d"))).block(t);
        try {
            UringFiles.open(dir.resolve("missing")).block(t);
        } catch (RuntimeException e) {
            System.out.println("missing=" + reactor.core.Exceptions.unwrap(e).getClass().getName());
        }
        System.out.println("size=" + UringFiles.stat(file).block(t).size());
        // The AsynchronousFileChannel drop-in falls back to the platform's channel.
        UringFileSystemProvider provider = new UringFileSystemProvider(FileSystems.getDefault().provider());
        try (AsynchronousFileChannel ch = provider.newAsynchronousFileChannel(file, Set.of(StandardOpenOption.READ), null)) {
            ByteBuffer dst = ByteBuffer.allocate(5);
            int n = ch.read(dst, 0).get(10, TimeUnit.SECONDS);
            System.out.println("afc=" + new String(dst.array(), 0, n, StandardCharsets.US_ASCII)
                    + " fallbackChannels=" + provider.fallbackChannels());
        }
        System.out.println("done");
    }
}
