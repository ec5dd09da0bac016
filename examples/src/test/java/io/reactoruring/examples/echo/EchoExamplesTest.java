package io.reactoruring.examples.echo;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.testing.Poll;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpClient;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class EchoExamplesTest {
    private static final Duration T = Duration.ofSeconds(10);
    static UringLoopGroup group;
    private UringServer server;

    @BeforeAll
    static void setUpGroup() {
        group = UringLoopGroup.create("echo-example-test", 2, RingOptions.defaults());
    }

    @AfterAll
    static void tearDownGroup() {
        group.disposeLater().block(T);
    }

    @BeforeEach
    void start() {
        server = EchoServer.start(group, "127.0.0.1", 0);
    }

    @AfterEach
    void stop() {
        server.disposeNow(T);
        for (UringLoop loop : group.loops()) {
            assertThat(Poll.untilOnLoop(loop, () -> loop.bufferPool().outstanding() == 0)).as("buffers back on " + loop.name()).isTrue();
        }
    }

    @Test
    void echoClientGetsItsMessageBack() {
        UringTcpClient client = UringTcpClient.create().host("127.0.0.1").port(server.port()).group(group);
        StepVerifier.create(EchoClient.echo(client, "hello, ring ✓"))
                .expectNext("hello, ring ✓")
                .expectComplete()
                .verify(T);
    }

    @Test
    void plainSocketGetsEveryByteBackInOrder() throws Exception {
        byte[] data = new byte[1 << 20];
        new Random(3).nextBytes(data);
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            // Write and read in turns so neither side's socket buffer fills up.
            byte[] back = new byte[data.length];
            int chunk = 32 * 1024;
            for (int off = 0; off < data.length; off += chunk) {
                out.write(data, off, chunk);
                assertThat(in.readNBytes(back, off, chunk)).isEqualTo(chunk);
            }
            assertThat(back).isEqualTo(data);
            s.shutdownOutput();
            assertThat(in.read()).as("server closes after our end of stream").isEqualTo(-1);
        }
    }

    @Test
    void echoToAClosedPortFailsWithConnectException() {
        int port = server.port();
        server.disposeNow(T);
        StepVerifier.create(EchoClient.echo(UringTcpClient.create().port(port).group(group), "x"))
                .expectError(java.net.ConnectException.class)
                .verify(T);
    }
}
