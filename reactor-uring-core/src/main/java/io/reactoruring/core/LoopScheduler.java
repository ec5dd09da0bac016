package io.reactoruring.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.scheduler.Scheduler;

/**
 * The Reactor {@link Scheduler} side of a {@link UringLoop}, following reactor-core's contract:
 * <ul>
 * <li>{@code schedule(task)} always queues the task, also when called on the loop thread: it runs in
 *     a later step of the loop, never before {@code schedule} returns;
 * <li>delayed tasks are io_uring timeouts; periodic tasks run at a fixed <em>rate</em>: each
 *     timeout is armed for the next multiple of the period after the first run's deadline, so the
 *     task's own run time and the loop's latency do not accumulate;
 * <li>a {@link Scheduler.Worker} tracks only its pending tasks: a task leaves the worker's set when
 *     it has run or is disposed (reactor-core's {@code WorkerTask} does the same), so a long-running
 *     {@code publishOn(loop)} holds nothing for finished tasks.
 * </ul>
 */
final class LoopScheduler {
    private final UringLoop loop;
    private final LongSupplier clock;

    LoopScheduler(UringLoop loop) {
        this(loop, System::nanoTime);
    }

    /** {@code clock}: CLOCK_MONOTONIC nanoseconds, as the kernel's relative timeouts count them. */
    LoopScheduler(UringLoop loop, LongSupplier clock) {
        this.loop = loop;
        this.clock = clock;
    }

    Disposable schedule(Runnable task) {
        return schedule(task, null);
    }

    Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        return schedule(task, delay, unit, null);
    }

    Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        return schedulePeriodically(task, initialDelay, period, unit, null);
    }

    Scheduler.Worker createWorker() {
        return new LoopWorker();
    }

    private Disposable schedule(Runnable task, @Nullable Consumer<Disposable> onDone) {
        Task t = new Task(task, onDone);
        loop.enqueue(t);
        return t;
    }

    private Disposable schedule(Runnable task, long delay, TimeUnit unit, @Nullable Consumer<Disposable> onDone) {
        if (delay <= 0) {
            return schedule(task, onDone);
        }
        return new Timer(task, unit.toNanos(delay), -1, onDone).start();
    }

    private Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit,
                                            @Nullable Consumer<Disposable> onDone) {
        if (period <= 0) {
            throw new RejectedExecutionException("period must be > 0 on an io_uring loop, was " + period);
        }
        return new Timer(task, unit.toNanos(Math.max(0, initialDelay)), unit.toNanos(period), onDone).start();
    }

    /**
     * Fixed rate: the delay to arm after a run, for the next deadline {@code next}. A run that came
     * late shortens the next delay; one more than a period late makes the next run follow at once
     * (missed runs are caught up, as {@code ScheduledExecutorService.scheduleAtFixedRate} does).
     */
    static long delayUntil(long next, long now) {
        return Math.max(0, next - now);
    }

    /** A task posted to the loop; disposing it before it runs skips it. Disposed once it has run. */
    private static final class Task implements Runnable, Disposable {
        private final Runnable task;
        private final @Nullable Consumer<Disposable> onDone;
        private volatile boolean disposed;

        Task(Runnable task, @Nullable Consumer<Disposable> onDone) {
            this.task = Objects.requireNonNull(task, "task");
            this.onDone = onDone;
        }

        @Override
        public void run() {
            if (disposed) {
                return;
            }
            try {
                task.run();
            } finally {
                dispose();
            }
        }

        @Override
        public void dispose() {
            disposed = true;
            if (onDone != null) {
                onDone.accept(this);
            }
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }

    /**
     * A delayed or periodic task: an io_uring timeout, re-armed after each run for periodic ones.
     * A one-shot timer is disposed once it has run.
     */
    private final class Timer implements Disposable {
        private final Runnable task;
        private final long periodNanos;
        private final long firstDelay;
        private final @Nullable Consumer<Disposable> onDone;
        private volatile Disposable current = Disposables.disposed();
        private volatile boolean disposed;
        /** The deadline of the next run on {@link #clock}; loop thread after the first arm. */
        private long next;

        Timer(Runnable task, long delayNanos, long periodNanos, @Nullable Consumer<Disposable> onDone) {
            this.task = Objects.requireNonNull(task, "task");
            this.periodNanos = periodNanos;
            this.firstDelay = delayNanos;
            this.onDone = onDone;
        }

        Disposable start() {
            next = clock.getAsLong() + firstDelay;
            arm(firstDelay);
            return this;
        }

        private void arm(long nanos) {
            if (disposed) {
                return;
            }
            current = loop.submit(Op.timeout(Duration.ofNanos(Math.max(1, nanos)))).subscribe(res -> fire(), e -> { });
            if (disposed) {
                current.dispose(); // disposed while arming: the dispose may have missed this timeout
            }
        }

        private void fire() {
            if (disposed) {
                return;
            }
            if (periodNanos <= 0) {
                try {
                    task.run();
                } finally {
                    dispose();
                }
                return;
            }
            task.run();
            next += periodNanos;
            arm(delayUntil(next, clock.getAsLong()));
        }

        @Override
        public void dispose() {
            disposed = true;
            current.dispose();
            if (onDone != null) {
                onDone.accept(this);
            }
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }

    /** A worker: its pending tasks, disposed with it; each leaves the set when it has run or is disposed. */
    final class LoopWorker implements Scheduler.Worker {
        private final Disposable.Composite tasks = Disposables.composite();

        @Override
        public Disposable schedule(Runnable task) {
            checkOpen();
            return track(LoopScheduler.this.schedule(task, tasks::remove));
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            checkOpen();
            return track(LoopScheduler.this.schedule(task, delay, unit, tasks::remove));
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            checkOpen();
            return track(LoopScheduler.this.schedulePeriodically(task, initialDelay, period, unit, tasks::remove));
        }

        /** Rejects only a worker disposed before the task was scheduled. */
        private void checkOpen() {
            if (tasks.isDisposed()) {
                throw new RejectedExecutionException("worker is disposed");
            }
        }

        /**
         * The task may already have run (or its subscriber disposed this worker) before {@code add}:
         * a task that finished first is removed again here, one whose worker is disposed is disposed,
         * rather than rejected after it already ran.
         */
        private Disposable track(Disposable d) {
            if (!tasks.add(d)) {
                d.dispose();
            } else if (d.isDisposed()) {
                tasks.remove(d);
            }
            return d;
        }

        /** Tasks scheduled and not yet run or disposed (for tests). */
        int pending() {
            return tasks.size();
        }

        @Override
        public void dispose() {
            tasks.dispose();
        }

        @Override
        public boolean isDisposed() {
            return tasks.isDisposed();
        }
    }
}
