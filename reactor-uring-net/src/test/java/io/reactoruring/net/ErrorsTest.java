package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.test.StepVerifier;

class ErrorsTest {
    private static final Duration T = Duration.ofSeconds(10);
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("errors-test", 1);

    @Test
    void connectionRefusedIsConnectException() throws Exception {
        int port;
        // Bind then close: nothing listens on the port afterwards.
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = ss.getLocalPort();
        }
        StepVerifier.create(net.client().host("127.0.0.1").port(port).connect())
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConnectException.class).hasMessageContaining("127.0.0.1:" + port))
                .verify(T);
    }

    @Test
    void portInUseIsBindException() {
        UringServer first = net.server().host("127.0.0.1").port(0).bindNow(T);
        try {
            UringTcpServer second = net.server().host("127.0.0.1").port(first.port());
            StepVerifier.create(second.bind())
                    .expectError(BindException.class)
                    .verify(T);
            assertThatThrownBy(() -> second.bindNow(T))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(BindException.class);
        } finally {
            first.disposeNow(T);
        }
    }

    @Test
    void invalidInputIsRejectedBeforeTheKernel() {
        assertThatThrownBy(() -> net.server().port(65536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("65536");
        assertThatThrownBy(() -> net.server().port(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.client().port(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.server().host(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("host");
        assertThatThrownBy(() -> net.client().host(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.server().backlog(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> net.client().connectTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        StepVerifier.create(net.client().connect())
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(IllegalStateException.class).hasMessageContaining("port"))
                .verify(T);
    }

    @Test
    void connectTimeoutIsTimeoutException() throws Exception {
        // A listener whose accept queue is full drops SYNs, so a connect to it hangs: loopback only.
        java.util.List<java.net.Socket> fillers = new java.util.ArrayList<>();
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            java.net.InetSocketAddress addr = new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort());
            boolean full = false;
            for (int i = 0; i < 16 && !full; i++) {
                java.net.Socket s = new java.net.Socket();
                fillers.add(s);
                try {
                    s.connect(addr, 300);
                } catch (java.net.SocketTimeoutException e) {
                    full = true;
                }
            }
            assertThat(full).as("accept queue filled up").isTrue();
            StepVerifier.create(net.client().port(ss.getLocalPort())
                            .connectTimeout(Duration.ofMillis(200)).connect())
                    .expectError(java.util.concurrent.TimeoutException.class)
                    .verify(T);
        } finally {
            for (java.net.Socket s : fillers) {
                s.close();
            }
        }
    }

    @Test
    void builderIsCopyOnWrite() {
        UringTcpServer base = net.server();
        UringTcpServer other = base.port(1234).host("::1");
        assertThat(base.port).isZero();
        assertThat(base.host).isEqualTo("127.0.0.1");
        assertThat(other.port).isEqualTo(1234);
        assertThat(other.host).isEqualTo("::1");
    }

    @Test
    void disposedServerRefusesNewConnections() {
        UringServer server = net.server().port(0).bindNow(T);
        int port = server.port();
        server.disposeNow(T);
        assertThat(server.isDisposed()).isTrue();
        StepVerifier.create(net.client().port(port).connect())
                .expectError(ConnectException.class)
                .verify(T);
    }
}
