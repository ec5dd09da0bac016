package io.reactoruring.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * N loops, one ring and one thread each. {@link #next()} picks the loop of the calling thread when
 * called from one of this group's loops (keeping an operation chain on one ring), else round-robin.
 */
public final class UringLoopGroup implements Disposable {
    private static volatile UringLoopGroup shared;

    private final List<UringLoop> loops;
    private final AtomicInteger next = new AtomicInteger();

    private UringLoopGroup(List<UringLoop> loops) {
        this.loops = List.copyOf(loops);
    }

    /** {@code count} loops named {@code prefix-0}, {@code prefix-1}, ... */
    public static UringLoopGroup create(String prefix, int count, RingOptions options) {
        Objects.requireNonNull(prefix, "prefix");
        if (count <= 0) {
            throw new IllegalArgumentException("count must be > 0, was " + count);
        }
        List<UringLoop> loops = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                loops.add(UringLoop.create(prefix + "-" + i, options));
            }
        } catch (RuntimeException e) {
            loops.forEach(UringLoop::dispose);
            throw e;
        }
        return new UringLoopGroup(loops);
    }

    /** One loop per available processor, default options. */
    public static UringLoopGroup create(String prefix) {
        return create(prefix, Runtime.getRuntime().availableProcessors(), RingOptions.defaults());
    }

    /**
     * The process-wide default group ({@code reactor-uring-N}), created on first use with one loop
     * per processor; its threads are daemons. Disposing it makes the next call create a new one.
     */
    public static UringLoopGroup shared() {
        UringLoopGroup g = shared;
        if (g == null || g.isDisposed()) {
            synchronized (UringLoopGroup.class) {
                g = shared;
                if (g == null || g.isDisposed()) {
                    g = create("reactor-uring");
                    shared = g;
                }
            }
        }
        return g;
    }

    /** The current thread's loop if it belongs to this group, else the next one round-robin. */
    public UringLoop next() {
        UringLoop current = UringLoop.current();
        if (current != null && loops.contains(current)) {
            return current;
        }
        return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    }

    public List<UringLoop> loops() {
        return loops;
    }

    @Override
    public void dispose() {
        loops.forEach(UringLoop::dispose);
    }

    @Override
    public boolean isDisposed() {
        return loops.stream().allMatch(UringLoop::isDisposed);
    }

    /** Disposes every loop; completes when all loop threads have finished. Cold: nothing happens before subscription. */
    public Mono<Void> disposeLater() {
        return Flux.fromIterable(loops).flatMap(UringLoop::disposeGracefully).then();
    }
}
