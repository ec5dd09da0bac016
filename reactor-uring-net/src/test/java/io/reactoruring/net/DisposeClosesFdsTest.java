package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disposing a loop group, not the server, with thousands of open connections and operations in
 * flight (issue 11 item 5): every fd the library owns is closed (sockets, files being sent, splice
 * pipes), even though the closes come after the loops stopped taking operations, and the peers see
 * end of stream.
 */
class DisposeClosesFdsTest {
    private static final Duration T = LoopbackFixture.T;
    private static final int CONNECTIONS = 1000;
    /** Of which these request a file and never read: a file fd and a pipe each stay open. */
    private static final int STALLED = 20;
    @TempDir
    static Path dir;

    @Test
    void disposingTheGroupClosesEveryFdItOwns() throws Exception {
        assumeTrue(Uring.isAvailable(), "io_uring only: NIO connections belong to no loop");
        Path file = Files.write(dir.resolve("large.bin"), new byte[1024 * 1024]);
        for (int round = 0; round < 2; round++) { // the first round warms up: class loading opens jars once
            long before = FdLeakTest.openFds();
            run(file, round == 0 ? 10 : CONNECTIONS);
            long after = FdLeakTest.openFds();
            assertThat(after).as("open fds before %d, after disposing the group %d", before, after)
                    .isLessThanOrEqualTo(before);
        }
    }

    private static void run(Path file, int connections) throws Exception {
        UringLoopGroup group = UringLoopGroup.create("dispose-fds-test", 2, RingOptions.defaults());
        CountDownLatch handled = new CountDownLatch(connections);
        List<SocketChannel> peers = new ArrayList<>();
        try {
            UringServer server = UringTcpServer.create().group(group).transport(Transport.IO_URING).port(0)
                    .receiveBufferRing(0) // plain RECVs: what is measured is closing, not per-connection buffer rings
                    .handle((in, out) -> in.receive().next().flatMap(pb -> {
                        byte request = pb.buffer().get(pb.buffer().position());
                        handled.countDown();
                        // 'F': a file to a peer that never reads; else an echo that waits for more bytes.
                        return request == 'F' ? out.sendFile(file, 0, 1024 * 1024).then()
                                : out.sendPooled(in.receive()).then();
                    }))
                    .bindNow(T);
            InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
            int stalled = Math.min(STALLED, connections / 2);
            for (int i = 0; i < connections; i++) {
                SocketChannel ch = SocketChannel.open();
                peers.add(ch);
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 4096);
                ch.connect(address);
                ch.write(ByteBuffer.wrap(new byte[] {i < stalled ? (byte) 'F' : (byte) 'E'}));
            }
            assertThat(handled.await(3 * T.toMillis(), TimeUnit.MILLISECONDS)).as("connections handled: %d left of %d", handled.getCount(), connections).isTrue();
            group.disposeLater().block(T);
            // Each echoing peer sees end of stream: its socket was closed (FIN), not left open.
            SocketChannel echo = peers.get(peers.size() - 1);
            echo.socket().setSoTimeout((int) T.toMillis());
            assertThat(echo.socket().getInputStream().read()).isEqualTo(-1);
        } finally {
            group.dispose();
            for (SocketChannel ch : peers) {
                ch.close();
            }
        }
    }
}
