package io.reactoruring.benchmarks.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoop;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.examples.broadcast.BroadcastServer;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.tcp.TcpServer;
import reactor.util.concurrent.Queues;

/**
 * Broadcast load (issue 11 item 7): one publisher socket sends fixed-size lines as fast as the
 * slowest of N subscriber sockets takes them (at most {@link #WINDOW} messages ahead), every
 * subscriber reads everything. Reports messages/s delivered to all N, and for reactor-uring the
 * io_uring_enter calls per broadcast message (one loop, so a message's N sends share submissions).
 * The same broadcast on Reactor Netty (one event loop, on epoll and on Netty's io_uring) runs side by side. Server and client
 * share this JVM (the client is one NIO selector thread), so absolute numbers are modest; the ratio
 * and the enter calls are the figures.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.net.BroadcastLoad [subscribers...] [--measure s]
 * </pre>
 */
public final class BroadcastLoad {
    static final int SIZE = 64;
    static final int WINDOW = 32;
    static final int MAX_QUEUED = 4096;

    private interface Server extends AutoCloseable {
        int port();

        /** io_uring_enter calls so far, or -1. */
        long enterCalls();

        int subscribers();

        /** Name prefix of the server's event-loop thread, whose CPU time is measured. */
        String loopThreadPrefix();

        @Override
        void close();
    }

    private BroadcastLoad() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> ns = new ArrayList<>();
        long measure = 5;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--measure")) {
                measure = Long.parseLong(args[++i]);
            } else {
                ns.add(Integer.parseInt(args[i]));
            }
        }
        if (ns.isEmpty()) {
            ns = List.of(16, 1000);
        }
        System.out.println("| subscribers | server | messages/s (to all) | deliveries/s | server loop CPU us per message"
                + " | io_uring_enter per message (loop metrics) | loop thread syscalls per message (perf) | of them io_uring_enter (perf) |");
        System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|");
        for (int n : ns) {
            double uring = row(n, "reactor-uring", uring(), measure);
            double epoll = row(n, "Reactor Netty epoll", netty(EpollIoHandler.newFactory()), measure);
            double nettyUring = row(n, "Reactor Netty io_uring", netty(IoUringIoHandler.newFactory()), measure);
            System.out.printf("| %d | ratio reactor-uring / Netty epoll | %.2f x | | |%n", n, uring / epoll);
            System.out.printf("| %d | ratio reactor-uring / Netty io_uring | %.2f x | | |%n", n, uring / nettyUring);
        }
    }

    private static double row(int n, String name, Server server, long measureSeconds) throws Exception {
        try (server) {
            String prefix = server.loopThreadPrefix();
            double[] r = run(new InetSocketAddress("127.0.0.1", server.port()), n, server::subscribers,
                    server::enterCalls, prefix, Duration.ofSeconds(2).toNanos(), Duration.ofSeconds(measureSeconds).toNanos());
            System.out.printf(java.util.Locale.ROOT, "| %d | %s | %,.0f | %,.0f | %.1f | %s | %s | %s |%n", n, name, r[0], r[0] * n, r[2],
                    r[1] < 0 ? "n/a" : String.format(java.util.Locale.ROOT, "%.3f", r[1]),
                    Double.isNaN(r[3]) ? "n/a" : String.format(java.util.Locale.ROOT, "%.3f", r[3]),
                    Double.isNaN(r[4]) ? "n/a" : String.format(java.util.Locale.ROOT, "%.3f", r[4]));
            return r[0];
        }
    }

    private static Server uring() {
        UringLoopGroup group = UringLoopGroup.create("broadcast-load", 1, RingOptions.defaults());
        BroadcastServer b = new BroadcastServer(MAX_QUEUED);
        UringServer s = b.start(UringTcpServer.create().host("127.0.0.1").port(0).group(group));
        return new Server() {
            public int port() {
                return s.port();
            }

            public long enterCalls() {
                long sum = 0;
                for (UringLoop l : group.loops()) {
                    sum += l.metrics().enterCalls();
                }
                return sum;
            }

            public int subscribers() {
                return b.subscribers();
            }

            public String loopThreadPrefix() {
                return "broadcast-load-";
            }

            public void close() {
                s.disposeNow(Duration.ofSeconds(5));
                group.disposeLater().block(Duration.ofSeconds(10));
            }
        };
    }

    /**
     * The same broadcast on Reactor Netty, on one event loop of the given transport (named explicitly:
     * Reactor Netty 1.3's {@code LoopResources} with native preferred picks io_uring when it is there):
     * lines framed by Netty, one bounded queue per subscriber.
     */
    private static Server netty(IoHandlerFactory transport) {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, new io.netty.util.concurrent.DefaultThreadFactory("broadcast-netty"),
                transport);
        Set<Sinks.Many<byte[]>> subs = ConcurrentHashMap.newKeySet();
        DisposableServer ds = TcpServer.create().host("127.0.0.1").port(0).runOn(loops)
                .doOnConnection(c -> c.addHandlerLast(new LineBasedFrameDecoder(BroadcastServer.MAX_LINE, false, true)))
                .handle((in, out) -> {
                    Sinks.Many<byte[]> q = Sinks.many().unicast().onBackpressureBuffer(Queues.<byte[]>get(MAX_QUEUED).get());
                    subs.add(q);
                    Mono<Void> rx = in.receive().asByteArray().doOnNext(line -> {
                        for (Sinks.Many<byte[]> s : subs) {
                            if (s != q) {
                                synchronized (s) {
                                    if (s.tryEmitNext(line).isFailure() && subs.remove(s)) {
                                        s.tryEmitError(new IllegalStateException("slow subscriber dropped"));
                                    }
                                }
                            }
                        }
                    }).then();
                    Mono<Void> tx = out.sendByteArray(q.asFlux()).then();
                    return Mono.firstWithSignal(rx, tx).doFinally(x -> {
                        subs.remove(q);
                        q.tryEmitComplete();
                    });
                }).bindNow(Duration.ofSeconds(5));
        return new Server() {
            public int port() {
                return ds.port();
            }

            public long enterCalls() {
                return -1;
            }

            public int subscribers() {
                return subs.size();
            }

            public String loopThreadPrefix() {
                return "broadcast-netty-";
            }

            public void close() {
                ds.disposeNow(Duration.ofSeconds(5));
                loops.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            }
        };
    }

    /** CPU time (user + system) of this JVM's threads whose name starts with {@code prefix}. */
    static long threadCpuNanos(String prefix) {
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (java.lang.management.ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (t != null && t.getThreadName().startsWith(prefix)) {
                sum += Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
            }
        }
        return sum;
    }

    /**
     * {messages/s delivered to every subscriber, io_uring_enter calls per message (or -1), server loop
     * CPU microseconds per message, the loop thread's syscalls per message and io_uring_enter per
     * message counted by perf (NaN without perf)}; the loop thread is the one named
     * {@code loopThreadPrefix}.
     */
    static double[] run(InetSocketAddress address, int n, IntSupplier connected, LongSupplier enters,
            String loopThreadPrefix, long warmupNanos, long measureNanos) throws IOException {
        LongSupplier loopCpuNanos = () -> threadCpuNanos(loopThreadPrefix);
        PerfSyscalls perf = null;
        List<SocketChannel> subs = new ArrayList<>(n);
        long[] received = new long[n];
        try (Selector selector = Selector.open(); SocketChannel pub = SocketChannel.open(address)) {
            pub.setOption(StandardSocketOptions.TCP_NODELAY, true);
            for (int i = 0; i < n; i++) {
                SocketChannel ch = SocketChannel.open(address);
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ, i);
                subs.add(ch);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (connected.getAsInt() < n + 1) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("only " + connected.getAsInt() + " of " + (n + 1) + " connections registered");
                }
                Thread.onSpinWait();
            }
            ByteBuffer message = ByteBuffer.allocateDirect(SIZE * WINDOW);
            for (int k = 0; k < WINDOW; k++) {
                for (int j = 0; j < SIZE - 1; j++) {
                    message.put((byte) ('a' + j % 26));
                }
                message.put((byte) '\n');
            }
            ByteBuffer readBuf = ByteBuffer.allocateDirect(64 * 1024);
            long sent = 0;
            long minDelivered = 0;
            long start = System.nanoTime();
            long measureStart = start + warmupNanos;
            long end = measureStart + measureNanos;
            boolean measuring = false;
            long deliveredAtStart = 0;
            long entersAtStart = 0;
            long cpuAtStart = 0;
            while (true) {
                long now = System.nanoTime();
                if (!measuring && now >= measureStart) {
                    measuring = true;
                    measureStart = now;
                    end = now + measureNanos;
                    deliveredAtStart = minDelivered;
                    entersAtStart = enters.getAsLong();
                    cpuAtStart = loopCpuNanos.getAsLong();
                    perf = PerfSyscalls.thread(PerfSyscalls.threadId(loopThreadPrefix));
                } else if (measuring && now >= end) {
                    long msgs = minDelivered - deliveredAtStart;
                    long e = enters.getAsLong();
                    long cpu = loopCpuNanos.getAsLong() - cpuAtStart;
                    long[] sys = perf == null ? null : perf.stop();
                    double seconds = (now - measureStart) / 1e9;
                    return new double[] {msgs / seconds, entersAtStart < 0 || msgs == 0 ? -1 : (double) (e - entersAtStart) / msgs,
                        msgs == 0 ? Double.NaN : cpu / 1000.0 / msgs,
                        sys == null || msgs == 0 ? Double.NaN : (double) sys[0] / msgs,
                        sys == null || msgs == 0 ? Double.NaN : (double) sys[1] / msgs};
                }
                long room = WINDOW - (sent - minDelivered);
                if (room > 0) {
                    message.clear().limit((int) (room * SIZE));
                    while (message.hasRemaining()) {
                        pub.write(message); // blocking: whole messages only
                    }
                    sent += room;
                }
                selector.select(10);
                for (SelectionKey key : selector.selectedKeys()) {
                    int i = (Integer) key.attachment();
                    readBuf.clear();
                    int r = ((SocketChannel) key.channel()).read(readBuf);
                    if (r < 0) {
                        throw new IOException("subscriber " + i + " was closed by the server");
                    }
                    received[i] += r;
                }
                selector.selectedKeys().clear();
                long min = Long.MAX_VALUE;
                for (long b : received) {
                    min = Math.min(min, b / SIZE);
                }
                minDelivered = min;
            }
        } finally {
            if (perf != null) {
                perf.abandon();
            }
            for (SocketChannel ch : subs) {
                ch.close();
            }
        }
    }
}
