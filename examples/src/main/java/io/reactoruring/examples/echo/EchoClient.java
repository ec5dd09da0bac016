package io.reactoruring.examples.echo;

import io.reactoruring.core.Uring;
import io.reactoruring.net.UringConnection;
import io.reactoruring.net.UringTcpClient;
import java.time.Duration;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Sends one message to an echo server over an io_uring connection, half-closes, and prints what came
 * back.
 *
 * <pre>
 * java -cp ... io.reactoruring.examples.echo.EchoClient [port] [message] [host]   # default 7007 "hello" 127.0.0.1
 * </pre>
 */
public final class EchoClient {
    private EchoClient() {
    }

    /**
     * A cold Mono: connects with {@code client}, sends {@code message} as UTF-8, shuts the output down
     * and emits everything received until the server closes, decoded as UTF-8. The connection is
     * disposed whatever the outcome. Signals arrive on the connection's loop thread.
     */
    public static Mono<String> echo(UringTcpClient client, String message) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(message, "message");
        return Mono.usingWhen(client.connect(),
                c -> c.sendString(Mono.just(message)).then(c.shutdownOutput()).then(c.receiveAsString()),
                EchoClient::close);
    }

    private static Mono<Void> close(UringConnection c) {
        c.dispose();
        return c.onDispose();
    }

    public static void main(String[] args) {
        if (!Uring.isAvailable()) {
            System.err.println("io_uring is not available here: " + Uring.unavailabilityCause());
            System.exit(2);
        }
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 7007;
        String message = args.length > 1 ? args[1] : "hello";
        String host = args.length > 2 ? args[2] : "127.0.0.1";
        String reply = echo(UringTcpClient.create().host(host).port(port), message).block(Duration.ofSeconds(10));
        System.out.println(reply);
        System.exit(message.equals(reply) ? 0 : 1);
    }
}
