package consumer;

import io.reactoruring.core.Op;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.file.UringFiles;
import io.reactoruring.net.UringConnection;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpClient;
import io.reactoruring.net.UringTcpServer;
import java.lang.module.ModuleDescriptor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import reactor.core.publisher.Mono;

/**
 * What a new user does first, through the published jars only: a NOP on a ring, a file written
 * and read back, and an echo over loopback. Exits non-zero on any wrong result; prints which
 * transport ran so the script can insist on io_uring.
 */
public final class Smoke {
    public static void main(String[] args) throws Exception {
        System.out.println("jdk " + Runtime.version() + ", reactor-core " + reactorVersion()
                + ", io_uring " + (Uring.isAvailable() ? "available" : "unavailable: " + Uring.unavailabilityCause()));
        if (Uring.isAvailable()) {
            Integer res = UringLoopGroup.shared().next().submit(Op.nop()).block(Duration.ofSeconds(10));
            check(res != null && res == 0, "NOP returned " + res);
        }

        Path file = Files.createTempFile("consumer-", ".bin");
        try {
            byte[] data = new byte[300_000];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i * 31);
            }
            Files.write(file, data);
            byte[] read = UringFiles.readAll(file, 64 * 1024)
                    .reduce(new java.io.ByteArrayOutputStream(), (out, b) -> {
                        try {
                            byte[] chunk = new byte[b.buffer().remaining()];
                            b.buffer().get(chunk);
                            out.writeBytes(chunk);
                        } finally {
                            b.release();
                        }
                        return out;
                    })
                    .block(Duration.ofSeconds(10)).toByteArray();
            check(Arrays.equals(read, data), "readAll returned " + read.length + " bytes, not the file's " + data.length);
        } finally {
            Files.deleteIfExists(file);
        }

        UringServer server = UringTcpServer.create().host("127.0.0.1").port(0)
                .handle((in, out) -> out.sendPooled(in.receive()))
                .bindNow(Duration.ofSeconds(10));
        try {
            UringConnection client = UringTcpClient.create().host("127.0.0.1").port(server.port())
                    .connect().block(Duration.ofSeconds(10));
            try {
                String expected = "hello io_uring";
                String echoed = client.sendString(Mono.just(expected))
                        .thenMany(client.receiveString())
                        .scan("", String::concat)
                        .filter(s -> s.length() >= expected.length())
                        .blockFirst(Duration.ofSeconds(10));
                check(expected.equals(echoed), "echo returned " + echoed);
            } finally {
                client.dispose();
            }
        } finally {
            server.disposeNow();
        }
        System.out.println("consumer smoke ok");
    }

    /** From the jar's manifest on the class path; from the module's version (the jar name) on the module path. */
    private static String reactorVersion() {
        Class<?> flux = reactor.core.publisher.Flux.class;
        String v = flux.getPackage().getImplementationVersion();
        ModuleDescriptor d = flux.getModule().getDescriptor();
        return v != null ? v : d != null ? d.rawVersion().orElse("unknown") : "unknown";
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
