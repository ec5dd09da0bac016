package io.reactoruring.examples.broadcast;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Issue 11 item 7: one publisher, many subscribers, over real sockets; a reader that stops is dropped. */
class BroadcastServerTest {
    private static final Duration T = Duration.ofSeconds(10);
    static UringLoopGroup group;

    @BeforeAll
    static void setUp() {
        group = UringLoopGroup.create("broadcast-test", 2, RingOptions.defaults());
    }

    @AfterAll
    static void tearDown() {
        group.disposeLater().block(T);
    }

    private static boolean await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.yield();
        }
        return true;
    }

    private static Socket connect(UringServer server, int receiveBuffer) throws Exception {
        Socket s = new Socket();
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.connect(new InetSocketAddress("127.0.0.1", server.port()));
        s.setSoTimeout(30_000);
        return s;
    }

    /** Reads lines until end of stream; checks they come in order ("m0", "m1", ...) and counts them. */
    private static CompletableFuture<Long> reader(Socket s, AtomicLong total) {
        return CompletableFuture.supplyAsync(() -> {
            long n = 0;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    if (!line.startsWith("m" + n + " ")) {
                        throw new AssertionError("expected message " + n + ", got " + line.substring(0, Math.min(20, line.length())));
                    }
                    n++;
                    total.incrementAndGet();
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return n;
        });
    }

    @Test
    void everySubscriberGetsEveryMessageInOrderAndAStalledOneIsDropped() throws Exception {
        BroadcastServer broadcast = new BroadcastServer(128);
        UringServer server = broadcast.start(UringTcpServer.create().host("127.0.0.1").port(0).group(group));
        try {
            int fast = 20;
            AtomicLong total = new AtomicLong();
            List<Socket> sockets = new ArrayList<>();
            List<CompletableFuture<Long>> readers = new ArrayList<>();
            for (int i = 0; i < fast; i++) {
                Socket s = connect(server, 0);
                sockets.add(s);
                readers.add(reader(s, total));
            }
            Socket stalled = connect(server, 4096); // never reads
            Socket publisher = connect(server, 0);
            assertThat(await(() -> broadcast.subscribers() == fast + 2)).isTrue();

            // Rounds of 64 messages of 4 KiB; the next round once every fast reader has the last one,
            // so only the stalled reader's queue (128) can overflow.
            OutputStream out = publisher.getOutputStream();
            String pad = "x".repeat(4000);
            long sent = 0;
            while (broadcast.droppedSubscribers() == 0) {
                assertThat(sent).as("the stalled reader is dropped within a bounded backlog").isLessThan(50_000);
                StringBuilder round = new StringBuilder();
                for (int k = 0; k < 64; k++, sent++) {
                    round.append('m').append(sent).append(' ').append(pad).append('\n');
                }
                out.write(round.toString().getBytes(StandardCharsets.US_ASCII));
                out.flush();
                long expected = sent * fast;
                assertThat(await(() -> total.get() == expected)).as("fast readers got round up to " + sent).isTrue();
            }
            assertThat(broadcast.droppedSubscribers()).isEqualTo(1);
            assertThat(broadcast.subscribers()).isEqualTo(fast + 1);
            publisher.close(); // the publisher's connection ends; fast subscribers stay
            // A whole minute of grace: subscribers are closed when the shutdown starts, not after it.
            StepVerifier.create(server.disposeLater(Duration.ofMinutes(1))).expectComplete().verify(T);
            for (CompletableFuture<Long> r : readers) {
                assertThat(r.get(30, TimeUnit.SECONDS)).isEqualTo(sent);
            }
            for (Socket s : sockets) {
                s.close();
            }
            stalled.close();
        } finally {
            server.disposeNow(T);
        }
    }

    @Test
    void aLineFromOneConnectionReachesAllOthersButNotItself() throws Exception {
        BroadcastServer broadcast = new BroadcastServer(BroadcastServer.DEFAULT_MAX_QUEUED);
        UringServer server = broadcast.start(UringTcpServer.create().host("127.0.0.1").port(0).group(group));
        try (Socket a = connect(server, 0); Socket b = connect(server, 0); Socket c = connect(server, 0)) {
            assertThat(await(() -> broadcast.subscribers() == 3)).isTrue();
            a.getOutputStream().write("m0 hel".getBytes(StandardCharsets.US_ASCII));
            a.getOutputStream().write("lo\n".getBytes(StandardCharsets.US_ASCII)); // split line
            for (Socket s : List.of(b, c)) {
                BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                assertThat(r.readLine()).isEqualTo("m0 hello");
            }
            b.getOutputStream().write("m1 back\n".getBytes(StandardCharsets.US_ASCII));
            BufferedReader ra = new BufferedReader(new InputStreamReader(a.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(ra.readLine()).as("a gets b's line, not its own").isEqualTo("m1 back");
        } finally {
            server.disposeNow(T);
        }
    }
}
