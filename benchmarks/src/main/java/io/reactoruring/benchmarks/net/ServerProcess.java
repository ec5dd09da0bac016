package io.reactoruring.benchmarks.net;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A server under test running as a child process: a {@link ServerMain} JVM or nginx. Its stdout is
 * read on a daemon thread; {@link #stop()} closes its stdin (ServerMain's signal to shut down) and
 * destroys it if it has not exited within 10 s. Only processes started here are ever stopped here.
 */
final class ServerProcess implements AutoCloseable {
    final String name;
    private final Process process;
    /** A ServerMain JVM stops when its stdin closes; anything else (nginx) gets SIGTERM. */
    private final boolean isServerMain;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> log = new ArrayList<>();
    private volatile String channel = "?";
    int port;
    String description = "";

    private ServerProcess(String name, Process process, boolean isServerMain) {
        this.name = name;
        this.process = process;
        this.isServerMain = isServerMain;
        Thread reader = new Thread(() -> pump(process.getInputStream()), name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code ServerMain kind threads [root]} in a new JVM with this JVM's class path and waits until it listens. */
    static ServerProcess jvm(String name, String kind, int threads, Path root) throws IOException, InterruptedException {
        return jvm(name, kind, threads, root, List.of("-Xms256m", "-Xmx256m"));
    }

    /** As {@link #jvm(String, String, int, Path)} with the given heap (and other) JVM options. */
    static ServerProcess jvm(String name, String kind, int threads, Path root, List<String> jvmOptions)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmOptions);
        // -Dnetload.serverJvmOptions="-Xlog:gc ..." adds options to every server JVM (diagnostics)
        String extra = System.getProperty("netload.serverJvmOptions", "").strip();
        if (!extra.isEmpty()) {
            cmd.addAll(List.of(extra.split("\\s+")));
        }
        cmd.addAll(List.of(
                // reactor-uring's NIO fallback runs where io_uring is off: the way a user meets it
                "-D" + io.reactoruring.core.Uring.DISABLE_PROPERTY + "=" + kind.startsWith("uring-nio-"),
                "-cp", System.getProperty("java.class.path"),
                ServerMain.class.getName(), kind, String.valueOf(threads)));
        if (root != null) {
            cmd.add(root.toString());
        }
        // -Dnetload.serverCpus=1 pins every server JVM to those CPUs (taskset execs, so the pid stays the
        // JVM's); run the harness itself under `taskset -c 0` so that client and server do not share a core
        String cpus = System.getProperty("netload.serverCpus", "").strip();
        if (!cpus.isEmpty()) {
            cmd.addAll(0, List.of("taskset", "-c", cpus));
        }
        ServerProcess p = new ServerProcess(name, new ProcessBuilder(cmd).redirectErrorStream(true).start(), true);
        p.awaitReady();
        return p;
    }

    /** Wraps an already started process that listens on {@code port} (nginx). */
    static ServerProcess external(String name, Process process, int port, String description) {
        ServerProcess p = new ServerProcess(name, process, false);
        p.port = port;
        p.description = description;
        p.channel = "n/a (not a JVM)";
        return p;
    }

    private void pump(InputStream in) {
        try {
            StringBuilder sb = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    String line = sb.toString();
                    sb.setLength(0);
                    if (line.startsWith("CHANNEL ")) {
                        channel = line.substring("CHANNEL ".length());
                    }
                    lines.add(line);
                } else {
                    sb.append((char) c);
                }
            }
        } catch (IOException e) {
            lines.add("(stdout closed: " + e + ")");
        }
    }

    private void awaitReady() throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String line = lines.poll(1, TimeUnit.SECONDS);
            if (line == null) {
                if (!process.isAlive()) {
                    break;
                }
                continue;
            }
            log.add(line);
            if (line.startsWith("READY ")) {
                String[] parts = line.split(" ", 3);
                port = Integer.parseInt(parts[1]);
                description = parts[2];
                return;
            }
        }
        stop();
        throw new IOException(name + " did not start; its output:\n" + String.join("\n", log));
    }

    /**
     * The server's ring counters ({@code submitted, completed, enterCalls, wakeups}), or null when it
     * has none (Netty, nginx).
     */
    long[] ringStats() throws IOException, InterruptedException {
        if (!isServerMain) {
            return null;
        }
        String v = ask("stats", "STATS ", 10);
        return v.equals("n/a") ? null : longs(v);
    }

    /**
     * After a full GC in the server: {@code {open connections, library native bytes, RSS bytes, heap used bytes}} (see
     * {@link ServerMain}).
     */
    long[] memory() throws IOException, InterruptedException {
        return longs(ask("mem", "MEM ", 60));
    }

    private static long[] longs(String v) {
        return java.util.Arrays.stream(v.split(" ")).mapToLong(Long::parseLong).toArray();
    }

    /** Writes {@code command} to the server's stdin and returns the rest of its answer line starting with {@code prefix}. */
    private String ask(String command, String prefix, int timeoutSeconds) throws IOException, InterruptedException {
        process.getOutputStream().write((command + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        process.getOutputStream().flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        List<String> other = new ArrayList<>();
        try {
            while (System.nanoTime() < deadline) {
                String line = lines.poll(1, TimeUnit.SECONDS);
                if (line != null && line.startsWith(prefix)) {
                    return line.substring(prefix.length());
                }
                if (line != null) {
                    other.add(line);
                }
            }
            throw new IOException(name + " did not answer '" + command + "'; it printed: " + other);
        } finally {
            lines.addAll(other); // keep them for drainOutput
        }
    }

    InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port);
    }

    long pid() {
        return process.pid();
    }

    /** The class of the first accepted connection's channel, as the server reported it. */
    String channel() {
        return channel;
    }

    /** Lines the server printed since the last call (warnings, errors). */
    List<String> drainOutput() {
        List<String> out = new ArrayList<>();
        lines.drainTo(out);
        out.removeIf(l -> l.startsWith("CHANNEL "));
        return out;
    }

    void stop() throws InterruptedException {
        if (!isServerMain) {
            process.destroy();
        }
        try {
            process.getOutputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

}
