package io.reactoruring.benchmarks.net;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The echo load generator: ONE thread drives {@code connections} non-blocking sockets with an NIO
 * selector (epoll). Each connection sends a {@code size}-byte message, waits until all of it has come
 * back, and sends the next one (pipelining depth 1, so requests in flight = connections). Only the
 * measurement window counts: the latency of every round trip completed in it (send start to last byte
 * back), requests per second of wall time, and per-second rates for a median that a burst of
 * background load skews less. One thread, so the client uses at most one of the machine's cores.
 */
final class EchoLoad {
    /** Results of one measurement window. */
    record Result(long requests, double seconds, long[] sortedLatencyNanos, long[] perSecond, long clientCpuNanos) {
        double requestsPerSecond() {
            return requests / seconds;
        }

        double medianPerSecond() {
            long[] s = perSecond.clone();
            Arrays.sort(s);
            return s.length == 0 ? 0 : s[s.length / 2];
        }

        double percentileMicros(double p) {
            if (sortedLatencyNanos.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(sortedLatencyNanos.length - 1, Math.ceil(p / 100.0 * sortedLatencyNanos.length) - 1);
            return sortedLatencyNanos[Math.max(0, i)] / 1000.0;
        }
    }

    private static final class Conn {
        final SocketChannel ch;
        final ByteBuffer out;
        final ByteBuffer in;
        long sentAt;

        Conn(SocketChannel ch, ByteBuffer message, int size) {
            this.ch = ch;
            this.out = message.duplicate();
            this.in = ByteBuffer.allocateDirect(size);
        }
    }

    private EchoLoad() {
    }

    /**
     * Runs {@code warmupNanos} then {@code measureNanos} of load against {@code address}; calls
     * {@code onMeasureStart} / {@code onMeasureEnd} on the client thread at the window's edges (the
     * harness reads the server's CPU time there).
     */
    static Result run(InetSocketAddress address, int connections, int size, long warmupNanos, long measureNanos,
            Runnable onMeasureStart, Runnable onMeasureEnd) throws IOException {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        ByteBuffer message = ByteBuffer.allocateDirect(size);
        for (int i = 0; i < size; i++) {
            message.put(i, (byte) i);
        }
        List<Conn> conns = new ArrayList<>(connections);
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < connections; i++) {
                SocketChannel ch = SocketChannel.open(address);
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.configureBlocking(false);
                Conn c = new Conn(ch, message, size);
                conns.add(c);
                ch.register(selector, SelectionKey.OP_READ, c);
            }
            long start = System.nanoTime();
            long measureStart = start + warmupNanos;
            long end = measureStart + measureNanos;
            for (Conn c : conns) {
                send(c, selector, start);
            }
            boolean measuring = false;
            long[] latencies = new long[1 << 20];
            int count = 0;
            long[] perSecond = new long[(int) ((measureNanos + 999_999_999L) / 1_000_000_000L)];
            long cpuStart = 0;
            while (true) {
                long now = System.nanoTime();
                if (!measuring && now >= measureStart) {
                    measuring = true;
                    onMeasureStart.run();
                    cpuStart = mx.getCurrentThreadCpuTime();
                    measureStart = System.nanoTime();
                    end = measureStart + measureNanos;
                } else if (measuring && now >= end) {
                    onMeasureEnd.run();
                    long cpu = mx.getCurrentThreadCpuTime() - cpuStart;
                    long[] lat = Arrays.copyOf(latencies, count);
                    Arrays.sort(lat);
                    return new Result(count, (now - measureStart) / 1e9, lat, perSecond, cpu);
                }
                selector.select(10);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    Conn c = (Conn) key.attachment();
                    if (key.isWritable()) {
                        flush(c, key);
                    }
                    if (key.isReadable()) {
                        int n = c.ch.read(c.in);
                        if (n < 0) {
                            throw new IOException("server closed a connection");
                        }
                        if (!c.in.hasRemaining()) {
                            long t = System.nanoTime();
                            if (measuring && t < end) {
                                if (count == latencies.length) {
                                    latencies = Arrays.copyOf(latencies, count * 2);
                                }
                                latencies[count++] = t - c.sentAt;
                                perSecond[(int) Math.min(perSecond.length - 1, (t - measureStart) / 1_000_000_000L)]++;
                            }
                            c.in.clear();
                            send(c, selector, t);
                        }
                    }
                }
            }
        } finally {
            for (Conn c : conns) {
                c.ch.close();
            }
        }
    }

    private static void send(Conn c, Selector selector, long now) throws IOException {
        c.sentAt = now;
        c.out.clear();
        flush(c, c.ch.keyFor(selector));
    }

    private static void flush(Conn c, SelectionKey key) throws IOException {
        c.ch.write(c.out);
        // Only a full socket buffer leaves bytes behind; then wait for room.
        key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }
}
