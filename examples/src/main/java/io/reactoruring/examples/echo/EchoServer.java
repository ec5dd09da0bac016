package io.reactoruring.examples.echo;

import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpServer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;

/**
 * A TCP echo server: every byte received is sent back on the same connection, until the peer closes
 * its side. Accept, recv and send are io_uring operations; the received pooled buffers are sent back
 * as they are (no copy) and released once written.
 *
 * <pre>
 * java -cp ... io.reactoruring.examples.echo.EchoServer [port] [host]   # default 7007 127.0.0.1
 * </pre>
 */
public final class EchoServer {
    private EchoServer() {
    }

    /**
     * Binds an echo server on {@code host:port} (port 0 = ephemeral) whose connections run on
     * {@code group}'s loops. The caller owns the returned server and disposes it.
     */
    public static UringServer start(UringLoopGroup group, String host, int port) {
        Objects.requireNonNull(group, "group");
        return start(UringTcpServer.create().host(host).port(port).group(group));
    }

    /** Binds an echo server with {@code config}'s address and options (its handler is replaced). */
    public static UringServer start(UringTcpServer config) {
        return config.handle((in, out) -> out.sendPooled(in.receive())).bindNow(Duration.ofSeconds(5));
    }

    public static void main(String[] args) throws InterruptedException {
        if (!Uring.isAvailable()) {
            System.err.println("io_uring is not available here: " + Uring.unavailabilityCause());
            System.exit(2);
        }
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7007;
        String host = args.length > 1 ? args[1] : "127.0.0.1";
        UringServer server = start(UringLoopGroup.shared(), host, port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.disposeNow(Duration.ofSeconds(5));
            stopped.countDown();
        }, "echo-server-shutdown"));
        System.out.println("echo server listening on " + server.address() + " (Ctrl-C stops it)");
        stopped.await();
    }
}
