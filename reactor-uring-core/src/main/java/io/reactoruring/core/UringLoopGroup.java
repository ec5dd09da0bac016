package io.reactoruring.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * N loops, one ring and one thread each. {@link #next()} picks the loop of the calling thread when
 * called from one of this group's loops (keeping an operation chain on one ring), else round-robin.
 *
 * <p><b>The shared group and fallback.</b> {@link #sharedIfUsable()} is how a module decides between
 * io_uring and its NIO fallback: it returns the shared group, or null when io_uring is unavailable
 * ({@link Uring#unavailabilityCause()}), when the shared group could not be created (e.g. the
 * probe's tiny ring fit under {@code RLIMIT_MEMLOCK} but the real rings do not), or when one of its
 * loops died. {@link #sharedUnavailabilityCause()} says which, naming the errno, limit or flag. Never
 * throws; a failed creation is not retried and a group with a dead loop is not re-created, so a
 * broken environment costs one failure (its loop logs its death once), not one per call. The
 * recommended pattern, as in reactor-uring-file and reactor-uring-net:
 * <pre>{@code
 * UringLoopGroup group = UringLoopGroup.sharedIfUsable();
 * if (group == null) {
 *     warnOnce(UringLoopGroup.sharedUnavailabilityCause()); // then use plain NIO
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> Every method may be called from any thread. {@link #next()}, {@link #loops()} and
 * {@link #dispose()} never block (dispose disposes every loop and returns); creating a group, and the
 * first call to {@link #shared()}, wait until its rings are set up. The library never disposes the shared
 * group (its threads are daemons); a group the application creates is the application's to dispose.
 */
public final class UringLoopGroup implements Disposable {
    private static volatile @Nullable UringLoopGroup shared;
    /** Why the shared group cannot be used (creation failed, or a loop died); never cleared. */
    private static volatile @Nullable Throwable sharedFailure;

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
     * per processor; its threads are daemons. Disposing it makes the next call create a new one;
     * a group whose loop died is not re-created.
     *
     * @throws UnsupportedOperationException when {@link #sharedIfUsable()} is null, with
     *         {@link #sharedUnavailabilityCause()} as its cause
     */
    public static UringLoopGroup shared() {
        UringLoopGroup g = sharedIfUsable();
        if (g == null) {
            Throwable cause = Objects.requireNonNull(sharedUnavailabilityCause(), "cause");
            throw new UnsupportedOperationException("the shared io_uring loop group cannot be used: "
                    + cause.getMessage(), cause);
        }
        return g;
    }

    /**
     * {@link #shared()}, or null where it cannot be used (see the class javadoc); never throws, and
     * after a failure answers at once. Safe to call per operation.
     */
    public static @Nullable UringLoopGroup sharedIfUsable() {
        if (!Uring.isAvailable() || sharedFailure != null) {
            return null;
        }
        UringLoopGroup g = shared;
        if (g != null && !g.isDisposed() && g.deathCause() == null) {
            return g;
        }
        synchronized (UringLoopGroup.class) {
            if (sharedFailure != null) {
                return null;
            }
            g = shared;
            Throwable dead = g == null ? null : g.deathCause();
            if (dead != null) {
                sharedFailure = dead;
                g.dispose(); // its other loops: nothing will be submitted to them any more
                return null;
            }
            if (g == null || g.isDisposed()) {
                try {
                    g = create("reactor-uring");
                } catch (RuntimeException e) {
                    sharedFailure = new IllegalStateException("cannot create the shared io_uring loop group: "
                            + e.getMessage(), e);
                    return null;
                }
                Throwable broken;
                try {
                    broken = g.firstRoundTripFailure();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    g.dispose();
                    return null; // not a verdict on io_uring: the next call tries again
                }
                if (broken != null) {
                    g.dispose();
                    sharedFailure = new IllegalStateException("the shared io_uring loop group does not work: "
                            + broken.getMessage(), broken);
                    return null;
                }
                shared = g;
            }
            return g;
        }
    }

    /**
     * Why {@link #sharedIfUsable()} is null: {@link Uring#unavailabilityCause()}, the failure to
     * create the shared group, or the death of one of its loops; null when the shared group is
     * usable (this may create it).
     */
    public static @Nullable Throwable sharedUnavailabilityCause() {
        if (sharedIfUsable() != null) {
            return null;
        }
        Throwable cause = Uring.unavailabilityCause();
        return cause != null ? cause : sharedFailure;
    }

    /**
     * One NOP through each loop: where setup works but io_uring_enter does not (a seccomp profile
     * that only checks some calls), the loops die on their first enter, and this finds it before
     * any user op is lost to it. The failure, or null.
     */
    private @Nullable Throwable firstRoundTripFailure() throws InterruptedException {
        for (UringLoop loop : loops) {
            try {
                loop.submit(Op.nop()).toFuture().get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                Throwable dead = deathCause();
                return dead != null ? dead : new IllegalStateException("a NOP on io_uring loop " + loop.name()
                        + " failed: " + e.getMessage(), e instanceof ExecutionException ? e.getCause() : e);
            }
        }
        return null;
    }

    /** The first loop of this group that died, as an exception naming it, or null. */
    private @Nullable Throwable deathCause() {
        for (UringLoop loop : loops) {
            Throwable f = loop.failure();
            if (f != null) {
                return new IllegalStateException("io_uring loop " + loop.name() + " of the shared group died: " + f, f);
            }
        }
        return null;
    }

    /** The current thread's loop if it belongs to this group, else the next one round-robin. */
    public UringLoop next() {
        UringLoop current = UringLoop.current();
        if (current != null && loops.contains(current)) {
            return current;
        }
        return loops.get(Math.floorMod(next.getAndIncrement(), loops.size()));
    }

    /**
     * The group's loops, in creation order. Immutable; the same list for the group's lifetime (a loop that fails stays in it).
     */
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
