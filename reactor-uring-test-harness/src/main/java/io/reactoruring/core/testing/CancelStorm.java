package io.reactoruring.core.testing;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The random-cancellation storm of issue 10: publishers of ops, each consumed in one of four ways
 * chosen at random, so cancels land before, during and after the kernel's completion.
 */
public final class CancelStorm {
    private CancelStorm() {
    }

    /**
     * Runs {@code n} publishers made by {@code op}, {@code concurrency} at a time, each
     * <ul>
     *   <li>consumed fully;</li>
     *   <li>merged with a twin under {@code take(1)}: the twin (and the rest of a stream) is cancelled
     *   synchronously when the first value arrives;</li>
     *   <li>given a random timeout of up to 200 µs (cancelled from a timer thread);</li>
     *   <li>or disposed from another thread after a random delay of up to 200 µs.</li>
     * </ul>
     * {@code onValue} gets every value that reaches the end subscriber. Blocks until all are done.
     */
    public static <T> void run(int n, int concurrency, SplittableRandom seeds, IntFunction<? extends Publisher<T>> op,
                               Consumer<T> onValue) {
        long[] modeSeeds = new long[n];
        for (int i = 0; i < n; i++) {
            modeSeeds[i] = seeds.nextLong();
        }
        Flux.range(0, n)
                .flatMap(i -> {
                    SplittableRandom r = new SplittableRandom(modeSeeds[i]);
                    long nanos = r.nextLong(200_000);
                    switch (r.nextInt(4)) {
                        case 0:
                            return Flux.from(op.apply(i)).doOnNext(onValue);
                        case 1:
                            return Flux.merge(op.apply(i), op.apply(i)).take(1).doOnNext(onValue).then();
                        case 2:
                            return Flux.from(op.apply(i)).timeout(Duration.ofNanos(nanos), Schedulers.parallel())
                                    .doOnNext(onValue)
                                    .onErrorResume(TimeoutException.class, e -> Mono.empty());
                        default:
                            return Mono.<T>create(sink -> {
                                Disposable d = Flux.from(op.apply(i)).subscribe(onValue, sink::error, sink::success);
                                Schedulers.parallel().schedule(() -> {
                                    d.dispose();
                                    sink.success();
                                }, nanos, TimeUnit.NANOSECONDS);
                            });
                    }
                }, concurrency)
                .then()
                .block(Duration.ofSeconds(120));
    }
}
