package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that request a large file and never read must not stall other downloads (issue 11 item
 * 3). IORING_OP_SPLICE runs on an io-wq worker; into a blocking socket it parks that worker while
 * the socket is full, and io-wq has at most 16 unbounded workers per ring. The sender therefore
 * waits for POLLOUT (a linked IORING_OP_POLL_ADD) and splices into a non-blocking socket.
 */
class SlowReaderTest {
    /** Six times the ring's io-wq cap (16 unbounded workers): blocked splices would hold all of them. */
    private static final int STALLED = 100;
    private static final int DOWNLOADS = 6;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("slow-reader-test", 1);
    @TempDir
    static Path dir;
    static Path file;
    static byte[] content;

    @BeforeAll
    static void setUp() throws IOException {
        content = new byte[1024 * 1024 + 17];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) (i * 31 + (i >>> 9));
        }
        file = Files.write(dir.resolve("large.bin"), content);
    }

    /** io-wq workers of this process ("iou-wrk-<pid>" threads). */
    static long ioWqWorkers() throws IOException {
        long n = 0;
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(t.resolve("comm")).startsWith("iou-wrk")) {
                        n++;
                    }
                } catch (IOException gone) {
                    // the thread exited while we listed
                }
            }
        }
        return n;
    }

    @Test
    void clientsThatNeverReadStallNoOtherDownload() throws Exception {
        AtomicInteger stalledStarted = new AtomicInteger();
        UringServer server = net.bind(net.server().port(0).socketSendBuffer(32 * 1024)
                .handle((in, out) -> in.receive().next().flatMap(pb -> {
                    byte request = pb.buffer().get(pb.buffer().position());
                    if (request == 'S') {
                        stalledStarted.incrementAndGet();
                    }
                    return out.sendFile(file, 0, content.length).then();
                })));
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", server.port());
        List<SocketChannel> stalled = new ArrayList<>();
        try {
            for (int i = 0; i < STALLED; i++) {
                SocketChannel ch = SocketChannel.open();
                stalled.add(ch);
                ch.setOption(StandardSocketOptions.SO_RCVBUF, 4096); // fills after a few KiB: the server's socket stays full
                ch.connect(address);
                ch.write(ByteBuffer.wrap(new byte[] {'S'}));
            }
            assertThat(net.await(() -> stalledStarted.get() == STALLED)).isTrue();
            for (int i = 0; i < DOWNLOADS; i++) {
                assertThat(download(address)).as("download %d next to %d stalled readers", i, STALLED).isEqualTo(content);
            }
            long workers = ioWqWorkers();
            assertThat(workers).as("io-wq workers with %d stalled readers", STALLED).isLessThanOrEqualTo(40);
        } finally {
            for (SocketChannel ch : stalled) {
                ch.close();
            }
        }
        server.disposeNow(LoopbackFixture.T);
    }

    /** A whole file through a reading client; a stalled server fails it with a read timeout, not a hang. */
    private static byte[] download(InetSocketAddress address) throws IOException {
        try (Socket s = new Socket()) {
            s.setSoTimeout((int) LoopbackFixture.T.toMillis());
            s.connect(address);
            s.getOutputStream().write('F');
            InputStream in = s.getInputStream();
            byte[] got = in.readAllBytes(); // the server closes after the file
            return got.length == content.length ? got : Arrays.copyOf(got, got.length);
        }
    }
}
