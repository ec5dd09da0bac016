package io.reactoruring.net;

import io.reactoruring.core.internal.NativeMemory;
import io.reactoruring.core.RingOptions;
import io.reactoruring.core.UringLoopGroup;
import io.reactoruring.core.buffer.BufferPool;
import io.reactoruring.core.testing.Poll;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Child JVM of {@link MemoryBackTest}: opens {@code connections} echo connections, sends
 * {@code bytes} through each and back, closes them all, waits (bounded) for the pools to be trimmed,
 * and prints its memory figures before and after as {@code key=value} lines. Started with a short
 * {@code -Dreactoruring.bufferTrimMillis} and a fully committed heap (-Xms = -Xmx, AlwaysPreTouch),
 * so that its resident set moves with native memory, not with the heap.
 */
public final class MemoryBackMain {
    private static final Duration T = Duration.ofSeconds(60);

    private MemoryBackMain() {
    }

    public static void main(String[] args) throws Exception {
        int connections = Integer.parseInt(args[0]);
        int bytes = Integer.parseInt(args[1]);
        boolean nio = Boolean.parseBoolean(args[2]);
        Transport transport = nio ? Transport.NIO : Transport.IO_URING;
        UringLoopGroup group = nio ? null : UringLoopGroup.create("memory-back", 2, RingOptions.defaults());
        List<BufferPool> pools = new ArrayList<>();
        if (nio) {
            pools.add(Transport.NIO_POOL);
        } else {
            group.loops().forEach(l -> pools.add(l.bufferPool()));
        }
        UringServer server = withGroup(UringTcpServer.create(), group).transport(transport).host("127.0.0.1").port(0)
                .handle((in, out) -> out.sendPooled(in.receive())).bindNow(T);
        try {
            // Warm up the same paths (classes, JIT, the JDK's own buffers), then let the pools trim.
            exchange(group, transport, server, 200, bytes);
            settle(server, pools);
            long nativeBefore = NativeMemory.allocatedBytes();
            long outstandingBefore = outstanding(pools);
            long rssBefore = rssBytes();
            System.out.println("before native=" + nativeBefore + " direct=" + directBytes() + " outstanding=" + outstandingBefore
                    + " rss=" + rssBefore + breakdown(group, pools));

            long nativePeak = exchange(group, transport, server, connections, bytes);
            System.out.println("peak native=" + nativePeak + " direct=" + directBytes() + " rss=" + rssBytes()
                    + breakdown(group, pools));
            // Settled: every buffer back (a shared receive ring's 4 MiB block comes back with the last
            // receiver's release, which is posted to its loop) and the pools trimmed to their floors.
            boolean settled = Poll.until(() -> server.activeConnections() == 0 && outstanding(pools) == outstandingBefore)
                    && settle(server, pools);
            long nativeAfter = NativeMemory.allocatedBytes();
            long outstandingAfter = outstanding(pools);
            long rssAfter = rssBytes();
            long trimmed = pools.stream().mapToLong(BufferPool::trimmedBytes).sum();
            System.out.println("after native=" + nativeAfter + " direct=" + directBytes() + " outstanding=" + outstandingAfter
                    + " rss=" + rssAfter
                    + " trimmed=" + trimmed + " pools=" + pools.size() + " settled=" + settled + breakdown(group, pools));
        } finally {
            server.disposeNow(Duration.ofSeconds(10));
            if (group != null) {
                group.disposeLater().block(T);
            }
        }
        System.out.println("done");
    }

    private static UringTcpServer withGroup(UringTcpServer s, @Nullable UringLoopGroup group) {
        return group == null ? s : s.group(group);
    }

    private static UringTcpClient withGroup(UringTcpClient c, @Nullable UringLoopGroup group) {
        return group == null ? c : c.group(group);
    }

    /**
     * Opens {@code n} connections, all at once, echoes {@code bytes} through each, closes them;
     * returns the most native memory seen allocated while a received buffer was in hand.
     */
    private static long exchange(@Nullable UringLoopGroup group, Transport transport, UringServer server, int n, int bytes) {
        byte[] payload = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            payload[i] = (byte) i;
        }
        List<UringConnection> open = Flux.range(0, n)
                .flatMap(i -> withGroup(UringTcpClient.create(), group).transport(transport).host("127.0.0.1")
                        .port(server.port()).connect(), 64)
                .collectList().block(T);
        if (open == null || open.size() != n) {
            throw new IllegalStateException("connected " + (open == null ? 0 : open.size()) + " of " + n);
        }
        // Sampled while a received buffer is in hand (on io_uring its shared ring, 4 MiB of pool memory,
        // is then allocated): read once at the end instead, a pool on a starved machine may already
        // have trimmed it all back.
        java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong();
        Long echoed = Flux.fromIterable(open)
                .flatMap(c -> Mono.zip(c.send(Mono.just(ByteBuffer.wrap(payload))).then(c.shutdownOutput()).thenReturn(0L),
                                c.receive().reduce(0L, (sum, pb) -> {
                                    peak.accumulateAndGet(NativeMemory.allocatedBytes(), Math::max);
                                    return sum + pb.buffer().remaining();
                                }))
                        .map(t -> t.getT2()), 256)
                .reduce(0L, Long::sum).block(T);
        if (echoed == null || echoed != (long) n * bytes) {
            throw new IllegalStateException("echoed " + echoed + " bytes, expected " + (long) n * bytes);
        }
        open.forEach(UringConnection::dispose);
        Mono.when(open.stream().map(UringConnection::onDispose).toList()).block(T);
        return peak.get();
    }

    /** Waits (bounded) until the server has no connection, nothing is out and every pool is trimmed to its floor. */
    private static boolean settle(UringServer server, List<BufferPool> pools) throws InterruptedException {
        return Poll.until(() -> server.activeConnections() == 0)
                && Poll.untilWithGc(() -> pools.stream().allMatch(p -> p.cachedBytes() <= BufferPool.DEFAULT_TRIM_FLOOR));
    }

    /**
     * Who holds the native memory, as " key=value" pairs: blocks allocated (Uring.nativeMemoryBlocks),
     * each pool's cached bytes and buffers out (a shared receive ring's blocks count as out), and the
     * receive rings registered per loop ({@link SharedReceiveRings#RING_BYTES} of data each).
     */
    private static String breakdown(@Nullable UringLoopGroup group, List<BufferPool> pools) {
        StringBuilder cached = new StringBuilder();
        StringBuilder out = new StringBuilder();
        for (BufferPool p : pools) {
            cached.append(cached.length() == 0 ? "" : ",").append(p.cachedBytes());
            out.append(out.length() == 0 ? "" : ",").append(p.outstanding());
        }
        StringBuilder rings = new StringBuilder();
        if (group != null) {
            for (io.reactoruring.core.UringLoop l : group.loops()) {
                Integer n = Mono.fromCallable(() -> SharedReceiveRings.count(l)).subscribeOn(l).block(T);
                rings.append(rings.length() == 0 ? "" : ",").append(n);
            }
        }
        return " blocks=" + NativeMemory.allocatedBlocks() + " poolCached=" + cached + " poolOut=" + out
                + " receiveRings=" + (rings.length() == 0 ? "0" : rings);
    }

    private static long outstanding(List<BufferPool> pools) {
        return pools.stream().mapToLong(BufferPool::outstanding).sum();
    }

    /** JDK direct buffer memory in use (the NIO fallback's pool allocates there when the JNI library is not loaded). */
    static long directBytes() throws ReflectiveOperationException {
        // Reflection: the net module (which the test classes are patched into) does not read java.management.
        Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
        Class<?> bean = Class.forName("java.lang.management.BufferPoolMXBean");
        long used = 0;
        for (Object b : (List<?>) factory.getMethod("getPlatformMXBeans", Class.class).invoke(null, bean)) {
            if ("direct".equals(bean.getMethod("getName").invoke(b))) {
                used += (Long) bean.getMethod("getMemoryUsed").invoke(b);
            }
        }
        return used;
    }

    /** VmRSS of this process, from /proc/self/status. */
    static long rssBytes() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

}
