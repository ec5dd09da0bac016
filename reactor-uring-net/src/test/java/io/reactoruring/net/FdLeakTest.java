package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.testing.Fds;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;

class FdLeakTest {
    private static final Duration T = Duration.ofSeconds(10);
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("fd-leak-test", 2);

    static long openFds() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    /** One short connection: send, half-close, read the echo, close; waits for both ends' fds to close. */
    private static String roundTrip(UringServer server, List<UringConnection> serverSide, int i) {
        int before = serverSide.size();
        String reply = net.client().port(server.port()).connect()
                .flatMap(c -> c.sendString(Mono.just("ping " + i))
                        .then(c.shutdownOutput())
                        .then(c.receiveAsString())
                        .doFinally(sig -> c.dispose())
                        .flatMap(s -> c.onDispose().thenReturn(s)))
                .block(T);
        assertThat(serverSide).hasSize(before + 1);
        serverSide.get(before).onDispose().block(T);
        return reply;
    }

    @Test
    void twoHundredShortConnectionsLeakNoFd() throws IOException {
        List<UringConnection> serverSide = new CopyOnWriteArrayList<>();
        UringServer server = net.server().port(0)
                .doOnConnection(serverSide::add)
                .handle((in, out) -> out.sendPooled(in.receive()))
                .bindNow(T);
        try {
            for (int i = 0; i < 5; i++) { // warm-up: class loading may open jar files once
                assertThat(roundTrip(server, serverSide, i)).isEqualTo("ping " + i);
            }
            long before = Fds.tcpSocketsOnPort(server.port());
            for (int i = 0; i < 200; i++) {
                assertThat(roundTrip(server, serverSide, i)).isEqualTo("ping " + i);
            }
            long after = Fds.tcpSocketsOnPort(server.port());
            assertThat(after).as("sockets on the server port before %d, after 200 connections %d", before, after).isLessThanOrEqualTo(before);
            assertThat(server.activeConnections()).isZero();
            if (!net.nio()) { // NIO connections belong to no loop
                assertThat(serverSide.stream().map(UringConnection::loop).distinct().count())
                        .as("accepted connections spread round-robin over the group's loops").isEqualTo(2);
            }
            assertThat(net.await(() -> net.outstanding() == 0)).isTrue();
        } finally {
            server.disposeNow(T);
        }
    }
}
