package io.reactoruring.core;

import static io.reactoruring.core.TestSupport.assumeUring;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Issue 10 item 4: the loop as a Reactor Scheduler keeps reactor-core's contract. Like reactor-core's
 * scheduler tests: counts and orders, no sleeps; the fixed-rate test drives a fake clock (the loop's
 * virtual time) instead of waiting.
 */
class LoopSchedulerTest {
    private static final Duration T = Duration.ofSeconds(30);
    private static UringLoop loop;

    @BeforeAll
    static void start() {
        assumeUring();
        loop = UringLoop.create("scheduler-test");
    }

    @AfterAll
    static void stop() {
        if (loop != null) {
            loop.disposeGracefully().block(T);
        }
    }

    @Test
    void aWorkerForgetsTasksThatRan() throws InterruptedException {
        LoopScheduler.LoopWorker worker = (LoopScheduler.LoopWorker) new LoopScheduler(loop).createWorker();
        int tasks = 100_000;
        CountDownLatch ran = new CountDownLatch(tasks);
        for (int i = 0; i < tasks; i++) {
            worker.schedule(ran::countDown);
        }
        assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(TestSupport.awaitOnLoop(loop, () -> worker.pending() == 0))
                .as("tasks tracked after %d ran: %d", tasks, worker.pending()).isTrue();
        worker.dispose();
    }

    @Test
    void aWorkerForgetsDelayedAndDisposedTasks() {
        Scheduler.Worker w = loop.createWorker();
        LoopScheduler.LoopWorker worker = (LoopScheduler.LoopWorker) w;
        AtomicInteger ran = new AtomicInteger();
        Flux.range(0, 1000)
                .concatMap(i -> Mono.<Integer>create(s -> worker.schedule(() -> {
                    ran.incrementAndGet();
                    s.success(i);
                }, 1, TimeUnit.MICROSECONDS)))
                .blockLast(T);
        assertThat(ran.get()).isEqualTo(1000);
        // The last task signalled its value from inside its run; it leaves the set when run returns.
        assertThat(TestSupport.awaitOnLoop(loop, () -> worker.pending() == 0)).as("pending %d", worker.pending()).isTrue();
        List<Disposable> never = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 1000; i++) {
                never.add(worker.schedule(ran::incrementAndGet, 1, TimeUnit.HOURS));
                never.add(worker.schedulePeriodically(ran::incrementAndGet, 1, 1, TimeUnit.HOURS));
            }
            assertThat(worker.pending()).isEqualTo(2000);
        } finally {
            never.forEach(Disposable::dispose); // an hour-long timer must not outlive this test on the shared loop
        }
        assertThat(worker.pending()).isZero();
        assertThat(TestSupport.awaitOnLoop(loop, () -> loop.metrics().inFlight() == 0)).isTrue();
        worker.dispose();
    }

    @Test
    void publishOnLeavesNothingTrackedBehind() {
        // 100,000 items emitted one by one from another thread: publishOn schedules a drain on its
        // worker whenever it is idle. The worker is the loop's; count what it still tracks.
        AtomicLong created = new AtomicLong();
        List<LoopScheduler.LoopWorker> workers = new CopyOnWriteArrayList<>();
        Scheduler counting = new Scheduler() {
            @Override
            public Disposable schedule(Runnable task) {
                return loop.schedule(task);
            }

            @Override
            public Worker createWorker() {
                LoopScheduler.LoopWorker w = (LoopScheduler.LoopWorker) loop.createWorker();
                workers.add(w);
                return new Worker() {
                    @Override
                    public Disposable schedule(Runnable task) {
                        created.incrementAndGet();
                        return w.schedule(task);
                    }

                    @Override
                    public void dispose() {
                        // keep the loop worker undisposed so what it still tracks can be counted
                    }

                    @Override
                    public boolean isDisposed() {
                        return w.isDisposed();
                    }
                };
            }
        };
        reactor.core.publisher.Sinks.Many<Integer> sink = reactor.core.publisher.Sinks.many().unicast().onBackpressureBuffer();
        Mono<Long> count = sink.asFlux().publishOn(counting, 1).count();
        var result = count.toFuture();
        for (int i = 0; i < 100_000; i++) {
            sink.tryEmitNext(i);
        }
        sink.tryEmitComplete();
        assertThat(Mono.fromFuture(result).block(T)).isEqualTo(100_000L);
        assertThat(created.get()).as("publishOn scheduled tasks").isPositive();
        assertThat(workers).hasSize(1);
        assertThat(TestSupport.awaitOnLoop(loop, () -> workers.get(0).pending() == 0))
                .as("tracked after %d publishOn tasks: %d", created.get(), workers.get(0).pending()).isTrue();
        workers.get(0).dispose();
    }

    @Test
    void scheduleOnTheLoopThreadQueuesTheTask() {
        List<String> order = new CopyOnWriteArrayList<>();
        Scheduler.Worker worker = loop.createWorker();
        CountDownLatch done = new CountDownLatch(2);
        Mono.fromRunnable(() -> {
            order.add("caller before");
            loop.schedule(() -> {
                order.add("scheduler task");
                done.countDown();
            });
            worker.schedule(() -> {
                order.add("worker task");
                done.countDown();
            });
            order.add("caller after");
        }).subscribeOn(loop).block(T);
        assertThat(TestSupport.awaitOnLoop(loop, () -> done.getCount() == 0)).isTrue();
        assertThat(order).containsExactly("caller before", "caller after", "scheduler task", "worker task");
        worker.dispose();
    }

    @Test
    void aTaskThatReschedulesItselfForeverDoesNotStopTheLoop() {
        AtomicInteger runs = new AtomicInteger();
        AtomicInteger stop = new AtomicInteger();
        Runnable[] self = new Runnable[1];
        self[0] = () -> {
            runs.incrementAndGet();
            if (stop.get() == 0) {
                loop.schedule(self[0]);
            }
        };
        loop.schedule(self[0]);
        // Ops still complete while the task keeps re-queuing itself on the loop thread.
        assertThat(loop.submit(Op.nop()).block(T)).isZero();
        assertThat(loop.submit(Op.timeout(Duration.ofMillis(1))).block(T)).isZero();
        stop.set(1);
        assertThat(runs.get()).isPositive();
    }

    @Test
    void periodicTasksRunAtAFixedRateNotAFixedDelay() {
        // Virtual time: each run moves the fake clock two periods on (a run slower than its period).
        // At a fixed rate the next runs are overdue and follow at once; a fixed delay would wait a
        // whole period (an hour) after each run, and this test would time out.
        AtomicLong now = new AtomicLong();
        long period = TimeUnit.HOURS.toNanos(1);
        LoopScheduler scheduler = new LoopScheduler(loop, now::get);
        CountDownLatch tenRuns = new CountDownLatch(10);
        Disposable d = scheduler.schedulePeriodically(() -> {
            now.addAndGet(2 * period);
            tenRuns.countDown();
        }, 0, period, TimeUnit.NANOSECONDS);
        try {
            assertThat(Mono.fromCallable(() -> tenRuns.await(30, TimeUnit.SECONDS))
                    .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic()).block(T)).isTrue();
        } finally {
            d.dispose();
        }
    }

    @Test
    void fixedRateDelaysAimAtMultiplesOfThePeriod() {
        long period = 10_000_000;
        // A run that took 4 ms leaves 6 ms until the next deadline, not another full period.
        assertThat(LoopScheduler.delayUntil(2 * period, period + 4_000_000)).isEqualTo(6_000_000);
        // Overdue: at once.
        assertThat(LoopScheduler.delayUntil(2 * period, 3 * period)).isZero();
    }

    @Test
    void periodicTicksOnTheRealClockArriveInOrder() {
        AtomicInteger ticks = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(25);
        Disposable d = loop.schedulePeriodically(() -> {
            ticks.incrementAndGet();
            done.countDown();
        }, 0, 10, TimeUnit.MILLISECONDS);
        try {
            assertThat(Mono.fromCallable(() -> done.await(30, TimeUnit.SECONDS))
                    .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic()).block(T)).isTrue();
        } finally {
            d.dispose();
        }
        int after = ticks.get();
        assertThat(TestSupport.awaitOnLoop(loop, () -> loop.metrics().inFlight() == 0)).isTrue();
        assertThat(d.isDisposed()).isTrue();
        assertThat(ticks.get()).as("no tick after dispose").isEqualTo(after);
    }

    @Test
    void aDisposedWorkerRejectsAndCancelsItsTasks() {
        Scheduler.Worker worker = loop.createWorker();
        AtomicInteger ran = new AtomicInteger();
        Disposable pending = worker.schedule(ran::incrementAndGet, 1, TimeUnit.HOURS);
        worker.dispose();
        assertThat(pending.isDisposed()).isTrue();
        assertThatThrownBy(() -> worker.schedule(ran::incrementAndGet)).isInstanceOf(RejectedExecutionException.class);
        assertThat(ran.get()).isZero();
    }
}
