package io.reactoruring.benchmarks.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Idle connections at scale (issue 11 item 1): the echo server of each stack in its own JVM (one
 * event-loop thread, {@link ServerMain}), this JVM as the client holding {@code N} idle connections
 * (the per-process fd limit here is 20,000, so client and server cannot share a process). For each
 * server, in this order:
 *
 * <ol>
 *   <li>warm up (new connections doing echoes), then a full GC and the baseline: the server's RSS and
 *       the library's native bytes ({@code Uring.nativeMemoryBytes()} (the library's NativeMemory counter) for reactor-uring, the
 *       default ByteBufAllocator's direct memory for Reactor Netty);</li>
 *   <li>the echo round trip of new connections with no idle ones open;</li>
 *   <li>open {@code N} connections that send nothing; wait until the server counts them all; memory;</li>
 *   <li>the echo round trip of new connections with the N open: {@value #PROBE_CONNECTIONS} new
 *       connections × {@value #PROBE_ROUND_TRIPS} round trips of {@value #SIZE} bytes, one at a time;</li>
 *   <li>every idle connection does one echo and is idle again (a keep-alive connection after its
 *       request); memory;</li>
 *   <li>all closed; wait until the server counts none; memory (does it go back?).</li>
 * </ol>
 *
 * Per-connection figures are deltas from the baseline divided by N. Memory is read after a full GC in
 * the server (System.gc() twice). The server's heap is fixed and pre-touched ({@code -XX:+AlwaysPreTouch}),
 * so it is resident from the start: an RSS delta is off-heap memory (the library's native memory, the
 * JVM's, ring mappings), and the heap in use after the GC is reported on its own. Kernel socket
 * buffers are in neither.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.reactoruring.benchmarks.net.IdleLoad [--connections 15000]
 *     [--servers uring,netty-epoll,netty-io_uring] [--heap 512m]
 * </pre>
 */
public final class IdleLoad {
    static final int SIZE = 64;
    static final int PROBE_CONNECTIONS = 50;
    static final int PROBE_ROUND_TRIPS = 20;

    /** Memory read from the server: open connections, library native bytes, RSS bytes. */
    record Memory(long open, long nativeBytes, long rss, long heap) {
        static Memory of(long[] v) {
            return new Memory(v[0], v[1], v[2], v[3]);
        }
    }

    /**
     * Echo round trips of new connections, sorted (nanoseconds); connect + first echo, sorted; the
     * connect alone (the client's connect(2): handshake done by the kernels, no server code), sorted;
     * and the first echo alone (the server's accept and first receive on its side), sorted.
     */
    record Rtt(long[] roundTrips, long[] connectAndFirst, long[] connect, long[] firstEcho) {
        double micros(long[] sorted, double p) {
            int i = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
            return sorted[Math.max(0, i)] / 1000.0;
        }
    }

    record Row(String server, int n, Memory base, Memory open, Memory afterEcho, Memory closed, Rtt rtt0, Rtt rttN,
            String description, String channel) {
        double perConn(long delta) {
            return (double) delta / n / 1024.0;
        }
    }

    private IdleLoad() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opt.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int n = Integer.parseInt(opt.getOrDefault("connections", "15000"));
        List<String> servers = List.of(opt.getOrDefault("servers", "uring,netty-epoll,netty-io_uring").split(","));
        String heap = opt.getOrDefault("heap", "512m");
        System.out.printf("# idle connections: %d CPUs, Linux %s; loadavg at start: %s%n",
                Runtime.getRuntime().availableProcessors(), read("/proc/sys/kernel/osrelease"), read("/proc/loadavg"));
        report(n, servers, heap);
        System.out.printf("%n# loadavg at end: %s%n", read("/proc/loadavg"));
    }

    /** Runs {@code servers} one after the other with {@code n} idle connections each and prints the tables. */
    static void report(int n, List<String> servers, String heap) throws Exception {
        System.out.printf("%n## Idle connections: %d per server, client in this JVM (pid %d), one event-loop thread per server,"
                + " server heap %s (pre-touched)%n", n, ProcessHandle.current().pid(), heap);
        List<Row> rows = new ArrayList<>();
        for (String s : servers) {
            // A pre-touched heap of fixed size is resident from the start: RSS deltas are then off-heap memory
            // (the library's, the JVM's, the rings' mappings) and heap use is reported on its own.
            rows.add(run(s, n, List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+AlwaysPreTouch")));
        }
        print(rows);
    }

    static Row run(String server, int n, List<String> jvmOptions) throws Exception {
        try (ServerProcess p = ServerProcess.jvm(server, server + "-echo", 1, null, jvmOptions)) {
            InetSocketAddress address = p.address();
            probe(address, 200, 20); // JIT and pools warm
            Memory base = Memory.of(p.memory());
            Rtt rtt0 = probe(address, PROBE_CONNECTIONS, PROBE_ROUND_TRIPS);
            List<SocketChannel> idle = new ArrayList<>(n);
            try {
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    SocketChannel ch = SocketChannel.open(address);
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    idle.add(ch);
                }
                Memory open = awaitOpen(p, n);
                System.out.printf("  %-15s %d connections open in %.1f s; server counts %d%n", server, n,
                        (System.nanoTime() - t0) / 1e9, open.open());
                Rtt rttN = probe(address, PROBE_CONNECTIONS, PROBE_ROUND_TRIPS);
                echoOnce(idle);
                Memory afterEcho = Memory.of(p.memory());
                for (SocketChannel ch : idle) {
                    ch.close();
                }
                idle.clear();
                Memory closed = awaitOpen(p, 0);
                Row row = new Row(server, n, base, open, afterEcho, closed, rtt0, rttN, p.description, p.channel());
                System.out.printf(Locale.ROOT, "  %-15s native/conn %.2f KiB, RSS/conn %.2f KiB; RTT p50 %.0f us p99 %.0f us"
                        + " (no idle: p50 %.0f us)%n", server, row.perConn(open.nativeBytes() - base.nativeBytes()),
                        row.perConn(open.rss() - base.rss()), rttN.micros(rttN.roundTrips(), 50),
                        rttN.micros(rttN.roundTrips(), 99), rtt0.micros(rtt0.roundTrips(), 50));
                List<String> out = p.drainOutput();
                out.stream().limit(5).forEach(l -> System.out.println("    [" + server + "] " + l));
                if (out.size() > 5) {
                    System.out.println("    [" + server + "] ... " + (out.size() - 5) + " more lines");
                }
                return row;
            } finally {
                for (SocketChannel ch : idle) {
                    ch.close();
                }
            }
        }
    }

    /** Polls the server's memory until it counts {@code open} connections (at most 60 s). */
    private static Memory awaitOpen(ServerProcess p, int open) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (true) {
            Memory m = Memory.of(p.memory());
            if (m.open() == open) {
                return m;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(p.name + " counts " + m.open() + " open connections, expected " + open);
            }
            Thread.sleep(200); // polling a child process; not a test
        }
    }

    /** {@code connections} new connections one after the other, each {@code roundTrips} echoes of SIZE bytes, then closed. */
    static Rtt probe(InetSocketAddress address, int connections, int roundTrips) throws IOException {
        long[] rtt = new long[connections * roundTrips];
        long[] first = new long[connections];
        long[] connect = new long[connections];
        long[] firstEcho = new long[connections];
        ByteBuffer out = ByteBuffer.allocateDirect(SIZE);
        ByteBuffer in = ByteBuffer.allocateDirect(SIZE);
        int k = 0;
        for (int c = 0; c < connections; c++) {
            long t0 = System.nanoTime();
            try (SocketChannel ch = SocketChannel.open(address)) {
                connect[c] = System.nanoTime() - t0;
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                for (int r = 0; r < roundTrips; r++) {
                    long t = System.nanoTime();
                    echo(ch, out, in);
                    long now = System.nanoTime();
                    rtt[k++] = now - t;
                    if (r == 0) {
                        first[c] = now - t0;
                        firstEcho[c] = now - t;
                    }
                }
            }
        }
        Arrays.sort(rtt);
        Arrays.sort(first);
        Arrays.sort(connect);
        Arrays.sort(firstEcho);
        return new Rtt(rtt, first, connect, firstEcho);
    }

    /** One echo on each connection: all sent first, then all read back. */
    private static void echoOnce(List<SocketChannel> conns) throws IOException {
        ByteBuffer out = ByteBuffer.allocateDirect(SIZE);
        ByteBuffer in = ByteBuffer.allocateDirect(SIZE);
        for (SocketChannel ch : conns) {
            out.clear();
            while (out.hasRemaining()) {
                ch.write(out);
            }
        }
        for (SocketChannel ch : conns) {
            in.clear();
            while (in.hasRemaining()) {
                if (ch.read(in) < 0) {
                    throw new IOException("server closed an idle connection");
                }
            }
        }
    }

    private static void echo(SocketChannel ch, ByteBuffer out, ByteBuffer in) throws IOException {
        out.clear();
        while (out.hasRemaining()) {
            ch.write(out);
        }
        in.clear();
        while (in.hasRemaining()) {
            if (ch.read(in) < 0) {
                throw new IOException("server closed the connection");
            }
        }
    }

    private static void print(List<Row> rows) {
        System.out.println("\n### Idle connections: memory per connection (deltas from the baseline / N, after a full GC)\n");
        System.out.println("| server | N | library native / conn | RSS / conn | heap / conn | after one echo each: native / conn"
                + " | RSS / conn | heap / conn | all closed: native - baseline | RSS - baseline | heap - baseline | goal native <= 8 KiB |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Row r : rows) {
            double nativePerConn = r.perConn(r.open().nativeBytes() - r.base().nativeBytes());
            double nativeAfterEcho = r.perConn(r.afterEcho().nativeBytes() - r.base().nativeBytes());
            System.out.printf(Locale.ROOT, "| %s | %,d | %.2f KiB | %.2f KiB | %.2f KiB | %.2f KiB | %.2f KiB | %.2f KiB | %s | %s | %s | %s |%n",
                    r.server(), r.n(), nativePerConn, r.perConn(r.open().rss() - r.base().rss()),
                    r.perConn(r.open().heap() - r.base().heap()), nativeAfterEcho,
                    r.perConn(r.afterEcho().rss() - r.base().rss()), r.perConn(r.afterEcho().heap() - r.base().heap()),
                    mib(r.closed().nativeBytes() - r.base().nativeBytes()), mib(r.closed().rss() - r.base().rss()),
                    mib(r.closed().heap() - r.base().heap()),
                    r.server().startsWith("uring") ? (Math.max(nativePerConn, nativeAfterEcho) <= 8 ? "met" : "NOT met") : "");
        }
        System.out.println("\n### Idle connections: echo round trip of a new connection (" + PROBE_CONNECTIONS + " new connections × "
                + PROBE_ROUND_TRIPS + " round trips of " + SIZE + " B, one at a time)\n");
        System.out.println("| server | idle open | RTT p50 | RTT p99 | connect + first echo p50 | p99 | of which connect p50"
                + " | first echo p50 | first echo p99 | goal RTT < 10 ms |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for (Row r : rows) {
            for (int k = 0; k < 2; k++) {
                Rtt t = k == 0 ? r.rtt0() : r.rttN();
                double p99 = t.micros(t.roundTrips(), 99);
                System.out.printf(Locale.ROOT, "| %s | %,d | %.0f us | %.0f us | %.0f us | %.0f us | %.0f us | %.0f us | %.0f us | %s |%n",
                        r.server(), k == 0 ? 0 : r.n(), t.micros(t.roundTrips(), 50), p99, t.micros(t.connectAndFirst(), 50),
                        t.micros(t.connectAndFirst(), 99), t.micros(t.connect(), 50), t.micros(t.firstEcho(), 50),
                        t.micros(t.firstEcho(), 99), p99 < 10_000 ? "met" : "NOT met");
            }
        }
        System.out.println("\n### Baselines\n");
        System.out.println("| server | library native | RSS | heap used | what serves | accepted connection |");
        System.out.println("|---|---:|---:|---:|---|---|");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", r.server(), mib(r.base().nativeBytes()), mib(r.base().rss()),
                    mib(r.base().heap()), r.description(), r.channel());
        }
    }

    private static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
    }

    private static String read(String path) {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of(path)).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
