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
import io.reactoruring.core.Uring;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.testing.Fds;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import io.reactoruring.core.testing.CancelStorm;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.Disposable;
import reactor.core.scheduler.Schedulers;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Sends subscribed concurrently on one connection (a broadcast server writing from several
 * sources) interleave only at buffer boundaries: every buffer arrives whole, and each send's
 * buffers in order, although a peer with a tiny receive buffer makes most writes short (issue 11
 * item 4): the connection's one {@link WriteQueue}, whichever the transport. {@link NioOrderedSendTest}
 * runs these tests on the NIO fallback.
 */
class OrderedSendTest {
    private static final int SENDERS = 8;
    private static final int FRAMES = 40;
    @RegisterExtension
    static final LoopbackFixture net = new LoopbackFixture("ordered-send-test", 1);

    /** A sender whose frames are large: each 64 KiB. */
    private static final int LARGE = SENDERS - 1;

    /** A sender whose frames are files of 60 KiB (one piece of a splice pipe each). */
    private static final int FILE = SENDERS - 2;

    private static int bodyLength(int id, int seq) {
        return id == LARGE ? 64 * 1024 : id == FILE ? 60 * 1024 - 12 : 1 + (id * 7919 + seq * 104729) % 24_000;
    }

    /** Frame {@code seq} of sender {@code id}: length, id, seq, then length - 8 bytes of a pattern of both. */
    private static PooledBuffer frame(int id, int seq) {
        int body = bodyLength(id, seq);
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
                        // A mix of the sending methods, all on the one connection at once, half of the
                        // sources emitting on threads of their own.
                        Flux<PooledBuffer> frames = Flux.range(0, FRAMES).map(seq -> frame(sender, seq));
                        frames = sender < SENDERS / 2 ? frames : frames.subscribeOn(Schedulers.parallel());
                        sends.add(sender % 2 == 0 ? out.sendPooled(frames).then()
                                : out.send(frames.map(pb -> {
                                    ByteBuffer copy = ByteBuffer.allocate(pb.buffer().remaining()).put(pb.buffer()).flip();
                                    pb.release();
                                    return copy;
                                })).then());
                    }
                    return Mono.when(sends);
                }));
        int[] next = readFramesFrom(server);
        assertThat(next).as("frames per sender").containsOnly(FRAMES);
    }

    /**
     * Separate one-buffer sends (a broadcast server's way: one send per message), subscribed from
     * several threads at once without waiting for each other, go out in subscription order per
     * thread, every frame whole.
     */
    @Test
    void oneSendPerFrameFromSeveralThreadsKeepsSubscriptionOrder() throws Exception {
        int sources = 4;
        int frames = 100;
        UringServer server = net.bind(net.server().port(0).socketSendBuffer(8 * 1024)
                .handle((in, out) -> Flux.range(0, sources)
                        .flatMap(id -> Mono.fromCallable(() -> {
                            List<Mono<Void>> sends = new ArrayList<>();
                            for (int seq = 0; seq < frames; seq++) { // subscribed one after another, none awaited
                                sends.add(out.sendPooled(Mono.just(frame(id, seq))).then().cache());
                                sends.get(seq).subscribe(v -> { }, e -> { });
                            }
                            return sends;
                        }).subscribeOn(Schedulers.parallel()))
                        .flatMapIterable(sends -> sends)
                        .flatMap(send -> send)
                        .then()));
        int[] next = readFramesFrom(server);
        assertThat(Arrays.copyOf(next, sources)).as("frames per source").containsOnly(frames);
    }

    /**
     * A file sent while other sends run (with SPLICE on io_uring, a pipe region in the write queue;
     * read into buffers on NIO) takes its place in the order as a buffer does: no frame lands inside
     * it, nor it inside a frame.
     */
    @Test
    void filesSentAlongsideBuffersKeepEveryFrameWhole(@TempDir Path dir) throws Exception {
        int files = 20;
        int frames = 100;
        List<Path> paths = new ArrayList<>();
        for (int seq = 0; seq < files; seq++) {
            PooledBuffer pb = frame(FILE, seq);
            byte[] bytes = new byte[pb.buffer().remaining()];
            pb.buffer().get(bytes);
            pb.release();
            paths.add(Files.write(dir.resolve("frame-" + seq), bytes));
        }
        UringServer server = net.bind(net.server().port(0).socketSendBuffer(8 * 1024)
                .handle((in, out) -> Mono.when(
                        Flux.fromIterable(paths).concatMap(p -> out.sendFile(p, 0, bodyLength(FILE, 0) + 12)).then(),
                        out.sendPooled(Flux.range(0, frames).map(seq -> frame(0, seq))).then(),
                        out.sendPooled(Flux.range(0, frames).map(seq -> frame(1, seq))).subscribeOn(Schedulers.parallel()).then())));
        int[] next = readFramesFrom(server);
        assertThat(next[FILE]).as("files").isEqualTo(files);
        assertThat(next[0] + next[1]).as("buffer frames").isEqualTo(2 * frames);
    }

    /** Frames per sender read from a client of {@code server} whose tiny receive buffer makes most server writes short. */
    private static int[] readFramesFrom(UringServer server) throws IOException {
        int[] next = new int[SENDERS];
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(2048); // short writes on the server nearly every time
            s.setSoTimeout((int) LoopbackFixture.T.toMillis());
            s.connect(new InetSocketAddress("127.0.0.1", server.port()));
            readFrames(s, next);
        }
        return next;
    }

    /**
     * Reads frames until the peer closes: each one whole (length, sender, sequence number, pattern),
     * and each sender's in order; counts them per sender in {@code next}.
     */
    private static void readFrames(Socket s, int[] next) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(s.getInputStream(), 1024));
        int frames = 0;
        while (true) {
            int length;
            try {
                length = in.readInt();
            } catch (EOFException end) {
                return;
            }
            int id = in.readInt();
            int seq = in.readInt();
            assertThat(id).as("sender id of frame %d (bytes of another frame?)", frames).isBetween(0, SENDERS - 1);
            assertThat(seq).as("frame %d of sender %d", frames, id).isEqualTo(next[id]);
            int body = length - 8;
            assertThat(body).isEqualTo(bodyLength(id, seq));
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

    /**
     * A send queued behind a stalled one and cancelled releases each of its buffers exactly once,
     * at once (none had started); none of its bytes reach the peer, the stalled send completes
     * whole once the peer reads, and memory, pooled buffers and sockets come back to where they were.
     */
    @Test
    void cancellingAQueuedSendReleasesItsBuffersOnceAndSendsNoneOfThem() throws Exception {
        BufferPool pool = net.pool();
        long doubleReleasesBefore = PooledBuffer.doubleReleases();
        long outstandingBefore = pool.outstanding();
        long memoryBefore = Uring.nativeMemoryBytes() - pool.cachedBytes();
        int aFrames = 128;
        try (ServerSocket peer = new ServerSocket()) {
            peer.setReceiveBufferSize(4096);
            peer.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = peer.getLocalPort();
            long socketsBefore = Fds.tcpSocketsOnPort(port); // the listening socket
            UringConnection c = net.client().port(port).socketSendBuffer(8 * 1024).connect().block(LoopbackFixture.T);
            assertThat(c).isNotNull();
            try (Socket accepted = peer.accept()) {
                // Its window of large frames is more than one write takes (MAX_BATCH_BYTES), so while
                // it stalls, the write in flight holds only its frames: the next send's all queue.
                assertThat((long) WriteQueue.WINDOW * bodyLength(LARGE, 0)).isGreaterThan(WriteQueue.MAX_BATCH_BYTES);
                AtomicInteger aEmitted = new AtomicInteger();
                Mono<Void> a = c.sendPooled(Flux.range(0, aFrames).map(seq -> frame(LARGE, seq))
                        .doOnNext(pb -> aEmitted.incrementAndGet())).then().cache();
                a.subscribe(v -> { }, e -> { });
                assertThat(net.stalls(aEmitted::get)).as("the first send stalled (the peer reads nothing)").isTrue();

                List<PooledBuffer> bBuffers = new java.util.concurrent.CopyOnWriteArrayList<>();
                Disposable b = c.sendPooled(Flux.range(0, 64).map(seq -> {
                    PooledBuffer pb = frame(1, seq);
                    pb.retain(); // the test's own reference, to see the send's go
                    bBuffers.add(pb);
                    return pb;
                })).subscribe();
                assertThat(net.stalls(bBuffers::size)).isTrue();
                assertThat(bBuffers).as("the queued send took its window").hasSize(WriteQueue.WINDOW);
                b.dispose();
                assertThat(net.await(() -> bBuffers.stream().allMatch(pb -> pb.refCount() == 1)))
                        .as("every buffer of the cancelled send released by it once: %s",
                                bBuffers.stream().map(PooledBuffer::refCount).toList())
                        .isTrue();

                accepted.setSoTimeout((int) LoopbackFixture.T.toMillis());
                int[] next = new int[SENDERS];
                Mono<Void> closeAfterA = a.then(Mono.fromRunnable(c::dispose));
                closeAfterA.subscribe(v -> { }, e -> { });
                readFrames(accepted, next);
                assertThat(next[LARGE]).as("frames of the stalled send").isEqualTo(aFrames);
                assertThat(next[1]).as("frames of the cancelled send").isZero();
                bBuffers.forEach(PooledBuffer::release);
            } finally {
                c.dispose();
            }
            c.onDispose().block(LoopbackFixture.T);
            assertThat(net.await(() -> Fds.tcpSocketsOnPort(port) == socketsBefore)).as("sockets closed").isTrue();
        }
        assertThat(net.await(() -> pool.outstanding() == outstandingBefore)).as("pooled buffers back").isTrue();
        assertThat(net.await(() -> Uring.nativeMemoryBytes() - pool.cachedBytes() == memoryBefore))
                .as("native memory (beyond the pool's cache) back: %d, was %d",
                        Uring.nativeMemoryBytes() - pool.cachedBytes(), memoryBefore)
                .isTrue();
        assertThat(PooledBuffer.doubleReleases()).as("no buffer released twice").isEqualTo(doubleReleasesBefore);
    }

    /**
     * Sends on one connection cancelled at random moments (before, while and after their writes run;
     * see {@link CancelStorm}) each release every buffer they were given exactly once, whether it was
     * queued, in a write in flight (withdrawn from the kernel on io_uring) or partly written; and the
     * connection still sends afterwards.
     */
    @Test
    void aCancelStormOfSendsOnOneConnectionReleasesEveryBufferOnce() {
        long outstandingBefore = net.outstanding();
        UringServer server = net.bind(net.server().port(0).handle((in, out) -> in.receive().then())); // reads all
        UringConnection c = net.client(server).socketSendBuffer(32 * 1024).connect().block(LoopbackFixture.T);
        assertThat(c).isNotNull();
        long doubleReleasesBefore = PooledBuffer.doubleReleases();
        AtomicInteger given = new AtomicInteger();
        CancelStorm.run(400, 32, new SplittableRandom(11), i -> c.sendPooled(Flux.range(0, 1 + i % 4)
                .map(seq -> {
                    given.incrementAndGet();
                    return frame(i % 4, seq); // small frames: up to 24 KB
                })), v -> { });
        assertThat(given.get()).as("buffers given to the sends").isPositive();
        StepVerifier.create(c.sendString(Mono.just("still sends"))).expectComplete().verify(LoopbackFixture.T);
        c.dispose();
        c.onDispose().block(LoopbackFixture.T);
        assertThat(net.await(() -> net.outstanding() == outstandingBefore))
                .as("pooled buffers back: %d, were %d", net.outstanding(), outstandingBefore).isTrue();
        assertThat(PooledBuffer.doubleReleases()).as("no buffer released twice").isEqualTo(doubleReleasesBefore);
    }
}
