package io.reactoruring.net;

import java.net.ServerSocket;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Run by {@link FallbackProcessTest} in a JVM started with {@code -Dreactoruring.disabled=true}, and by
 * {@link RestrictedEnvironmentTest} where io_uring is blocked or limited:
 * uses the public API with no transport or group chosen, and prints what it saw.
 */
public final class FallbackMain {
    private FallbackMain() {
    }

    public static void main(String[] args) throws Exception {
        Duration t = Duration.ofSeconds(10);
        UringServer server = UringTcpServer.create().port(0)
                .doOnConnection(c -> System.out.println("serverIsUring=" + c.isUring()))
                .handle((in, out) -> out.sendPooled(in.receive()))
                .bindNow(t);
        UringConnection c = UringTcpClient.create().port(server.port()).connect().block(t);
        System.out.println("clientIsUring=" + c.isUring());
        try {
            c.loop();
        } catch (UnsupportedOperationException e) {
            System.out.println("loop=" + e.getClass().getSimpleName());
        }
        String echo = c.sendString(Mono.just("hello")).then(c.shutdownOutput()).then(c.receiveAsString()).block(t);
        System.out.println("echo=" + echo);
        c.dispose();
        c.onDispose().block(t);
        int free;
        try (ServerSocket ss = new ServerSocket(0)) {
            free = ss.getLocalPort();
        }
        try {
            UringTcpClient.create().port(free).connect().block(t);
        } catch (RuntimeException e) {
            System.out.println("refused=" + reactor.core.Exceptions.unwrap(e).getClass().getSuperclass().getName());
        }
        server.disposeNow(t);
        System.out.println("done");
    }
}
