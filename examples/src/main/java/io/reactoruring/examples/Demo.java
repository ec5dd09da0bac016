package io.reactoruring.examples;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.UringMetrics;
import io.reactoruring.core.buffer.PooledBuffer;
import io.reactoruring.file.UringFiles;
import io.reactoruring.net.UringConnection;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpClient;
import io.reactoruring.net.UringTcpServer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The README's demo: reads a file through io_uring, sends it through an io_uring echo server on
 * loopback, checks that the same bytes came back, and prints what each ring did.
 */
public final class Demo {
    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        if (!Uring.isAvailable()) {
            System.out.println("io_uring is not available here: " + Uring.unavailabilityCause());
            System.exit(2);
        }
        UringLoopGroup group = UringLoopGroup.create("demo", 2, io.reactoruring.core.RingOptions.defaults());
        Path file = Files.createTempFile("reactor-uring-demo", ".bin");
        try {
            byte[] content = new byte[3 * 1024 * 1024 + 17];
            new Random(42).nextBytes(content);
            Files.write(file, content);
            System.out.printf("wrote %,d random bytes to %s (sha-256 %s)%n", content.length, file, sha(content));

            // 1. Read the file through io_uring in 256 KiB chunks, 4 reads in flight.
            byte[] read = UringFiles.readAll(group.next(), file, 256 * 1024)
                    .collect(java.io.ByteArrayOutputStream::new, Demo::drain)
                    .map(java.io.ByteArrayOutputStream::toByteArray)
                    .block(Duration.ofSeconds(30));
            System.out.printf("read %,d bytes back with io_uring READ ops (sha-256 %s)%n", read.length, sha(read));

            // 2. Echo them through a server whose accept, recv and send are io_uring ops.
            UringServer server = UringTcpServer.create().host("127.0.0.1").port(0).group(group)
                    .handle((in, out) -> out.sendPooled(in.receive()))
                    .bindNow(Duration.ofSeconds(5));
            System.out.println("echo server listening on " + server.address() + " (multishot accept)");
            UringConnection client = UringTcpClient.create().host("127.0.0.1").port(server.port()).group(group)
                    .connect().block(Duration.ofSeconds(5));
            byte[] echoed = Mono.zip(
                            client.send(Flux.just(ByteBuffer.wrap(read))).then(client.shutdownOutput()).thenReturn(true),
                            client.receive().collect(java.io.ByteArrayOutputStream::new, Demo::copy))
                    .map(t -> t.getT2().toByteArray())
                    .block(Duration.ofSeconds(30));
            System.out.printf("echoed %,d bytes through the socket (sha-256 %s)%n", echoed.length, sha(echoed));
            client.dispose();
            server.disposeNow(Duration.ofSeconds(5));

            boolean same = java.util.Arrays.equals(content, echoed);
            System.out.println(same ? "OK: the bytes that came back are the file's bytes" : "MISMATCH");
            for (UringLoop loop : group.loops()) {
                UringMetrics m = loop.metrics();
                System.out.printf("%s: %,d ops submitted, %,d completions, %,d io_uring_enter calls, "
                                + "max %d in flight, %d CQ overflows%n",
                        loop.name(), m.submitted(), m.completed(), m.enterCalls(), m.inFlightHighWater(), m.cqOverflows());
            }
            if (!same) {
                System.exit(1);
            }
        } finally {
            group.disposeLater().block(Duration.ofSeconds(10));
            Files.deleteIfExists(file);
        }
    }

    /** Copies a buffer we own (from readAll) and releases it. */
    private static void drain(java.io.ByteArrayOutputStream sink, PooledBuffer b) {
        try {
            copy(sink, b);
        } finally {
            b.release();
        }
    }

    /** Copies a buffer (receive() lends it: released by the library when onNext returns). */
    private static void copy(java.io.ByteArrayOutputStream sink, PooledBuffer b) {
        ByteBuffer bb = b.buffer().duplicate();
        byte[] chunk = new byte[bb.remaining()];
        bb.get(chunk);
        sink.writeBytes(chunk);
    }

    private static String sha(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data)).substring(0, 16);
    }
}
