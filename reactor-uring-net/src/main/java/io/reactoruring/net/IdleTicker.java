package io.reactoruring.net;

import io.reactoruring.core.Op;
import io.reactoruring.core.UringLoop;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;

/**
 * Idle detection without a timer per connection: one ticker per loop (one multishot
 * IORING_OP_TIMEOUT, re-armed by the core when the CQ overflows) scans the activity stamps of the
 * connections on that loop that asked for idle callbacks ({@link UringConnection#onReadIdle},
 * {@link UringConnection#onWriteIdle}, {@link UringTcpServer#idleTimeout}). The ticker runs only
 * while some connection on its loop is watched. The tick is a quarter of the shortest watched
 * timeout (10 ms .. 1 s), so a callback runs between {@code timeout} and {@code timeout + tick}
 * after the last activity, on the loop's thread. On the NIO fallback one shared ticker runs on
 * {@code Schedulers.parallel()}.
 */
final class IdleTicker {
    private static final Logger LOG = Loggers.getLogger(IdleTicker.class);
    private static final long MIN_TICK = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long MAX_TICK = TimeUnit.SECONDS.toNanos(1);
    private static final Object NIO = new Object();
    private static final Map<Object, IdleTicker> TICKERS = new ConcurrentHashMap<>();

    /** What a watch looks at. */
    enum Kind { READ, WRITE, ANY }

    /** One idle callback of one connection. */
    static final class Watch {
        final ConnectionActivity activity;
        final Kind kind;
        final long timeoutNanos;
        final Runnable action;
        private long firedAt = Long.MIN_VALUE;
        private final IdleTicker ticker;

        Watch(IdleTicker ticker, ConnectionActivity activity, Kind kind, long timeoutNanos, Runnable action) {
            this.ticker = ticker;
            this.activity = activity;
            this.kind = kind;
            this.timeoutNanos = timeoutNanos;
            this.action = action;
        }

        void cancel() {
            ticker.watches.remove(this);
        }

        /** Fires once per idle period: again only after another full period without activity. */
        boolean due(long now) {
            long last = switch (kind) {
                case READ -> activity.lastRead;
                case WRITE -> activity.lastWrite;
                case ANY -> Math.max(activity.lastRead, activity.lastWrite);
            };
            long since = firedAt != Long.MIN_VALUE && firedAt - last > 0 ? firedAt : last;
            if (now - since >= timeoutNanos) {
                firedAt = now;
                return true;
            }
            return false;
        }
    }

    private final Object key;
    private final @Nullable UringLoop loop;
    final Set<Watch> watches = ConcurrentHashMap.newKeySet();
    private long tickNanos = Long.MAX_VALUE; // guarded by this
    private Disposable ticking = Disposables.disposed(); // guarded by this

    private IdleTicker(Object key, @Nullable UringLoop loop) {
        this.key = key;
        this.loop = loop;
    }

    /** The ticker of {@code io}'s loop (or the NIO fallback's). */
    static IdleTicker of(ConnectionIo io) {
        if (io.isUring()) {
            UringLoop loop = io.loop();
            return TICKERS.computeIfAbsent(loop, l -> new IdleTicker(l, loop));
        }
        return TICKERS.computeIfAbsent(NIO, k -> new IdleTicker(k, null));
    }

    Watch watch(ConnectionActivity activity, Kind kind, Duration timeout, Runnable action) {
        long nanos = timeout.toNanos();
        Watch w = new Watch(this, activity, kind, nanos, action);
        watches.add(w);
        ensureTicking(Math.max(MIN_TICK, Math.min(MAX_TICK, nanos / 4)));
        return w;
    }

    private synchronized void ensureTicking(long wanted) {
        if (wanted >= tickNanos && !ticking.isDisposed()) {
            return;
        }
        ticking.dispose();
        tickNanos = wanted;
        if (loop == null) {
            ticking = Schedulers.parallel().schedulePeriodically(this::tick, wanted, wanted, TimeUnit.NANOSECONDS);
            return;
        }
        UringLoop l = loop;
        ticking = l.submitMultishot(Op.timeoutMultishot(Duration.ofNanos(wanted), 0))
                .subscribe(c -> tick(), e -> tickerFailed(l, wanted, e));
    }

    /** No multishot timeout (kernel before 6.4): a re-armed single timeout per tick on the loop. */
    private synchronized void tickerFailed(UringLoop l, long tick, Throwable e) {
        if (l.isDisposed()) {
            TICKERS.remove(key, this);
            return;
        }
        LOG.debug("multishot timeout unavailable on {} ({}), idle ticker uses re-armed timeouts", l, e.toString());
        if (tickNanos == tick) {
            ticking = l.schedulePeriodically(this::tick, tick, tick, TimeUnit.NANOSECONDS);
        }
    }

    private void tick() {
        long now = System.nanoTime();
        for (Watch w : watches) {
            if (w.activity.closed) {
                watches.remove(w);
            } else if (w.due(now)) {
                try {
                    w.action.run();
                } catch (RuntimeException e) {
                    LOG.warn("idle callback failed", e);
                }
            }
        }
        if (watches.isEmpty()) {
            stopIfIdle();
        }
    }

    private synchronized void stopIfIdle() {
        if (watches.isEmpty()) {
            ticking.dispose();
            tickNanos = Long.MAX_VALUE;
        }
    }

    /** For tests: whether the ticker of this loop currently runs. */
    synchronized boolean ticking() {
        return !ticking.isDisposed();
    }
}
