package io.reactoruring.net;

import io.reactoruring.core.UringLoop;
import io.reactoruring.core.buffer.BufferRing;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * One provided-buffer ring per loop and buffer size, shared by every connection of that loop that
 * receives through a ring ({@link RingReceive}). A ring per connection cost each idle connection
 * its whole ring (16 × 16 KiB); a shared ring costs an idle connection nothing, since the kernel
 * picks a buffer only when data arrives.
 *
 * <p>The ring is registered when the first receiver of its loop and size subscribes and is closed
 * (unregistered, its memory back in the loop's pool) when the last one leaves; a ring with
 * buffers still held by users is freed once they are released.
 *
 * <p>Incremental consumption (IOU_PBUF_RING_INC, Linux 6.12+) is asked for by default: the kernel
 * then fills each buffer from where the previous completion of any connection stopped, and each
 * completion is its own slice ({@code BufferRing}), so a 10-byte message held by its subscriber pins
 * 10 bytes of a buffer rather than a whole one; a buffer goes back to the ring once the kernel is
 * done with it and every slice of it is released. Where the kernel lacks it the ring is registered
 * without it (buffers consumed whole, as before 6.12). {@value #INCREMENTAL_PROPERTY}{@code =false}
 * turns it off; {@code UringMetrics.incrementalBufferRings} shows whether a loop uses it.
 */
final class SharedReceiveRings {
    /** The ring's data memory: one 4 MiB block, the largest class the loop's pool caches. */
    static final int RING_BYTES = 4 * 1024 * 1024;
    /** Enough room that a few connections at their cap leave buffers for everyone else. */
    static final int MIN_RING_HOLDERS = 8;

    /** System property: {@code false} registers receive rings without incremental consumption. */
    static final String INCREMENTAL_PROPERTY = "reactoruring.net.incrementalBufferRings";

    private record Key(UringLoop loop, int bufferSize, int entries, boolean incremental) {
    }

    /** Registry state of one ring; touched only on its loop's thread. */
    private static final class Shared {
        final Key key;
        int users;
        @Nullable BufferRing ring;
        @Nullable Throwable failure;
        final List<MonoSink<BufferRing>> pending = new ArrayList<>();

        Shared(Key key) {
            this.key = key;
        }
    }

    /** Per loop: the loop thread's own map (no locking), looked up through a concurrent map. */
    private static final Map<UringLoop, Map<Key, Shared>> RINGS = new ConcurrentHashMap<>();

    private SharedReceiveRings() {
    }

    /** Ring entries for {@code bufferSize}-byte buffers where each connection may hold {@code perConnection}. */
    static int entriesFor(int bufferSize, int perConnection) {
        long wanted = Math.max(RING_BYTES / Math.max(1, bufferSize), (long) perConnection * MIN_RING_HOLDERS);
        int entries = (int) Math.min(BufferRing.MAX_ENTRIES, Long.highestOneBit(Math.max(1, wanted)));
        while (entries > 1 && (long) entries * bufferSize > Integer.MAX_VALUE) {
            entries >>>= 1;
        }
        return Math.max(entries, 1);
    }

    /**
     * The shared ring of {@code loop} for buffers of {@code bufferSize} bytes ({@code entries}
     * buffers), registered on first use. Every ring emitted must be given back with
     * {@link #release}; a ring emitted after the subscriber cancelled is discarded
     * ({@code Operators.onDiscard}), so callers install a discard hook that releases it.
     */
    static Mono<BufferRing> acquire(UringLoop loop, int bufferSize, int entries) {
        boolean incremental = !"false".equalsIgnoreCase(System.getProperty(INCREMENTAL_PROPERTY, "true").trim());
        Key key = new Key(loop, bufferSize, entries, incremental);
        return Mono.create(sink -> loop.execute(() -> {
            Map<Key, Shared> rings = RINGS.computeIfAbsent(loop, l -> new HashMap<>());
            Shared s = rings.get(key);
            if (s != null && s.ring != null) {
                s.users++;
                sink.success(s.ring);
                return;
            }
            if (s != null) {
                s.pending.add(sink);
                return;
            }
            Shared created = new Shared(key);
            rings.put(key, created);
            created.pending.add(sink);
            // On the loop thread this may complete before subscribe() returns: the sink is already pending.
            loop.registerBufferRing(entries, bufferSize, incremental).subscribe(r -> registered(created, r), e -> failed(created, e));
        }));
    }

    private static void registered(Shared s, BufferRing ring) {
        s.ring = ring;
        List<MonoSink<BufferRing>> waiting = new ArrayList<>(s.pending);
        s.pending.clear();
        s.users += waiting.size();
        for (MonoSink<BufferRing> w : waiting) {
            w.success(ring);
        }
        if (s.users == 0) {
            drop(s);
        }
    }

    private static void failed(Shared s, Throwable e) {
        s.failure = e;
        forget(s);
        List<MonoSink<BufferRing>> waiting = new ArrayList<>(s.pending);
        s.pending.clear();
        for (MonoSink<BufferRing> w : waiting) {
            w.error(e);
        }
    }

    /** Gives back a ring {@link #acquire} emitted: the last user closes it. Any thread. */
    static void release(UringLoop loop, BufferRing ring) {
        try {
            loop.execute(() -> {
                Map<Key, Shared> rings = RINGS.get(loop);
                Shared s = null;
                if (rings != null) {
                    for (Shared c : rings.values()) {
                        if (c.ring == ring) {
                            s = c;
                            break;
                        }
                    }
                }
                if (s == null) {
                    ring.close();
                    return;
                }
                if (--s.users == 0) {
                    drop(s);
                }
            });
        } catch (RejectedExecutionException e) {
            // The loop is gone, and the registration with it; the ring frees itself on its last release.
            RINGS.remove(loop);
            ring.close();
        }
    }

    private static void drop(Shared s) {
        forget(s);
        if (s.ring != null) {
            s.ring.close();
        }
    }

    private static void forget(Shared s) {
        Map<Key, Shared> rings = RINGS.get(s.key.loop());
        if (rings != null && rings.get(s.key) == s) {
            rings.remove(s.key);
            if (rings.isEmpty()) {
                RINGS.remove(s.key.loop(), rings);
            }
        }
    }

    /** The rings registered for {@code loop} now (tests; on the loop's thread). */
    static List<BufferRing> rings(UringLoop loop) {
        Map<Key, Shared> rings = RINGS.get(loop);
        List<BufferRing> out = new ArrayList<>();
        if (rings != null) {
            for (Shared s : rings.values()) {
                if (s.ring != null) {
                    out.add(s.ring);
                }
            }
        }
        return out;
    }

    /** Rings currently registered for {@code loop} (tests). */
    static int count(UringLoop loop) {
        Map<Key, Shared> rings = RINGS.get(loop);
        return rings == null ? 0 : rings.size();
    }
}
