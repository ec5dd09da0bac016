package io.reactoruring.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.buffer.PooledBuffer;
import java.io.DataInputStream;
import java.io.EOFException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Sends subscribed concurrently on one connection (a broadcast server writing from several
 * sources) interleave only at buffer boundaries: every buffer arrives whole, and each send's
 * buffers in order, although a peer with a tiny receive buffer makes most writes short (issue 11
 * item 4). {@link NioOrderedSendTest} runs it on the NIO fallback.
 */
class OrderedSendTest {
    private static final int SENDERS = 8;
    private static final int FRAMES = 40;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("ordered-send-test", 1);

    /** Frame {@code seq} of sender {@code id}: length, id, seq, then length - 8 bytes of a pattern of both. */
    private static PooledBuffer frame(int id, int seq) {
        int body = 1 + (id * 7919 + seq * 104729) % 24_000;
        PooledBuffer pb = net.pool().acquire(12 + body);
        ByteBuffer b = pb.buffer().clear().duplicate().order(java.nio.ByteOrder.BIG_ENDIAN); // as DataInputStream reads
        b.putInt(8 + body).putInt(id).putInt(seq);
        for (int i = 0; i < body; i++) {
            b.put((byte) (id * 31 + seq + i));
        }
        pb.buffer().limit(b.position());
        return pb;
    }

    @Test
    void concurrentSendsOnOneConnectionKeepEveryFrameWhole() throws Exception {
        UringServer server = net.bind(net.server().port(0).socketSendBuffer(8 * 1024)
                .handle((in, out) -> {
                    List<Mono<Void>> sends = new ArrayList<>();
                    for (int id = 0; id < SENDERS; id++) {
                        int sender = id;
                        // A mix of the sending methods, all on the one connection at once.
                        Flux<PooledBuffer> frames = Flux.range(0, FRAMES).map(seq -> frame(sender, seq));
                        sends.add(sender % 2 == 0 ? out.sendPooled(frames).then()
                                : out.send(frames.map(pb -> {
                                    ByteBuffer copy = ByteBuffer.allocate(pb.buffer().remaining()).put(pb.buffer()).flip();
                                    pb.release();
                                    return copy;
                                })).then());
                    }
                    return Mono.when(sends);
                }));
        int[] next = new int[SENDERS];
        int frames = 0;
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(2048); // short writes on the server nearly every time
            s.setSoTimeout((int) LoopbackFixture.T.toMillis());
            s.connect(new InetSocketAddress("127.0.0.1", server.port()));
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(), 1024));
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException end) {
                    break;
                }
                int id = in.readInt();
                int seq = in.readInt();
                assertThat(id).as("sender id of frame %d (bytes of another frame?)", frames).isBetween(0, SENDERS - 1);
                assertThat(seq).as("frame %d of sender %d", frames, id).isEqualTo(next[id]);
                int body = length - 8;
                assertThat(body).isEqualTo(1 + (id * 7919 + seq * 104729) % 24_000);
                byte[] bytes = new byte[body];
                in.readFully(bytes);
                for (int i = 0; i < body; i++) {
                    if (bytes[i] != (byte) (id * 31 + seq + i)) {
                        throw new AssertionError("frame " + seq + " of sender " + id + " broken at byte " + i);
                    }
                }
                next[id]++;
                frames++;
            }
        }
        assertThat(frames).isEqualTo(SENDERS * FRAMES);
    }
}
