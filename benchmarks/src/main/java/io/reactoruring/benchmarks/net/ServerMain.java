package io.reactoruring.benchmarks.net;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.Uring;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.examples.echo.EchoServer;
import io.reactoruring.examples.http.HttpFileServer;
import io.reactoruring.net.UringServer;
import io.reactoruring.net.UringTcpServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.tcp.TcpServer;

/**
 * One server of the net load harness, run in its own JVM by {@link NetLoadReport} so that its CPU
 * time can be read from /proc and nothing else of the harness shares its heap or JIT.
 *
 * <pre>
 * ServerMain &lt;kind&gt; &lt;threads&gt; [root]
 *   kind: uring-echo | uring-nio-echo | uring-nodefer-echo | netty-epoll-echo | netty-io_uring-echo | uring-http | netty-epoll-http | netty-io_uring-http
 *   (uring-nio-echo: the echo on reactor-uring's NIO fallback, in a JVM started with -Dreactoruring.disabled=true;
 *    uring-nodefer-echo: the echo on a ring without SINGLE_ISSUER/DEFER_TASKRUN, a diagnostic)
 * </pre>
 *
 * Prints {@code READY <port> <what serves>} once listening and {@code CHANNEL <class>} for the first
 * accepted connection (the proof of which transport really runs), then serves until stdin closes. A
 * {@code stats} line on stdin is answered with
 * {@code STATS <submitted> <completed> <enterCalls> <wakeups> <inFlight> <waiting> <iterations> <bufferRingExhaustions>}
 * summed over the reactor-uring loops ({@code STATS n/a} for Netty). A {@code mem} line runs a full GC and is
 * answered with {@code MEM <open connections> <library native bytes> <RSS bytes> <heap used bytes>}: the library's
 * native bytes are {@code Uring.nativeMemoryBytes()} (the library's NativeMemory counter) for reactor-uring and the default
 * ByteBufAllocator's direct memory in use for Reactor Netty (see {@link IdleLoad}).
 */
public final class ServerMain {
    private static final java.time.format.DateTimeFormatter HTTP_DATE = java.time.format.DateTimeFormatter
            .ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US).withZone(java.time.ZoneOffset.UTC);

    private ServerMain() {
    }

    public static void main(String[] args) throws IOException {
        String kind = args[0];
        int threads = Integer.parseInt(args[1]);
        Path root = args.length > 2 ? Path.of(args[2]) : null;
        AtomicBoolean reported = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
        Runnable stop;
        UringLoopGroup uringGroup = null;
        int port;
        String what;
        if (kind.equals("uring-nio-echo")) {
            if (Uring.isAvailable()) {
                throw new IllegalStateException("uring-nio-echo runs on the fallback: start with -D" + Uring.DISABLE_PROPERTY + "=true");
            }
            UringServer server = EchoServer.start(UringTcpServer.create().host("127.0.0.1").port(0)
                    .doOnConnection(c -> {
                        count(open, c.onDispose());
                        report(reported, c.getClass().getName() + " isUring=" + c.isUring());
                    }));
            port = server.port();
            what = "reactor-uring NIO fallback (AsynchronousSocketChannel; its threads: one per core, at least 2)";
            stop = () -> server.disposeNow(Duration.ofSeconds(5));
        } else if (kind.startsWith("uring-")) {
            if (!Uring.isAvailable()) {
                throw new IllegalStateException("io_uring unavailable: " + Uring.unavailabilityCause());
            }
            // uring-nodefer-*: a diagnostic variant without SINGLE_ISSUER and so without DEFER_TASKRUN
            RingOptions options = kind.startsWith("uring-nodefer-") ? RingOptions.defaults().singleIssuer(false) : RingOptions.defaults();
            UringLoopGroup group = UringLoopGroup.create("srv", threads, options);
            uringGroup = group;
            UringTcpServer base = UringTcpServer.create().host("127.0.0.1").port(0).group(group)
                    .doOnConnection(c -> {
                        count(open, c.onDispose());
                        report(reported, c.getClass().getName() + " on " + c.loop().name());
                    });
            UringServer server = kind.endsWith("-echo")
                    ? EchoServer.start(base)
                    : HttpFileServer.start(root, base);
            port = server.port();
            what = "reactor-uring " + threads + " loop(s), ring setup flags 0x"
                    + Integer.toHexString(group.loops().get(0).setupFlags());
            stop = () -> {
                server.disposeNow(Duration.ofSeconds(5));
                group.disposeLater().block(Duration.ofSeconds(5));
            };
        } else {
            boolean uring = kind.startsWith("netty-io_uring-");
            if (uring && !IoUring.isAvailable()) {
                throw new IllegalStateException("Netty io_uring unavailable", IoUring.unavailabilityCause());
            }
            IoHandlerFactory factory = uring ? IoUringIoHandler.newFactory() : EpollIoHandler.newFactory();
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, factory);
            DisposableServer server;
            if (kind.endsWith("-echo")) {
                server = TcpServer.create().host("127.0.0.1").port(0).runOn(group)
                        .doOnConnection(c -> {
                            count(open, c.onDispose());
                            report(reported, c.channel().getClass().getName());
                        })
                        .handle((in, out) -> out.send(in.receive().retain()))
                        .bindNow(Duration.ofSeconds(5));
            } else {
                Path base = root.toAbsolutePath().normalize();
                server = HttpServer.create().host("127.0.0.1").port(0).runOn(group)
                        .doOnConnection(c -> report(reported, c.channel().getClass().getName()))
                        .handle((req, res) -> {
                            Path file = base.resolve(req.path()).normalize();
                            if (!file.startsWith(base) || !Files.isRegularFile(file)) {
                                return res.status(404).send();
                            }
                            try {
                                // Same headers as HttpFileServer sends; an explicit length avoids chunking.
                                return res.header("Content-Type", "application/octet-stream")
                                        .header("Content-Length", String.valueOf(Files.size(file)))
                                        .header("Last-Modified", HTTP_DATE.format(Files.getLastModifiedTime(file).toInstant()))
                                        .header("Accept-Ranges", "bytes")
                                        .sendFile(file);
                            } catch (IOException e) {
                                return Mono.error(e);
                            }
                        })
                        .bindNow(Duration.ofSeconds(5));
            }
            port = ((java.net.InetSocketAddress) server.address()).getPort();
            what = "Reactor Netty " + threads + " event loop thread(s), server channel "
                    + server.channel().getClass().getName();
            stop = () -> {
                server.disposeNow(Duration.ofSeconds(5));
                group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
            };
        }
        System.out.println("READY " + port + " " + what);
        System.out.flush();
        // Serve until the harness closes our stdin (or dies); a "stats" line asks for the ring counters.
        java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.equals("stats")) {
                System.out.println("STATS " + (uringGroup == null ? "n/a" : stats(uringGroup)));
                System.out.flush();
            } else if (line.equals("mem")) {
                System.gc();
                System.gc();
                System.out.println("MEM " + open.get() + " " + libraryNativeBytes(kind) + " " + rssBytes() + " "
                        + java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                System.out.flush();
            }
        }
        stop.run();
        System.exit(0);
    }

    /**
     * Ring counters summed over the group's loops:
     * {@code submitted completed enterCalls wakeups inFlight waiting iterations bufferRingExhaustions}.
     */
    private static String stats(UringLoopGroup group) {
        long submitted = 0;
        long completed = 0;
        long enters = 0;
        long wakeups = 0;
        long inFlight = 0;
        long waiting = 0;
        long iterations = 0;
        long exhaustions = 0;
        for (io.reactoruring.core.UringLoop loop : group.loops()) {
            io.reactoruring.core.UringMetrics m = loop.metrics();
            submitted += m.submitted();
            completed += m.completed();
            enters += m.enterCalls();
            wakeups += m.wakeups();
            inFlight += m.inFlight();
            waiting += m.waiting();
            iterations += m.iterations();
            exhaustions += m.bufferRingExhaustions();
        }
        return submitted + " " + completed + " " + enters + " " + wakeups + " " + inFlight + " " + waiting + " " + iterations
                + " " + exhaustions;
    }

    /** Counts a connection as open until {@code closed} terminates. */
    private static void count(java.util.concurrent.atomic.AtomicInteger open, Mono<Void> closed) {
        open.incrementAndGet();
        closed.doFinally(s -> open.decrementAndGet()).subscribe(null, e -> { });
    }

    /** reactor-uring: Uring.nativeMemoryBytes(); Netty: direct memory in use by the default allocator. */
    private static long libraryNativeBytes(String kind) {
        if (kind.startsWith("uring-")) {
            return io.reactoruring.core.Uring.nativeMemoryBytes();
        }
        io.netty.buffer.ByteBufAllocator a = io.netty.buffer.ByteBufAllocator.DEFAULT;
        return a instanceof io.netty.buffer.ByteBufAllocatorMetricProvider p ? p.metric().usedDirectMemory() : -1;
    }

    /** VmRSS of this process, from /proc/self/status. */
    static long rssBytes() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith("VmRSS:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    private static void report(AtomicBoolean reported, String channel) {
        if (reported.compareAndSet(false, true)) {
            System.out.println("CHANNEL " + channel);
            System.out.flush();
        }
    }
}
