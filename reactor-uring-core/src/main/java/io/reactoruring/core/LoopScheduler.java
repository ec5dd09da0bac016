package io.reactoruring.core;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.scheduler.Scheduler;

/**
 * The Reactor {@link Scheduler} side of a {@link UringLoop}: tasks are posted to the loop's inbox,
 * delayed and periodic ones are io_uring timeouts, and workers track their tasks.
 */
final class LoopScheduler {
    private final UringLoop loop;

    LoopScheduler(UringLoop loop) {
        this.loop = loop;
    }

    Disposable schedule(Runnable task) {
        Task t = new Task(task);
        loop.execute(t);
        return t;
    }

    Disposable schedule(Runnable task, long delay, TimeUnit unit) {
        if (delay <= 0) {
            return schedule(task);
        }
        return new Timer(task, unit.toNanos(delay), -1).start();
    }

    Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
        if (period <= 0) {
            throw new RejectedExecutionException("period must be > 0 on an io_uring loop, was " + period);
        }
        return new Timer(task, unit.toNanos(Math.max(0, initialDelay)), unit.toNanos(period)).start();
    }

    Scheduler.Worker createWorker() {
        return new LoopWorker();
    }

    /** A task posted to the loop; disposing it before it runs skips it. */
    private static final class Task implements Runnable, Disposable {
        private final Runnable task;
        private volatile boolean disposed;

        Task(Runnable task) {
            this.task = Objects.requireNonNull(task, "task");
        }

        @Override
        public void run() {
            if (!disposed) {
                task.run();
            }
        }

        @Override
        public void dispose() {
            disposed = true;
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }

    /** A delayed or periodic task: an io_uring timeout, re-submitted after each run for periodic ones. */
    private final class Timer implements Disposable {
        private final Runnable task;
        private final long periodNanos;
        private volatile Disposable current = Disposables.disposed();
        private volatile boolean disposed;

        private final long firstDelay;

        Timer(Runnable task, long delayNanos, long periodNanos) {
            this.task = Objects.requireNonNull(task, "task");
            this.periodNanos = periodNanos;
            this.firstDelay = delayNanos;
        }

        Disposable start() {
            arm(firstDelay);
            return this;
        }

        private void arm(long nanos) {
            if (disposed) {
                return;
            }
            current = loop.submit(Op.timeout(Duration.ofNanos(nanos))).subscribe(res -> {
                if (!disposed) {
                    task.run();
                    if (periodNanos > 0) {
                        arm(periodNanos);
                    }
                }
            }, e -> { });
        }

        @Override
        public void dispose() {
            disposed = true;
            current.dispose();
        }

        @Override
        public boolean isDisposed() {
            return disposed;
        }
    }

    private final class LoopWorker implements Scheduler.Worker {
        private final Disposable.Composite tasks = Disposables.composite();

        @Override
        public Disposable schedule(Runnable task) {
            return track(() -> LoopScheduler.this.schedule(task));
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            return track(() -> LoopScheduler.this.schedule(task, delay, unit));
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            return track(() -> LoopScheduler.this.schedulePeriodically(task, initialDelay, period, unit));
        }

        /**
         * Rejects only a worker disposed before the task was scheduled. The task may run (and its
         * subscriber dispose this worker) before {@code add} below: then the worker's disposal covers
         * it, so it is disposed rather than rejected after it already ran.
         */
        private Disposable track(Supplier<Disposable> scheduleOnLoop) {
            if (tasks.isDisposed()) {
                throw new RejectedExecutionException("worker is disposed");
            }
            Disposable d = scheduleOnLoop.get();
            if (!tasks.add(d)) {
                d.dispose();
            }
            return d;
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
