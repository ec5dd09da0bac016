package io.reactoruring.file;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * Run by {@link FallbackProcessTest} in a JVM started with {@code -Dreactoruring.disabled=true}:
 * uses the public loop-less API and prints what it saw.
 */
public final class FallbackMain {
    private FallbackMain() {
    }

    public static void main(String[] args) {
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
        System.out.println("done");
    }
}
