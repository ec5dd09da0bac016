package io.reactoruring.benchmarks.net;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Loopback load harness: the echo server on reactor-uring against the same echo on Reactor Netty
 * with epoll and with Netty's io_uring transport, then the HTTP file server against Reactor Netty's
 * HttpServer (both transports) and nginx, all in one run. Bounded in time; loopback only.
 *
 * <p>Each server runs in its own JVM (see {@link ServerMain}) with the same number of event-loop
 * threads; its CPU time (user + system, all threads) is read from /proc around each measurement
 * window and divided by the requests completed in it. The load generator runs in this JVM (echo: one
 * NIO thread, see {@link EchoLoad}) or is wrk (HTTP), and competes with the server for the machine's
 * cores. All servers stay up during a section and the order in which they are measured rotates from
 * one configuration to the next, so slow drift in background load does not always hit the same one.
 *
 * <pre>
 * java -cp benchmarks.jar io.reactoruring.benchmarks.net.NetLoadReport [options]
 *   --jit-warmup S              seconds of unmeasured load on each server before its first run (default 5)
 *   --warmup S --measure S      seconds per run: unmeasured, then measured (default 1 and 5)
 *   --connections 16,64         echo connections (pipelining depth 1)
 *   --sizes 64,4096             echo message bytes
 *   --threads N                 event-loop threads per server (default 1)
 *   --http-files 4096,262144    sizes of the files fetched in the HTTP section
 *   --http-connections 32       wrk connections (wrk -t1)
 *   --rounds N                  repeat every measurement N times (default 1); tables show the run with the
 *                               median throughput of each configuration and the min-max over the rounds
 *   --only echo|http|idle       run one section (idle: with --idle N)
 *   --nio true                  also run the echo on reactor-uring's NIO fallback (a server JVM with
 *                               -Dreactoruring.disabled=true), as row "uring-nio"
 *   --extra-echo a,b            more echo servers (ServerMain kinds without "-echo"), e.g. uring-nodefer; rows only
 *   --idle N                    also run the idle-connection section ({@link IdleLoad}): N idle connections per
 *                               server (uring, netty-epoll, netty-io_uring), memory per connection and a new
 *                               connection's echo round trip (default 0: skipped; N up to ~19,000 here)
 *   --slow-readers K            HTTP section: afterwards, each server again with K clients that request a
 *                               64 MiB file and never read (SO_RCVBUF 4 KiB), wrk on the largest file
 *                               measured with them and without them, back to back (default 0: skipped)
 * </pre>
 */
public final class NetLoadReport {
    private static final List<String> ECHO_SERVERS = List.of("uring", "netty-epoll", "netty-io_uring");
    /** The echo servers of this run: {@link #ECHO_SERVERS}, plus the NIO fallback with {@code --nio true}. */
    private static List<String> echoServers = ECHO_SERVERS;
    /** {@code --slow-readers}: stalled clients in the slow-reader rows of the HTTP section, 0 = no such rows. */
    private static int slowReaders;
    /** The big file the slow readers request. */
    private static final int SLOW_FILE = 64 * 1024 * 1024;

    /** {@code ring}: deltas of the server's ring counters over the window, or null (not reactor-uring). */
    private record EchoRow(int connections, int size, String server, EchoLoad.Result r, long serverCpuNanos,
            long serverSystemNanos, long serverRunQueueNanos, long serverSleeps, long serverSlices, long[] ring, long[] sys) {
        /** The server process's syscalls per request and io_uring_enter per request, counted by perf; "" without perf. */
        String syscallsPerRequest() {
            return sys == null ? "" : String.format(Locale.ROOT, "%.2f syscalls (%.2f io_uring_enter)",
                    (double) sys[0] / r.requests(), (double) sys[1] / r.requests());
        }

        double cpuMicrosPerRequest() {
            return serverCpuNanos / 1000.0 / r.requests();
        }

        /** The kernel's share of {@link #cpuMicrosPerRequest}: on loopback it includes the TCP work of both ends that runs on the server's CPU. */
        double systemMicrosPerRequest() {
            return serverSystemNanos / 1000.0 / r.requests();
        }

        /** Run-queue wait of the server's threads per timeslice they got, in microseconds: the wait after a wake-up. */
        double runQueueMicrosPerSlice() {
            return serverSlices <= 0 ? Double.NaN : serverRunQueueNanos / 1000.0 / serverSlices;
        }

        /** Voluntary context switches of the server's threads per request: how often it really slept. */
        double sleepsPerRequest() {
            return (double) serverSleeps / r.requests();
        }

        String ringPerRequest() {
            // ops submitted, CQEs, loop iterations, io_uring_enter calls, blocking enters (waits), buffer-ring ENOBUFS
            return ring == null ? "" : String.format(Locale.ROOT, "%.2f ops, %.2f cqes, %.2f iters, %.2f enters, %.2f waits, %d enobufs",
                    (double) ring[0] / r.requests(), (double) ring[1] / r.requests(), (double) ring[6] / r.requests(),
                    (double) ring[2] / r.requests(), (double) ring[3] / r.requests(), ring[7]);
        }
    }

    private record HttpRow(int fileSize, String server, Wrk.Result r, long serverCpuNanos, long[] ring) {
        double cpuMicrosPerRequest() {
            return serverCpuNanos / 1000.0 / r.requests();
        }

        String ringPerRequest() {
            return ring == null ? "" : String.format(Locale.ROOT, "%.2f ops, %.2f enters",
                    (double) ring[0] / r.requests(), (double) ring[2] / r.requests());
        }
    }

    private static long[] delta(long[] before, long[] after) {
        if (before == null || after == null) {
            return null;
        }
        long[] d = new long[before.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = after[i] - before[i];
        }
        return d;
    }

    private NetLoadReport() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = options(args);
        int jitWarmup = Integer.parseInt(opt.getOrDefault("jit-warmup", "5"));
        int warmup = Integer.parseInt(opt.getOrDefault("warmup", "1"));
        int measure = Integer.parseInt(opt.getOrDefault("measure", "5"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", "1"));
        int[] connections = ints(opt.getOrDefault("connections", "16,64"));
        int[] sizes = ints(opt.getOrDefault("sizes", "64,4096"));
        int[] files = ints(opt.getOrDefault("http-files", "4096,262144"));
        int httpConnections = Integer.parseInt(opt.getOrDefault("http-connections", "32"));
        String only = opt.getOrDefault("only", "");
        int rounds = Integer.parseInt(opt.getOrDefault("rounds", "1"));
        slowReaders = Integer.parseInt(opt.getOrDefault("slow-readers", "0"));
        if (Boolean.parseBoolean(opt.getOrDefault("nio", "false"))) {
            echoServers = java.util.stream.Stream.concat(ECHO_SERVERS.stream(), java.util.stream.Stream.of("uring-nio")).toList();
        }
        if (opt.containsKey("extra-echo")) {
            echoServers = java.util.stream.Stream.concat(echoServers.stream(),
                    Arrays.stream(opt.get("extra-echo").split(",")).map(String::strip)).toList();
        }

        long started = System.nanoTime();
        System.out.printf("# net load harness: %d CPUs, Linux %s, %s %s; loadavg at start: %s%n",
                Runtime.getRuntime().availableProcessors(), read("/proc/sys/kernel/osrelease"),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), read("/proc/loadavg"));
        System.out.printf("# %d event-loop thread(s) per server; %d s of JIT warmup per server, then warmup %d s + measure %d s per run%n",
                threads, jitWarmup, warmup, measure);
        if (!only.equals("http") && !only.equals("idle")) {
            List<EchoRow> rows = echo(threads, connections, sizes, rounds, jitWarmup, warmup, measure);
            printEcho(rows, connections, sizes);
        }
        int idle = Integer.parseInt(opt.getOrDefault("idle", "0"));
        if (idle > 0 && (only.isEmpty() || only.equals("idle"))) {
            IdleLoad.report(idle, ECHO_SERVERS, "512m");
        }
        if (!only.equals("echo") && !only.equals("idle")) {
            if (Wrk.available()) {
                printHttp(http(threads, files, httpConnections, rounds, jitWarmup, warmup, measure), files, httpConnections);
            } else {
                System.out.println("\n## HTTP: skipped, wrk is not installed (apt-get install -y wrk)");
            }
        }
        System.out.printf("%n# total %.0f s; loadavg at end: %s%n", (System.nanoTime() - started) / 1e9, read("/proc/loadavg"));
    }

    // ------------------------------------------------------------------ echo

    private static List<EchoRow> echo(int threads, int[] connections, int[] sizes, int rounds, int jitWarmup,
            int warmup, int measure) throws Exception {
        Map<String, ServerProcess> servers = new LinkedHashMap<>();
        List<EchoRow> rows = new ArrayList<>();
        try {
            for (String s : echoServers) {
                servers.put(s, ServerProcess.jvm(s, s + "-echo", threads, null));
            }
            System.out.println("\n## Echo servers");
            for (ServerProcess p : servers.values()) {
                EchoLoad.run(p.address(), connections[0], sizes[0], 0, TimeUnit.SECONDS.toNanos(jitWarmup), () -> { }, () -> { });
            }
            int config = 0;
            for (int round = 0; round < rounds; round++) {
            for (int c : connections) {
                for (int size : sizes) {
                    List<String> order = rotate(echoServers, config++);
                    for (String name : order) {
                        ServerProcess p = servers.get(name);
                        long[] cpu = new long[10];
                        long[][] ring = new long[2][];
                        PerfSyscalls[] perf = new PerfSyscalls[1];
                        long[][] sys = new long[1][];
                        EchoLoad.Result r = EchoLoad.run(p.address(), c, size,
                                TimeUnit.SECONDS.toNanos(warmup), TimeUnit.SECONDS.toNanos(measure),
                                () -> {
                                    ring[0] = ringStats(p);
                                    cpu[0] = ProcCpu.nanos(p.pid());
                                    cpu[2] = ProcCpu.runQueueWaitNanos(p.pid());
                                    cpu[4] = ProcCpu.voluntarySwitches(p.pid());
                                    cpu[6] = ProcCpu.timeslices(p.pid());
                                    cpu[8] = ProcCpu.systemNanos(p.pid());
                                    perf[0] = PerfSyscalls.process(p.pid());
                                }, () -> {
                                    sys[0] = perf[0] == null ? null : perf[0].stop();
                                    cpu[1] = ProcCpu.nanos(p.pid());
                                    cpu[3] = ProcCpu.runQueueWaitNanos(p.pid());
                                    cpu[5] = ProcCpu.voluntarySwitches(p.pid());
                                    cpu[7] = ProcCpu.timeslices(p.pid());
                                    cpu[9] = ProcCpu.systemNanos(p.pid());
                                    ring[1] = ringStats(p);
                                });
                        EchoRow row = new EchoRow(c, size, name, r, cpu[1] - cpu[0], cpu[9] - cpu[8], cpu[3] - cpu[2], cpu[5] - cpu[4],
                                cpu[7] - cpu[6], delta(ring[0], ring[1]), sys[0]);
                        rows.add(row);
                        System.out.printf("  %-15s conns %3d size %5d: %,10.0f req/s (median 1 s: %,10.0f)  p50 %7.1f us  p99 %7.1f us  server CPU %5.1f us/req (kernel %4.1f)  %.2f sleeps/req  run-queue wait %.0f us/slice  %s  %s%n",
                                name, c, size, r.requestsPerSecond(), r.medianPerSecond(), r.percentileMicros(50),
                                r.percentileMicros(99), row.cpuMicrosPerRequest(), row.systemMicrosPerRequest(), row.sleepsPerRequest(), row.runQueueMicrosPerSlice(),
                                row.ringPerRequest(), row.syscallsPerRequest());
                        printOutput(p);
                    }
                }
            }
            }
            printChannels(servers.values());
        } finally {
            stopAll(servers.values());
        }
        return rows;
    }

    private static void printEcho(List<EchoRow> rows, int[] connections, int[] sizes) {
        System.out.println("\n### Echo results (req/s = median of the 1-second rates in a window; with several rounds, the"
                + " round with the median req/s, its other columns from the same round, and the min-max of req/s over the rounds)\n");
        System.out.println("| conns | size | server | req/s | min-max | p50 us | p99 us | server CPU us/req | of it kernel | server CPU % | server run-queue wait % | client CPU % | server sleeps/req | server run-queue wait per slice us | ring per request | server syscalls per request (perf) |");
        System.out.println("|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|");
        for (int c : connections) {
            for (int size : sizes) {
                for (String server : echoServers) {
            List<EchoRow> all = rows.stream().filter(r -> r.connections() == c && r.size() == size && r.server().equals(server))
                    .sorted(Comparator.comparingDouble(r -> r.r().medianPerSecond())).toList();
            EchoRow row = all.get((all.size() - 1) / 2);
            EchoLoad.Result r = row.r();
            System.out.printf(Locale.ROOT, "| %d | %d | %s | %,.0f | %,.0f-%,.0f | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f | %.0f | %.2f | %.0f | %s | %s |%n",
                    row.connections(), row.size(), row.server(), r.medianPerSecond(), all.get(0).r().medianPerSecond(),
                    all.get(all.size() - 1).r().medianPerSecond(), r.percentileMicros(50),
                    r.percentileMicros(99), row.cpuMicrosPerRequest(), row.systemMicrosPerRequest(), 100.0 * row.serverCpuNanos() / (r.seconds() * 1e9),
                    100.0 * row.serverRunQueueNanos() / (r.seconds() * 1e9),
                    100.0 * r.clientCpuNanos() / (r.seconds() * 1e9), row.sleepsPerRequest(), row.runQueueMicrosPerSlice(),
                    row.ringPerRequest(), row.syscallsPerRequest());
                }
            }
        }
        System.out.println("\n### Echo ratios (uring / other; throughput from the medians, CPU per request: lower is better)\n");
        // "ceiling": the req/s ratio a server-bound run would show if reactor-uring spent no user-space time at all
        // (epoll's CPU per request over reactor-uring's kernel time per request)
        System.out.println("| conns | size | req/s vs epoll | req/s vs netty io_uring | CPU/req vs epoll | CPU/req vs netty io_uring | ceiling vs epoll (epoll CPU / uring kernel CPU) | goal >= 1.3x epoll | goal >= 1.0x netty io_uring |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|---|---|");
        for (int c : connections) {
            for (int size : sizes) {
                EchoRow u = find(rows, c, size, "uring");
                EchoRow e = find(rows, c, size, "netty-epoll");
                EchoRow n = find(rows, c, size, "netty-io_uring");
                double vsEpoll = u.r().medianPerSecond() / e.r().medianPerSecond();
                double vsUring = u.r().medianPerSecond() / n.r().medianPerSecond();
                System.out.printf(Locale.ROOT, "| %d | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %s |%n", c, size, vsEpoll, vsUring,
                        u.cpuMicrosPerRequest() / e.cpuMicrosPerRequest(), u.cpuMicrosPerRequest() / n.cpuMicrosPerRequest(),
                        e.cpuMicrosPerRequest() / u.systemMicrosPerRequest(),
                        vsEpoll >= 1.3 ? "met" : "NOT met", vsUring >= 1.0 ? "met" : "NOT met");
            }
        }
    }

    private static long[] ringStats(ServerProcess p) {
        try {
            return p.ringStats();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static EchoRow find(List<EchoRow> rows, int c, int size, String server) {
        List<EchoRow> all = rows.stream().filter(r -> r.connections() == c && r.size() == size && r.server().equals(server))
                .sorted(Comparator.comparingDouble(r -> r.r().medianPerSecond())).toList();
        return all.get((all.size() - 1) / 2); // the median round (the lower one of an even count)
    }

    // ------------------------------------------------------------------ http

    private static List<HttpRow> http(int threads, int[] files, int connections, int rounds, int jitWarmup,
            int warmup, int measure) throws Exception {
        Path dir = Files.createTempDirectory("net-load-http");
        Path www = Files.createDirectory(dir.resolve("www"));
        Random random = new Random(1);
        Map<Integer, byte[]> content = new LinkedHashMap<>();
        for (int size : files) {
            byte[] b = new byte[size];
            random.nextBytes(b);
            Files.write(www.resolve(fileName(size)), b);
            content.put(size, b);
        }
        Map<String, ServerProcess> servers = new LinkedHashMap<>();
        List<HttpRow> rows = new ArrayList<>();
        try {
            servers.put("uring", ServerProcess.jvm("uring", "uring-http", threads, www));
            servers.put("netty-epoll", ServerProcess.jvm("netty-epoll", "netty-epoll-http", threads, www));
            servers.put("netty-io_uring", ServerProcess.jvm("netty-io_uring", "netty-io_uring-http", threads, www));
            if (Nginx.available()) {
                servers.put("nginx", Nginx.start(www, Files.createDirectory(dir.resolve("nginx"))));
            } else {
                System.out.println("\n(nginx not installed: apt-get install -y nginx-light; its row is left out)");
            }
            System.out.println("\n## HTTP file servers (wrk -t1 -c" + connections + ", keep-alive, GET of one file)");
            verify(servers, content);
            for (ServerProcess p : servers.values()) {
                Wrk.run("http://127.0.0.1:" + p.port + "/" + fileName(files[0]), 1, connections, jitWarmup);
            }
            int config = 0;
            for (int round = 0; round < rounds; round++) {
            for (int size : files) {
                for (String name : rotate(new ArrayList<>(servers.keySet()), config++)) {
                    ServerProcess p = servers.get(name);
                    String url = "http://127.0.0.1:" + p.port + "/" + fileName(size);
                    Wrk.run(url, 1, connections, warmup);
                    long[] ringBefore = p.ringStats();
                    long before = ProcCpu.nanos(p.pid());
                    Wrk.Result r = Wrk.run(url, 1, connections, measure);
                    long cpu = ProcCpu.nanos(p.pid()) - before;
                    HttpRow row = new HttpRow(size, name, r, cpu, delta(ringBefore, p.ringStats()));
                    rows.add(row);
                    System.out.printf("  %-15s file %7d: %,10.0f req/s  p50 %8.1f us  p99 %8.1f us  server CPU %5.1f us/req  %s %s%n",
                            name, size, r.requestsPerSecond(), r.p50Micros(), r.p99Micros(), row.cpuMicrosPerRequest(),
                            row.ringPerRequest(), r.problems());
                    printOutput(p);
                }
            }
            }
            printChannels(servers.values());
            if (slowReaders > 0) {
                slowReaders(servers, www, files[files.length - 1], connections, measure);
            }
        } finally {
            stopAll(servers.values());
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        return rows;
    }

    /**
     * Slow readers (issue 11 item 3): per server, back to back, wrk on the {@code size}-byte file alone,
     * then again while {@link #slowReaders} clients hold a GET of a 64 MiB file without reading (4 KiB
     * receive buffer, so the server's socket stays full). Prints req/s with / without and the server's
     * io_uring worker threads (io-wq, {@code iou-wrk-*}) while they stall.
     */
    private static void slowReaders(Map<String, ServerProcess> servers, Path www, int size, int connections, int measure)
            throws IOException, InterruptedException {
        Random random = new Random(2);
        byte[] block = new byte[1 << 20];
        random.nextBytes(block);
        Path big = www.resolve("slow.bin");
        try (java.io.OutputStream o = Files.newOutputStream(big)) {
            for (int i = 0; i < SLOW_FILE / block.length; i++) {
                o.write(block);
            }
        }
        System.out.println("\n## Slow readers: " + slowReaders + " clients GET a 64 MiB file and never read; wrk -t1 -c" + connections
                + " on the " + size + "-byte file without and with them");
        List<String[]> table = new ArrayList<>();
        for (ServerProcess p : servers.values()) {
            String url = "http://127.0.0.1:" + p.port + "/" + fileName(size);
            Wrk.run(url, 1, connections, 1);
            Wrk.Result alone = Wrk.run(url, 1, connections, measure);
            List<java.nio.channels.SocketChannel> stalled = new ArrayList<>();
            Wrk.Result with;
            int workers;
            try {
                byte[] get = ("GET /slow.bin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                for (int i = 0; i < slowReaders; i++) {
                    java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
                    stalled.add(ch);
                    ch.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4096);
                    ch.connect(p.address());
                    ch.write(java.nio.ByteBuffer.wrap(get));
                }
                Thread.sleep(1000); // let the server fill their sockets (a benchmark, not a test)
                workers = ioWorkers(p.pid());
                with = Wrk.run(url, 1, connections, measure);
                workers = Math.max(workers, ioWorkers(p.pid()));
            } finally {
                for (java.nio.channels.SocketChannel ch : stalled) {
                    ch.close();
                }
            }
            System.out.printf(Locale.ROOT, "  %-15s alone %,10.0f req/s; with %d stalled readers %,10.0f req/s (%.2f x), p99 %.0f us,"
                    + " io-wq workers %d %s%n", p.name, alone.requestsPerSecond(), slowReaders, with.requestsPerSecond(),
                    with.requestsPerSecond() / alone.requestsPerSecond(), with.p99Micros(), workers, with.problems());
            printOutput(p);
            table.add(new String[] {p.name, String.format(Locale.ROOT, "%,.0f", alone.requestsPerSecond()),
                    String.format(Locale.ROOT, "%,.0f", with.requestsPerSecond()),
                    String.format(Locale.ROOT, "%.2f", with.requestsPerSecond() / alone.requestsPerSecond()),
                    String.format(Locale.ROOT, "%.0f", with.p99Micros()), String.valueOf(workers),
                    with.problems().isEmpty() ? "none" : with.problems()});
        }
        System.out.println("\n### Slow readers (" + slowReaders + " stalled clients on a 64 MiB file; wrk on the " + size
                + "-byte file, alone then with them, back to back)\n");
        System.out.println("| server | req/s alone | req/s with stalled readers | with / alone | p99 us with | io-wq workers | errors |");
        System.out.println("|---|---:|---:|---:|---:|---:|---|");
        for (String[] r : table) {
            System.out.println("| " + String.join(" | ", r) + " |");
        }
    }

    /** Threads of process {@code pid} named iou-wrk-* (io_uring's io-wq workers); 0 if unknown. */
    private static int ioWorkers(long pid) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return (int) tasks.filter(t -> read(t.resolve("comm").toString()).startsWith("iou-wrk")).count();
        } catch (IOException e) {
            return 0;
        }
    }

    /** One GET per server and file, checked byte for byte, so that no row measures an error page. */
    private static void verify(Map<String, ServerProcess> servers, Map<Integer, byte[]> content)
            throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (ServerProcess p : servers.values()) {
            for (Map.Entry<Integer, byte[]> e : content.entrySet()) {
                HttpResponse<byte[]> resp = client.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + p.port + "/" + fileName(e.getKey())))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofByteArray());
                if (resp.statusCode() != 200 || !Arrays.equals(resp.body(), e.getValue())) {
                    throw new IOException(p.name + " served " + resp.statusCode() + " with " + resp.body().length
                            + " bytes for a " + e.getKey() + "-byte file");
                }
            }
            System.out.printf("  %-15s verified: every file served byte for byte (Content-Length %s)%n", p.name,
                    "present".equals(hasLength(client, p, content)) ? "sent" : "absent: chunked");
        }
    }

    private static String hasLength(HttpClient client, ServerProcess p, Map<Integer, byte[]> content)
            throws IOException, InterruptedException {
        int size = content.keySet().iterator().next();
        HttpResponse<Void> resp = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port + "/"
                + fileName(size))).build(), HttpResponse.BodyHandlers.discarding());
        return resp.headers().firstValue("content-length").isPresent() ? "present" : "absent";
    }

    private static void printHttp(List<HttpRow> rows, int[] files, int connections) {
        System.out.println("\n### HTTP results (wrk -t1 -c" + connections + ")\n");
        System.out.println("| file bytes | server | req/s | min-max | p50 us | p99 us | server CPU us/req | ring per request | errors |");
        System.out.println("|---:|---|---:|---|---:|---:|---:|---|---|");
        for (int size : files) {
            for (String server : List.of("uring", "netty-epoll", "netty-io_uring", "nginx")) {
                List<HttpRow> all = httpRows(rows, size, server);
                if (all.isEmpty()) {
                    continue;
                }
                HttpRow row = all.get((all.size() - 1) / 2);
                Wrk.Result r = row.r();
                System.out.printf(Locale.ROOT, "| %d | %s | %,.0f | %,.0f-%,.0f | %.1f | %.1f | %.1f | %s | %s |%n", row.fileSize(),
                        row.server(), r.requestsPerSecond(), all.get(0).r().requestsPerSecond(),
                        all.get(all.size() - 1).r().requestsPerSecond(), r.p50Micros(), r.p99Micros(),
                        row.cpuMicrosPerRequest(), row.ringPerRequest(),
                        all.stream().allMatch(x -> x.r().problems().isEmpty()) ? "none" : r.problems());
            }
        }
        System.out.println("\n### HTTP ratios (uring req/s / other req/s)\n");
        System.out.println("| file bytes | vs netty-epoll | vs netty-io_uring | vs nginx |");
        System.out.println("|---:|---:|---:|---:|");
        for (int size : files) {
            double u = rps(rows, size, "uring");
            System.out.printf(Locale.ROOT, "| %d | %.2f | %.2f | %s |%n", size, u / rps(rows, size, "netty-epoll"),
                    u / rps(rows, size, "netty-io_uring"),
                    Double.isNaN(rps(rows, size, "nginx")) ? "n/a" : String.format(Locale.ROOT, "%.2f", u / rps(rows, size, "nginx")));
        }
    }

    private static List<HttpRow> httpRows(List<HttpRow> rows, int size, String server) {
        return rows.stream().filter(r -> r.fileSize() == size && r.server().equals(server))
                .sorted(Comparator.comparingDouble(r -> r.r().requestsPerSecond())).toList();
    }

    /** req/s of the median round, NaN if that server did not run. */
    private static double rps(List<HttpRow> rows, int size, String server) {
        List<HttpRow> all = httpRows(rows, size, server);
        return all.isEmpty() ? Double.NaN : all.get((all.size() - 1) / 2).r().requestsPerSecond();
    }

    // ------------------------------------------------------------------ helpers

    /** What the server printed since the last call (errors, warnings), indented under the row it belongs to. */
    private static void printOutput(ServerProcess p) {
        p.drainOutput().forEach(l -> System.out.println("    [" + p.name + "] " + l));
    }

    /** Each server's description and the channel class of its first accepted connection (the transport really used). */
    private static void printChannels(Collection<ServerProcess> servers) {
        for (ServerProcess p : servers) {
            System.out.printf("  %-15s %s; accepted connection: %s%n", p.name, p.description, p.channel());
        }
    }

    private static void stopAll(Collection<ServerProcess> servers) throws InterruptedException {
        for (ServerProcess p : servers) {
            p.stop();
        }
    }

    private static String fileName(int size) {
        return "file-" + size + ".bin";
    }

    private static <T> List<T> rotate(List<T> list, int by) {
        List<T> out = new ArrayList<>(list);
        java.util.Collections.rotate(out, -(by % list.size()));
        return out;
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path)).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> opt = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("options are --name value pairs; see the class javadoc: " + args[i]);
            }
            opt.put(args[i].substring(2), args[++i]);
        }
        return opt;
    }
}
